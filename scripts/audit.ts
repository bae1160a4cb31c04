/**
 * `npm run audit`: CI's gate on the production dependencies' advisories. Fails on any high or critical one;
 * when the registry cannot be asked, says so loudly, and fails too if AUDIT_REQUIRED=true (a bank's CI, whose
 * registry serves advisories, sets it).
 */
import { spawnSync } from 'node:child_process';
import { auditVerdict } from './audit-verdict.js';

const run = spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], { encoding: 'utf8' });
const verdict = auditVerdict(run.stdout);
if (verdict.kind === 'clean')
  console.log('npm audit: no high or critical advisory in the production dependencies');
if (verdict.kind === 'vulnerable') {
  console.error(`npm audit: ${verdict.critical} critical and ${verdict.high} high advisories; run npm audit`);
  process.exit(1);
}
if (verdict.kind === 'unavailable') {
  console.error(`npm audit: NOT AUDITED, the registry could not be asked (${verdict.reason})`);
  if (process.env.AUDIT_REQUIRED === 'true') process.exit(1);
}
