import { createHash } from 'node:crypto';
import { base32, bech32 } from '@scure/base';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { combine, split } from 'shamir-secret-sharing';

/**
 * The backup private key split k-of-n with Shamir's scheme (docs/runbook.md, "Backup key custody"): no custodian
 * holds the key, any k of them rebuild it in memory for a restore, k−1 learn nothing about it. Each share is a
 * printable sheet whose last line a custodian can also type; it names the public key it belongs to and carries
 * a checksum, so a mistyped, cut or foreign share is refused by name rather than rebuilding a wrong key.
 */

const PREFIX = 'ACHV-SHARE-1';
const AGE_SECRET_KEY = 'AGE-SECRET-KEY-';

/** A share, or a set of shares, that cannot rebuild the key; nothing was decrypted with it. */
export class ShareRefused extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ShareRefused';
  }
}

export interface Share {
  threshold: number;
  shares: number;
  index: number;
  recipient: string;
  bytes: Uint8Array;
}

/** Over the share's fields with its data unspaced and in capitals, so a retyped line checks the same. */
const checksum = (fields: (string | number)[]) =>
  createHash('sha256')
    .update(
      fields.map((field, i) => (i === 5 ? String(field).replace(/\s+/g, '').toUpperCase() : field)).join(':'),
    )
    .digest('hex')
    .slice(0, 8)
    .toUpperCase();

/** base32 in groups of four, easy to read aloud and type; spaces are ignored when read back. */
const grouped = (bytes: Uint8Array) =>
  base32
    .encode(bytes)
    .replace(/=+$/, '')
    .replace(/(.{4})/g, '$1 ')
    .trim();

/** The line that is the share: what a custodian types, and what a sheet's reader looks for. */
export function shareLine(share: Share) {
  const fields = [PREFIX, share.threshold, share.shares, share.index, share.recipient, grouped(share.bytes)];
  return `${fields.join(':')}:${checksum(fields)}`;
}

/** The printable sheet of one custodian: what it is, what to do with it, and the line that is the share. */
function sheet(share: Share) {
  return [
    `Achievements engine backup key: custodian share ${share.index} of ${share.shares}.`,
    `Any ${share.threshold} of the ${share.shares} shares rebuild the private key; fewer reveal nothing about it.`,
    `It belongs to the public key (BACKUP_RECIPIENT) ${share.recipient}.`,
    'Keep it offline (printed, in a safe or on a USB key); bring it, or type its last line, to a restore.',
    '',
    shareLine(share),
    '',
  ].join('\n');
}

/** Makes a key pair and splits its private key: answers the public key and one sheet per custodian. */
export async function splitNewKey(shares: number, threshold: number) {
  if (!Number.isInteger(threshold) || threshold < 2 || !Number.isInteger(shares) || shares < threshold)
    throw new ShareRefused(
      `--threshold must be at least 2 and --shares at least the threshold (${shares}, ${threshold})`,
    );
  if (shares > 255) throw new ShareRefused('--shares is at most 255');
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  const secret = bech32.fromWords(bech32.decode(identity.toLowerCase() as `${string}1${string}`).words);
  const parts = await split(Uint8Array.from(secret), shares, threshold);
  return {
    recipient,
    sheets: parts.map((bytes, i) => sheet({ threshold, shares, index: i + 1, recipient, bytes })),
  };
}

/** Reads the share line out of a sheet or a typed line; `source` names it in what is refused. */
export function parseShare(text: string, source: string): Share {
  const line = text
    .split('\n')
    .map((candidate) => candidate.trim())
    .find((candidate) => candidate.startsWith(PREFIX));
  if (!line) throw new ShareRefused(`${source} holds no ${PREFIX} line: it is not a backup key share`);
  const fields = line.split(':');
  const sum = fields.pop()?.toUpperCase();
  if (fields.length !== 6 || sum !== checksum(fields))
    throw new ShareRefused(`${source} is damaged, mistyped or cut short (its checksum does not match)`);
  const [, thresholdField, sharesField, indexField, recipient, encoded] = fields;
  const [threshold, shares, index] = [thresholdField, sharesField, indexField].map((field) =>
    /^\d{1,3}$/.test(field!) ? Number(field) : NaN,
  ) as [number, number, number];
  const data = encoded!.replace(/\s+/g, '').toUpperCase();
  const sensible =
    threshold >= 2 &&
    shares >= threshold &&
    shares <= 255 &&
    index >= 1 &&
    index <= shares &&
    /^age1[02-9ac-hj-np-z]{58}$/.test(recipient!) &&
    /^[A-Z2-7]{53}$/.test(data);
  if (!sensible)
    throw new ShareRefused(`${source} is not a share this engine made (its fields are out of range)`);
  return { threshold, shares, index, recipient: recipient!, bytes: base32.decode(`${data}===`) };
}

/**
 * Rebuilds the private key (an age identity, in memory only) from shares of one key: refused when they belong
 * to different keys, when one is given twice, when fewer than the threshold are given, or when what they
 * rebuild is not the private key of the public key they name.
 */
export async function rebuildKey(shares: { text: string; source: string }[]) {
  const parsed = shares.map(({ text, source }) => ({ source, share: parseShare(text, source) }));
  if (parsed.length === 0) throw new ShareRefused('no share given');
  const first = parsed[0]!;
  for (const { source, share } of parsed.slice(1))
    if (share.recipient !== first.share.recipient || share.threshold !== first.share.threshold)
      throw new ShareRefused(
        `${source} is a share of another key (${share.recipient}) than ${first.source} (${first.share.recipient})`,
      );
  const indexes = new Set(parsed.map(({ share }) => share.index));
  if (indexes.size !== parsed.length) throw new ShareRefused('the same share was given twice');
  const { threshold, recipient } = first.share;
  if (parsed.length < threshold)
    throw new ShareRefused(`${parsed.length} shares given; this key needs ${threshold} of them`);
  const secret = await combine(parsed.slice(0, threshold).map(({ share }) => share.bytes)).catch(
    (error: Error) => {
      throw new ShareRefused(`the shares do not combine: ${error.message}`);
    },
  );
  const identity = bech32.encode(AGE_SECRET_KEY, bech32.toWords(secret), false).toUpperCase();
  if ((await identityToRecipient(identity).catch(() => undefined)) !== recipient)
    throw new ShareRefused(
      `the shares do not rebuild the private key of ${recipient}: one of them was forged`,
    );
  return { identity, recipient };
}
