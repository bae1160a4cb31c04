import { Decrypter, Encrypter } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { parseShare, rebuildKey, shareLine, splitNewKey } from './key-shares.js';

const named = (sheets: string[], indexes: number[]) =>
  indexes.map((i) => ({ text: sheets[i]!, source: `share-${i + 1}.txt` }));

/** Every way of choosing `k` of the indexes 0..n−1. */
function choices(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  if (n < k) return [];
  return [...choices(n - 1, k - 1).map((rest) => [...rest, n - 1]), ...choices(n - 1, k)];
}

async function decrypts(identity: string, recipient: string) {
  const encrypter = new Encrypter();
  encrypter.addRecipient(recipient);
  const sealed = await encrypter.encrypt('ledger');
  const decrypter = new Decrypter();
  decrypter.addIdentity(identity);
  return decrypter.decrypt(sealed, 'text');
}

describe('the backup key split k-of-n', () => {
  it('any 3 of 5 shares rebuild the private key of the public key they were made for', async () => {
    const { recipient, sheets } = await splitNewKey(5, 3);
    expect(choices(5, 3)).toHaveLength(10);
    for (const chosen of choices(5, 3)) {
      const rebuilt = await rebuildKey(named(sheets, chosen));
      expect(rebuilt.recipient).toBe(recipient);
      expect(await decrypts(rebuilt.identity, recipient)).toBe('ledger');
    }
  });

  it('refuses 2 shares of a 3-of-5 key, and the same share given twice', async () => {
    const { sheets } = await splitNewKey(5, 3);
    await expect(rebuildKey(named(sheets, [0, 4]))).rejects.toThrow(
      '2 shares given; this key needs 3 of them',
    );
    await expect(rebuildKey(named(sheets, [1, 1, 2]))).rejects.toThrow('the same share was given twice');
  });

  it('takes a share line typed in lower case with other spacing', async () => {
    const { recipient, sheets } = await splitNewKey(3, 2);
    const line = (sheet: string) => sheet.split('\n').find((text) => text.startsWith('ACHV-SHARE-1'))!;
    const [prefix, ...rest] = line(sheets[2]!).split(':');
    const retyped = {
      text: [prefix, ...rest.map((field) => field.toLowerCase().replace(/ /g, ''))].join(':'),
      source: 'typed',
    };
    const rebuilt = await rebuildKey([{ text: sheets[0]!, source: 'share-1.txt' }, retyped]);
    expect(rebuilt.recipient).toBe(recipient);
  });

  it('names a share of another key, a cut one and a forged one, and rebuilds nothing', async () => {
    const ours = await splitNewKey(3, 2);
    const theirs = await splitNewKey(3, 2);
    await expect(
      rebuildKey([
        { text: ours.sheets[0]!, source: 'share-1.txt' },
        { text: theirs.sheets[1]!, source: 'stranger.txt' },
      ]),
    ).rejects.toThrow(`stranger.txt is a share of another key (${theirs.recipient})`);

    const cut = ours.sheets[1]!.replace(/(ACHV-SHARE-1:.*?)(.{6})(:[0-9A-F]{8})$/m, '$1$3');
    await expect(
      rebuildKey([
        { text: ours.sheets[0]!, source: 'share-1.txt' },
        { text: cut, source: 'share-2.txt' },
      ]),
    ).rejects.toThrow('share-2.txt is damaged, mistyped or cut short');

    // A share whose data was swapped and its checksum made again by someone who knows the format.
    const forged = shareLine({
      ...parseShare(ours.sheets[1]!, 'ours'),
      bytes: parseShare(theirs.sheets[1]!, 'theirs').bytes,
    });
    await expect(
      rebuildKey([
        { text: ours.sheets[0]!, source: 'share-1.txt' },
        { text: forged, source: 'share-2.txt' },
      ]),
    ).rejects.toThrow(`the shares do not rebuild the private key of ${ours.recipient}`);
  });

  it('refuses a share whose fields are out of range, even with its checksum made again', async () => {
    const { sheets } = await splitNewKey(3, 2);
    const share = parseShare(sheets[0]!, 'share 1');
    for (const changed of [
      { threshold: 1 },
      { index: 4 },
      { recipient: 'age1-not-a-key' },
      { bytes: share.bytes.slice(1) },
    ])
      expect(
        () => parseShare(shareLine({ ...share, ...changed }), 'changed'),
        JSON.stringify(changed),
      ).toThrow('changed is not a share this engine made');
  });

  it('refuses a threshold below 2 or above the number of shares', async () => {
    await expect(splitNewKey(3, 1)).rejects.toThrow('--threshold must be at least 2');
    await expect(splitNewKey(2, 3)).rejects.toThrow('--shares at least the threshold');
  });
});
