import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { storeName, StoreRefused, type BackupStore } from './backup-store.js';

export interface S3StoreOptions {
  bucket: string;
  /** Put before every name (`engine/prod`), for a bucket shared between environments. */
  prefix?: string;
  /** An S3-compatible server's address; AWS's own when unset. */
  endpoint?: string;
  region: string;
  /** Each file locked (compliance mode) for this many days: nobody, the bucket's owner included, deletes it. */
  retentionDays?: number;
  /** Credentials other than the environment's (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * A bucket with object lock as the append-only store: a file is put only if its name is not there yet
 * (`If-None-Match: *`, so two writers never replace each other's file) and, with a retention set, locked in
 * compliance mode until then. The bucket's own policy (lock by default, lifecycle) decides retention beyond.
 */
export function s3Store(options: S3StoreOptions): BackupStore {
  const client = new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  const key = (name: string) => [options.prefix, storeName(name)].filter(Boolean).join('/');
  const has = (name: string) =>
    client.send(new HeadObjectCommand({ Bucket: options.bucket, Key: key(name) })).then(
      () => true,
      () => false,
    );
  const where = `s3://${options.bucket}${options.prefix ? `/${options.prefix}` : ''}`;
  return {
    where,
    async put(name, localFile) {
      const { size } = await stat(localFile);
      const locked = options.retentionDays
        ? {
            ObjectLockMode: 'COMPLIANCE' as const,
            ObjectLockRetainUntilDate: new Date(Date.now() + options.retentionDays * 86_400_000),
          }
        : {};
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: options.bucket,
            Key: key(name),
            Body: createReadStream(localFile),
            ContentLength: size,
            IfNoneMatch: '*',
            ChecksumAlgorithm: 'SHA256',
            ...locked,
          }),
        );
      } catch (error) {
        // A server refusing the name may answer before the body is sent and close the connection under it:
        // whether the name is taken says what happened (a put that failed wrote nothing; it is atomic).
        const taken =
          (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 412) ||
          (await has(name));
        if (taken)
          throw new StoreRefused(`${name} is already in the store ${where}: a file is never written twice`);
        throw error;
      }
    },
    has,
    async get(name) {
      try {
        const { Body } = await client.send(new GetObjectCommand({ Bucket: options.bucket, Key: key(name) }));
        return Body as Readable;
      } catch (error) {
        if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)
          throw new StoreRefused(`${name} is missing from the store ${where}`);
        throw error;
      }
    },
    async list(folder) {
      const names: string[] = [];
      const within = key(`${folder}/x`).slice(0, -1);
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: options.bucket, Prefix: within, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? [])
          if (object.Key) names.push(`${folder}/${object.Key.slice(within.length)}`);
        token = page.NextContinuationToken;
      } while (token);
      return names.sort();
    },
  };
}
