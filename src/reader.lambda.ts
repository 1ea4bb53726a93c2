import { createHash } from 'node:crypto';
// A devDependency on purpose: the Node.js runtime provides SDK v3 and the bundle keeps `@aws-sdk/*` external.
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** The most keys one invocation accepts, which keeps one call's work within the function's timeout. */
export const MAX_KEYS = 100;

/** The event: exactly one of `key` or `keys`, each relative to `PREFIX` or a full key under it. */
export interface ReaderEvent {
  readonly key?: string;
  readonly keys?: string[];
}

/** What the reader reports for one object. */
export interface ObjectSummary {
  /** The full key, prefix included. */
  readonly key: string;
  /** Bytes read from the body. */
  readonly size: number;
  readonly contentType: string | undefined;
  /** Lower-case hex SHA-256 of the body. */
  readonly sha256: string;
}

/** The answer to a `{ keys }` event, in the order of the keys. */
export interface ReaderResult {
  readonly objects: ObjectSummary[];
}

/** Where the reader may read: taken from the function's environment. */
export interface ReaderConfig {
  readonly accessPointArn: string;
  readonly prefix: string;
}

const ACCESS_POINT_ARN = /^arn:aws[a-z-]*:s3:[a-z0-9-]+:\d{12}:accesspoint\/[a-z0-9-]+$/;

/**
 * Reads `ACCESS_POINT_ARN` and `PREFIX`, failing with the variable's name if either is unusable.
 */
export function readConfig(env: Record<string, string | undefined>): ReaderConfig {
  const accessPointArn = env.ACCESS_POINT_ARN ?? '';
  const prefix = env.PREFIX ?? '';
  const problems: string[] = [];
  if (!ACCESS_POINT_ARN.test(accessPointArn)) {
    problems.push(`ACCESS_POINT_ARN must be an S3 access point ARN (arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME), got "${accessPointArn}"`);
  }
  if (!prefix.endsWith('/') || prefix.startsWith('/') || prefix.split('/').includes('..')) {
    problems.push(`PREFIX must be a folder such as "app/" (ending in "/", not starting with "/", no ".." segment), got "${prefix}"`);
  }
  if (problems.length > 0) {
    throw new Error(`The reader is misconfigured: ${problems.join('; ')}`);
  }
  return { accessPointArn, prefix };
}

/**
 * Turns a key relative to `prefix` (`report.csv`) or a full key under it (`app/report.csv`)
 * into the full key, or throws an Error naming the key and the prefix.
 *
 * S3 keys are opaque strings, but `..` segments and leading slashes are refused anyway: proxies
 * and people read them as paths, and a key that only looks inside the folder is a trap.
 */
export function resolveKey(prefix: string, key: unknown): string {
  const refuse = (why: string) => new Error(`key ${JSON.stringify(key)} ${why} (prefix "${prefix}")`);
  if (typeof key !== 'string') throw refuse('is not a string');
  if (key === '') throw refuse('is empty');
  if (key.startsWith('/')) {
    throw refuse(`starts with "/"; give it relative to the prefix ("report.csv") or in full ("${prefix}report.csv")`);
  }
  if (key.split('/').includes('..')) throw refuse('has a ".." segment, which could point outside the prefix');
  const full = key.startsWith(prefix) ? key : `${prefix}${key}`;
  // Cannot fail after the checks above; kept so a later change to them cannot widen access silently.
  if (!full.startsWith(prefix)) throw refuse(`resolves to "${full}", outside the prefix`);
  if (full === prefix) throw refuse('names the folder itself, not an object');
  return full;
}

/**
 * Validates the event's shape and resolves every key, throwing one Error that lists every
 * refused key, the prefix and the access point; nothing is sent to S3 unless all keys pass.
 */
export function resolveEventKeys(event: unknown, config: ReaderConfig): string[] {
  const refuse = (why: string) => new Error(`Refusing to read through access point ${config.accessPointArn}: ${why}`);
  const { key, keys } = (typeof event === 'object' && event !== null ? event : {}) as { key?: unknown; keys?: unknown };
  if ((key === undefined) === (keys === undefined)) {
    throw refuse('the event must have exactly one of "key" (a string) or "keys" (an array of strings)');
  }
  let requested: unknown[];
  if (keys === undefined) {
    requested = [key];
  } else if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_KEYS) {
    throw refuse(`"keys" must be an array of 1 to ${MAX_KEYS} keys`);
  } else {
    requested = keys;
  }
  const problems: string[] = [];
  const resolved = requested.map((k) => {
    try {
      return resolveKey(config.prefix, k);
    } catch (err) {
      problems.push((err as Error).message);
      return '';
    }
  });
  if (problems.length > 0) throw refuse(problems.join('; '));
  return resolved;
}

/** Size and SHA-256 of a stream. */
export interface Digest {
  readonly size: number;
  readonly sha256: string;
}

/**
 * Hashes a stream chunk by chunk, so memory stays at one chunk whatever the object's size.
 */
export async function digestStream(stream: AsyncIterable<Uint8Array>): Promise<Digest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { size, sha256: hash.digest('hex') };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array> {
  return typeof (value as AsyncIterable<Uint8Array> | undefined)?.[Symbol.asyncIterator] === 'function';
}

/** Rewords an SDK error so the log line alone says which object, through which access point, and what to check. */
export function describeReadError(err: unknown, key: string, accessPointArn: string): Error {
  const { name, message, $metadata } = (err ?? {}) as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = $metadata?.httpStatusCode;
  if (name === 'NoSuchKey' || status === 404) {
    return new Error(`Object "${key}" not found through access point ${accessPointArn}`, { cause: err });
  }
  if (name === 'AccessDenied' || status === 403) {
    // Without s3:ListBucket on the prefix, S3 answers a missing key with 403 rather than 404.
    return new Error(
      `Access denied reading "${key}" through access point ${accessPointArn}: check the access point policy, the VPC endpoint policy and the function's role`
      + ' (S3 also answers 403 for a missing key when the caller may not list the prefix)',
      { cause: err },
    );
  }
  return new Error(`Failed to read "${key}" through access point ${accessPointArn}: ${name ?? 'Error'}: ${message ?? String(err)}`, { cause: err });
}

/**
 * Reads one object through the access point and summarizes it without holding its body in memory.
 */
export async function readObject(client: S3Client, accessPointArn: string, key: string): Promise<ObjectSummary> {
  try {
    // The ARN goes where a bucket name would: the SDK derives the access point host and signs for the ARN's Region.
    const out = await client.send(new GetObjectCommand({ Bucket: accessPointArn, Key: key }));
    if (!isAsyncIterable(out.Body)) throw new Error('the response has no readable body');
    const { size, sha256 } = await digestStream(out.Body);
    // A connection cut mid-body can end the stream quietly; a hash of the truncated bytes would look valid.
    if (out.ContentLength !== undefined && out.ContentLength !== size) {
      throw new Error(`the body ended after ${size} of ${out.ContentLength} bytes`);
    }
    return { key, size, contentType: out.ContentType, sha256 };
  } catch (err) {
    throw describeReadError(err, key, accessPointArn);
  }
}

/**
 * Makes a handler that reads through `client`; tests pass a client whose transport is fake.
 * `env` is read on every invocation, so a changed environment takes effect without a reload.
 */
export function createReader(client: S3Client, env?: Record<string, string | undefined>) {
  async function read(event: ReaderEvent): Promise<ObjectSummary | ReaderResult> {
    const config = readConfig(env ?? process.env);
    const keys = resolveEventKeys(event, config);
    // One at a time: memory stays at one chunk, and the first failure ends the invocation.
    const objects: ObjectSummary[] = [];
    for (const key of keys) objects.push(await readObject(client, config.accessPointArn, key));
    return event.keys === undefined ? objects[0] : { objects };
  }
  return read;
}

// Created once per execution environment, so warm invocations reuse its connections.
const s3 = new S3Client({});

/**
 * Lambda entry point: reads objects under `PREFIX` through the access point `ACCESS_POINT_ARN`.
 *
 * - `{ "key": "report.csv" }` (or `"app/report.csv"`) returns `{ key, size, contentType, sha256 }`.
 * - `{ "keys": ["a.csv", "app/b.csv"] }` (1 to 100 keys) returns `{ objects: [{ key, size, contentType, sha256 }, ...] }`
 *   in the order of the keys.
 *
 * `key` is always the full key; `sha256` is lower-case hex. A key outside the prefix, with a `..`
 * segment, starting with `/` or empty is refused before any request is sent.
 */
export const handler = createReader(s3);
