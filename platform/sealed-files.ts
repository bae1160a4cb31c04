import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createZstdCompress, createZstdDecompress } from 'node:zlib';
import { Decrypter, Encrypter } from 'age-encryption';

/**
 * Files sealed with age to a public key (the `age` CLI opens them too), hashed as they are written and read,
 * so a backup's manifest can say exactly which bytes it holds and a restore can tell a changed file by name.
 */

/** Not an age recipient (`age1…`): nothing is encrypted to it. */
export class RecipientRefused extends Error {
  constructor(reason: string) {
    super(`BACKUP_RECIPIENT is not an age recipient (age1…): ${reason}`);
    this.name = 'RecipientRefused';
  }
}

/** A pass-through stream that hashes and counts what flows through it. */
export function digest() {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  return { stream, result: () => ({ bytes, sha256: hash.digest('hex') }) };
}

const toWeb = (stream: Readable) => Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>;

/** An encrypter to `recipient`, refused before anything is read when it is not an age recipient. */
export function encrypterTo(recipient: string) {
  const encrypter = new Encrypter();
  try {
    encrypter.addRecipient(recipient);
  } catch (error) {
    throw new RecipientRefused((error as Error).message);
  }
  return encrypter;
}

/** A stream of `source` encrypted to `recipient`. */
export async function sealed(recipient: string, source: Readable): Promise<Readable> {
  return Readable.fromWeb(await encrypterTo(recipient).encrypt(toWeb(source)));
}

/** A stream of what `source` decrypts to with the private key `identity`; fails if a byte was changed. */
export async function opened(identity: string, source: Readable): Promise<Readable> {
  const decrypter = new Decrypter();
  decrypter.addIdentity(identity);
  return Readable.fromWeb(await decrypter.decrypt(toWeb(source)));
}

/** Writes `source`, sealed to `recipient`, to `file`; answers the sealed file's size and SHA-256. */
export async function sealToFile(recipient: string, source: Readable, file: string) {
  const counted = digest();
  await pipeline(await sealed(recipient, source), counted.stream, createWriteStream(file));
  return counted.result();
}

/** `source` compressed with zstd, failing when `source` fails. */
export function compressed(source: Readable): Readable {
  const zstd = createZstdCompress();
  source.on('error', (error) => zstd.destroy(error));
  return source.pipe(zstd);
}

/** `source` decompressed, failing when `source` fails. */
export function decompressed(source: Readable): Readable {
  const zstd = createZstdDecompress();
  source.on('error', (error) => zstd.destroy(error));
  return source.pipe(zstd);
}

/** The size and SHA-256 of everything `source` holds. */
export async function hashOf(source: Readable) {
  const counted = digest();
  await pipeline(source, counted.stream, new Writable({ write: (_chunk, _encoding, done) => done() }));
  return counted.result();
}
