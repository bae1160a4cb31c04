/** What `npm audit --json` said, as CI acts on it. */
export type AuditVerdict =
  | { kind: 'clean' }
  | { kind: 'vulnerable'; high: number; critical: number }
  | { kind: 'unavailable'; reason: string };

interface AuditReport {
  statusCode?: number;
  uri?: string;
  message?: string;
  metadata?: { vulnerabilities?: { high?: number; critical?: number } };
}

/**
 * High or critical advisories in the production dependencies fail CI; a registry that does not serve the
 * advisory endpoint (a mirror answering 405) is reported as such, never as "clean".
 */
export function auditVerdict(json: string): AuditVerdict {
  let report: AuditReport;
  try {
    report = JSON.parse(json) as AuditReport;
  } catch {
    return { kind: 'unavailable', reason: 'npm audit printed no JSON report' };
  }
  if (report.statusCode !== undefined || !report.metadata) {
    return { kind: 'unavailable', reason: report.message ?? 'npm audit gave no advisories' };
  }
  const { high = 0, critical = 0 } = report.metadata.vulnerabilities ?? {};
  return high + critical > 0 ? { kind: 'vulnerable', high, critical } : { kind: 'clean' };
}
