/**
 * What an identity may do in its folder.
 *
 * Least privilege on purpose: `READ_WRITE` does not include delete (unlike aws-cdk-lib's
 * `grantReadWrite`), so with versioning on nothing a `READ_WRITE` identity does can lose data.
 */
export enum Access {
  /** Get objects and list keys in the folder. */
  READ = 'READ',
  /** Put objects (including multipart uploads and aborting them) in the folder. */
  WRITE = 'WRITE',
  /** `READ` and `WRITE`, without delete. */
  READ_WRITE = 'READ_WRITE',
  /** `READ_WRITE` plus `s3:DeleteObject` (a delete marker when versioning is on). */
  READ_WRITE_DELETE = 'READ_WRITE_DELETE',
}
