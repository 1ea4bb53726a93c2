/**
 * The S3 data actions by name, the ones the patterns of `DATA_ACTIONS` (perms.ts) stand for: the
 * access report tells which of them an identity policy allows on a bucket, so it needs names, not
 * patterns. Service Authorization Reference:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
 */
export const DATA_ACTION_NAMES = [
  's3:AbortMultipartUpload',
  's3:BypassGovernanceRetention',
  's3:DeleteObject',
  's3:DeleteObjectAnnotation',
  's3:DeleteObjectTagging',
  's3:DeleteObjectVersion',
  's3:DeleteObjectVersionAnnotation',
  's3:DeleteObjectVersionTagging',
  's3:GetObject',
  's3:GetObjectAcl',
  's3:GetObjectAnnotation',
  's3:GetObjectAttributes',
  's3:GetObjectLegalHold',
  's3:GetObjectRetention',
  's3:GetObjectTagging',
  's3:GetObjectTorrent',
  's3:GetObjectVersion',
  's3:GetObjectVersionAcl',
  's3:GetObjectVersionAnnotation',
  's3:GetObjectVersionAttributes',
  's3:GetObjectVersionForReplication',
  's3:GetObjectVersionTagging',
  's3:GetObjectVersionTorrent',
  's3:ListBucket',
  's3:ListBucketMultipartUploads',
  's3:ListBucketVersions',
  's3:ListMultipartUploadParts',
  's3:ListObjectAnnotations',
  's3:ListObjectVersionAnnotations',
  's3:ObjectOwnerOverrideToBucketOwner',
  's3:PutObject',
  's3:PutObjectAcl',
  's3:PutObjectAnnotation',
  's3:PutObjectLegalHold',
  's3:PutObjectRetention',
  's3:PutObjectTagging',
  's3:PutObjectVersionAcl',
  's3:PutObjectVersionAnnotation',
  's3:PutObjectVersionTagging',
  's3:ReplicateDelete',
  's3:ReplicateObject',
  's3:ReplicateTags',
  's3:RestoreObject',
  's3:UpdateObjectEncryption',
];

/** Data actions whose resource is the bucket (or access point) itself rather than an object. */
export const BUCKET_LEVEL_DATA_ACTIONS = ['s3:ListBucket', 's3:ListBucketMultipartUploads', 's3:ListBucketVersions'];

/**
 * Whether an IAM action pattern (`*` any characters, `?` one; case-insensitive, as IAM compares
 * actions) matches an action.
 */
export function actionMatches(pattern: string, action: string): boolean {
  return globToRegExp(pattern, 'i').test(action);
}

/**
 * Compiled patterns: the scan asks the same few action and ARN patterns of every statement of the
 * app, thousands of times in a large app.
 */
const compiledGlobs = new Map<string, RegExp>();

/** A wildcard pattern (`*`, `?`) as an anchored regular expression. */
export function globToRegExp(pattern: string, flags = ''): RegExp {
  const cacheKey = `${flags} ${pattern}`;
  let compiled = compiledGlobs.get(cacheKey);
  if (compiled === undefined) {
    const body = pattern.split('').map(c => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
    compiled = new RegExp(`^${body}$`, flags);
    compiledGlobs.set(cacheKey, compiled);
  }
  return compiled;
}
