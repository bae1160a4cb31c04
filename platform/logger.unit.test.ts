import { describe, expect, it } from 'vitest';
import { logger, logTo } from './logger.js';

describe('the structured logger', () => {
  it('never writes a secret, however deep a logged object holds it', () => {
    const lines: string[] = [];
    logTo({ write: (line: string) => void lines.push(line) }, 'info');
    logger('worker').info(
      {
        partners: [{ id: 'coffee-house', url: 'http://127.0.0.1:1', secret: 'partner-secret-1' }],
        sasl: { mechanism: 'scram-sha-512', username: 'achievements', password: 'scram-password-1' },
        config: { partners: { 'tea-house': { secret: 'partner-secret-2', previousSecret: 'old-secret-3' } } },
        temporal: { apiKey: 'cloud-key-4' },
      },
      'Temporal workers polling',
    );
    expect(lines).toHaveLength(1);
    for (const secret of [
      'partner-secret-1',
      'scram-password-1',
      'partner-secret-2',
      'old-secret-3',
      'cloud-key-4',
    ])
      expect(lines[0]).not.toContain(secret);
    // What is not secret stays readable.
    expect(JSON.parse(lines[0]!)).toMatchObject({
      partners: [{ id: 'coffee-house', url: 'http://127.0.0.1:1' }],
      sasl: { username: 'achievements' },
    });
  });
});
