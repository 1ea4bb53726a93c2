/**
 * The new bucket behind a SharedBucket, and its server access log bucket: secure defaults in one
 * place.
 */
import { Annotations, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { denyGrantsExceptForAwsServicesStatement, logDeliveryStatement, sslOnlyStatement } from './policy';
import type { SharedBucketProps } from './shared-bucket';

/** Cost hygiene that deletes no object and no version: the default lifecycle rule. */
const ABORT_INCOMPLETE_UPLOADS: s3.LifecycleRule = {
  id: 'AbortIncompleteMultipartUploads',
  abortIncompleteMultipartUploadAfter: Duration.days(7),
};

/** How long the created log bucket keeps access logs. */
const ACCESS_LOG_RETENTION = Duration.days(365);

/** Create the shared bucket with its secure defaults (see SharedBucketProps for each default). */
export function createSharedBucket(scope: Construct, props: SharedBucketProps): s3.Bucket {
  const kmsEncrypted = props.encryption === 'KMS' || props.encryptionKey !== undefined;
  const bucket = new s3.Bucket(scope, 'Bucket', {
    bucketName: props.bucketName,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    encryption: kmsEncrypted ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
    // Without a key, aws-cdk-lib creates one with rotation on, retained with the bucket.
    encryptionKey: kmsEncrypted ? props.encryptionKey : undefined,
    bucketKeyEnabled: kmsEncrypted ? true : undefined,
    versioned: props.versioned ?? true,
    lifecycleRules: props.lifecycleRules ?? [ABORT_INCOMPLETE_UPLOADS],
    // false and absent must render the same: the property replaces the bucket when it changes.
    objectLockEnabled: props.objectLockEnabled || undefined,
    objectLockDefaultRetention: props.objectLockDefaultRetention,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
  });
  if (kmsEncrypted && props.encryptionKey === undefined) {
    bucket.encryptionKey!.addToResourcePolicy(denyGrantsExceptForAwsServicesStatement());
  }
  const cfnBucket = bucket.node.defaultChild as s3.CfnBucket;
  if (props.eventBridgeEnabled ?? true) {
    // On the bucket's own properties: aws-cdk-lib's eventBridgeEnabled would add a custom resource.
    cfnBucket.notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
  }
  if (props.serverAccessLogs ?? props.serverAccessLogsBucket !== undefined) {
    const target = props.serverAccessLogsBucket ?? createLogBucket(scope);
    // Log delivery is allowed by the target's bucket policy; aws-cdk-lib would use an ACL (unless
    // a feature flag is set), which buckets with ACLs disabled refuse.
    const delivery = logDeliveryStatement(target.bucketArn, props.serverAccessLogsPrefix, bucket.bucketArn, Stack.of(scope).account);
    if (!target.addToResourcePolicy(delivery).statementAdded) {
      Annotations.of(scope).addWarningV2('cdk-shared-bucket:logDeliveryNotGranted',
        `serverAccessLogsBucket: ${target.bucketName} is imported, so its policy cannot be changed here: its owner must allow s3:PutObject by logging.s3.amazonaws.com from ${scope.node.path}'s bucket.`);
    }
    cfnBucket.loggingConfiguration = { destinationBucketName: target.bucketName, logFilePrefix: props.serverAccessLogsPrefix };
  }
  return bucket;
}

/** A log bucket with the same secure defaults; log delivery writes only to SSE-S3 buckets. */
function createLogBucket(scope: Construct): s3.Bucket {
  const logs = new s3.Bucket(scope, 'AccessLogs', {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    encryption: s3.BucketEncryption.S3_MANAGED,
    versioned: true,
    lifecycleRules: [
      ABORT_INCOMPLETE_UPLOADS,
      { id: 'ExpireAccessLogs', expiration: ACCESS_LOG_RETENTION, noncurrentVersionExpiration: Duration.days(1) },
    ],
    removalPolicy: RemovalPolicy.RETAIN,
  });
  logs.addToResourcePolicy(sslOnlyStatement(logs.bucketArn));
  return logs;
}
