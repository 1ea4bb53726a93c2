/**
 * Which SharedBucket shares a bucket, and which access points stand on it, keyed by the bucket
 * object (a bucket object belongs to one app, so this is per app). Access points created by any
 * route (`addUserAccessPoint`, `new UserAccessPoint`, `new AccessPoint`, ...) and in any stack
 * register here, so that the SharedBucket can check and list every one of them, whatever the
 * construction order.
 */
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { IAccessPoint } from './access-point';
import { AccessPointDelegation } from './access-point-delegation';

/** What an access point needs to know about the SharedBucket that shares its bucket. */
export interface BucketSharer {
  /** The SharedBucket construct. */
  readonly construct: IConstruct;
  /** Which access points its bucket policy trusts. */
  readonly delegation: AccessPointDelegation;
  /** The account that owns the bucket (the SharedBucket's stack account). */
  readonly bucketAccount: string;
}

interface Entry {
  sharer?: BucketSharer;
  readonly accessPoints: IAccessPoint[];
}

const entries = new WeakMap<s3.IBucket, Entry>();

function entryOf(bucket: s3.IBucket): Entry {
  let entry = entries.get(bucket);
  if (entry === undefined) {
    entry = { accessPoints: [] };
    entries.set(bucket, entry);
  }
  return entry;
}

/**
 * Record that `sharer` shares `bucket`. Returns the SharedBucket that already shares it, if any:
 * two bucket policies for one bucket would overwrite each other.
 */
export function registerSharedBucket(bucket: s3.IBucket, sharer: BucketSharer): IConstruct | undefined {
  const entry = entryOf(bucket);
  if (entry.sharer !== undefined) return entry.sharer.construct;
  entry.sharer = sharer;
  return undefined;
}

/** Record an access point on `bucket`. */
export function registerAccessPoint(bucket: s3.IBucket, accessPoint: IAccessPoint): void {
  entryOf(bucket).accessPoints.push(accessPoint);
}

/** The SharedBucket that shares `bucket`, if one does (so far). */
export function sharerOf(bucket: s3.IBucket): BucketSharer | undefined {
  return entries.get(bucket)?.sharer;
}

/** Every access point on `bucket`, in the order they were created. */
export function accessPointsOn(bucket: s3.IBucket): IAccessPoint[] {
  return [...(entries.get(bucket)?.accessPoints ?? [])];
}
