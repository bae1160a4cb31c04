import { describe, expect, it } from 'vitest';
import { auditVerdict } from './audit-verdict.js';

const report = (vulnerabilities: Record<string, number>) =>
  JSON.stringify({ auditReportVersion: 2, vulnerabilities: {}, metadata: { vulnerabilities } });

describe('the CI gate on npm audit', () => {
  it('passes production dependencies with nothing high or critical', () => {
    expect(auditVerdict(report({ low: 3, moderate: 1, high: 0, critical: 0 }))).toEqual({ kind: 'clean' });
  });

  it('fails on a high or a critical advisory', () => {
    expect(auditVerdict(report({ high: 1, critical: 0 }))).toEqual({
      kind: 'vulnerable',
      high: 1,
      critical: 0,
    });
    expect(auditVerdict(report({ high: 0, critical: 2 }))).toEqual({
      kind: 'vulnerable',
      high: 0,
      critical: 2,
    });
  });

  it('never calls a registry that refused to answer clean', () => {
    const refused = JSON.stringify({
      message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
      statusCode: 405,
    });
    expect(auditVerdict(refused)).toEqual({ kind: 'unavailable', reason: expect.stringMatching(/^405/) });
    expect(auditVerdict('')).toMatchObject({ kind: 'unavailable' });
  });
});
