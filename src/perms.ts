/**
 * The S3 and KMS actions each access level grants, in one place. Least privilege on purpose:
 * nothing here can delete an object version, so with versioning on a READ_WRITE identity cannot
 * lose data.
 */

/** Read an object (and a given version of it) through an access point. */
export const OBJECT_READ_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion'];

/** List keys. Through an access point the resource is the access point ARN itself. */
export const LIST_ACTIONS = ['s3:ListBucket'];

/**
 * List the versions of keys (ListObjectVersions). Whoever may read a version must be able to find
 * its ID, so every level with `s3:GetObjectVersion` also gets this, under the same `s3:prefix` limit.
 */
export const VERSION_LIST_ACTIONS = ['s3:ListBucketVersions'];

/** Upload an object, including multipart uploads and their clean-up. */
export const OBJECT_WRITE_ACTIONS = ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'];

/**
 * Delete the current object. With versioning on this leaves a delete marker; permanent deletion of
 * a version (`s3:DeleteObjectVersion`) is never granted.
 */
export const OBJECT_DELETE_ACTIONS = ['s3:DeleteObject'];

/** SSE-KMS: downloads need Decrypt. */
export const KMS_READ_ACTIONS = ['kms:Decrypt'];

/** SSE-KMS: uploads need GenerateDataKey, multipart uploads also Decrypt. */
export const KMS_WRITE_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'];

/**
 * Every data-plane action a request through an access point (or straight at the bucket) can
 * carry, replication's writes included (a replication role belongs in `directAccessPrincipals`). Denies use this list rather than `s3:*` so that they never block management of the bucket
 * policy or of the access point itself (CloudFormation needs those).
 */
export const DATA_ACTIONS = [
  's3:AbortMultipartUpload',
  's3:BypassGovernanceRetention',
  's3:DeleteObject*',
  's3:GetObject*',
  's3:ListBucket*',
  's3:ListMultipartUploadParts',
  's3:ListObjectAnnotations',
  's3:ListObjectVersionAnnotations',
  's3:ObjectOwnerOverrideToBucketOwner',
  's3:PutObject*',
  's3:Replicate*',
  's3:RestoreObject',
  's3:UpdateObjectEncryption',
];

/**
 * Bucket configuration reads that S3 also serves through an access point. An exclusive access
 * point denies them to other principals too; a deny of direct access leaves them alone.
 */
export const ACCESS_POINT_BUCKET_READS = [
  's3:GetBucketAcl',
  's3:GetBucketCORS',
  's3:GetBucketLocation',
  's3:GetBucketNotification',
  's3:GetBucketPolicy',
];

/** What the S3 console needs to list buckets and access points before it can browse one. */
export const CONSOLE_LIST_ACTIONS = ['s3:ListAccessPoints', 's3:ListAllMyBuckets'];

/** S3 Control lookup of one access point (console, tools). Its resource must be `*`. */
export const GET_ACCESS_POINT_ACTIONS = ['s3:GetAccessPoint'];
