import { describe, expect, it } from 'vitest';
import { apiDependencies } from '../test/support/api.js';
import { token } from '../test/support/tokens.js';
import { createApp } from './app.js';
import { SEGMENT_IMPORT_MAX_BYTES } from './segments.js';

/** Every UTF-16 unit as `\uXXXX`, as Python's json.dumps writes non-ASCII text: 6 bytes each. */
const escaped = (text: string) =>
  [...text].map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');

/** 100 000 distinct ids of 128 characters (the most the contract allows), every character escaped. */
function worstCaseBody() {
  const ids = Array.from({ length: 100_000 }, (_, i) => `"${escaped(String(i).padStart(128, '中'))}"`);
  return `{"clientIds":[${ids.join(',')}],"replace":false}`;
}

describe('PUT /v1/admin/segments/{segmentId}/members', () => {
  it('takes the largest body the contract allows, and refuses one byte more with 413', async () => {
    const imported: string[][] = [];
    const base = apiDependencies();
    const app = createApp({
      ...base,
      rules: {
        ...base.rules,
        importSegment: (_segmentId, clientIds) => {
          imported.push(clientIds);
          return Promise.resolve({ added: clientIds.length, removed: 0, members: clientIds.length });
        },
      },
    });
    const put = async (body: string) =>
      app.request('/v1/admin/segments/vip/members', {
        method: 'PUT',
        headers: {
          Authorization: `Bearer ${await token({ role: 'admin', sub: 'emp-1' })}`,
          'Content-Type': 'application/json',
        },
        body,
      });
    const body = worstCaseBody();
    expect(body.length).toBe(SEGMENT_IMPORT_MAX_BYTES);

    const accepted = await put(body);
    expect(accepted.status).toBe(202);
    expect(imported[0]).toHaveLength(100_000);
    expect(imported[0]![99_999]).toBe('中'.repeat(123) + '99999');

    // Still valid JSON: only its size refuses it.
    const refused = await put(`${body} `);
    expect(refused.status).toBe(413);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
  }, 60_000);
});
