/**
 * Integration test of AccessPointDeployment: BucketDeployment's handler seeds a folder through an
 * access point of a bucket that denies direct access, with no exemption for the handler.
 * `npx projen integ` checks the committed snapshot without AWS; a maintainer with credentials
 * deploys it and runs the assertions with
 * `npx integ-runner --language typescript --test-regex '\.integ\.ts$' --force` (see README).
 *
 * The shared bucket is retained after the test (RemovalPolicy.RETAIN is the default): delete it by
 * hand afterwards.
 */
import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { AccessPoint, AccessPointDeployment, SharedBucket } from '../src';

const CONTENT = 'seeded through an access point, with direct access denied\n';

// No stack traces in the snapshot's metadata: they hold absolute paths of this machine.
const app = new App({ postCliContext: { 'aws:cdk:disable-stack-trace': true, 'aws:cdk:disable-creation-stack-traces': true } });
const stack = new Stack(app, 'SharedBucketDeploymentInteg');
const shared = new SharedBucket(stack, 'Shared', { denyDirectAccess: true });

// The deployment's access point is exclusive to the deployment handler.
new AccessPointDeployment(stack, 'Seed', {
  bucket: shared.bucket,
  sources: [s3deploy.Source.data('hello.txt', CONTENT)],
  prefix: 'seed/',
  accessPointName: 'integ-seed-access-point',
});

// The assertions' provider reads seed/ back through an access point of its own; its identity
// policy (added below) names that access point only.
const reader = new AccessPoint(stack, 'IntegReader', { bucket: shared.bucket, accessPointName: 'integ-seed-reader-access-point' });

const integ = new IntegTest(app, 'SharedBucketDeploymentTest', { testCases: [stack] });

const read = integ.assertions.awsApiCall('S3', 'getObject', {
  Bucket: reader.accessPointArn,
  Key: 'seed/hello.txt',
});
read.provider.addToRolePolicy({ Effect: 'Allow', Action: ['s3:GetObject'], Resource: [reader.arnForObjects('seed/hello.txt')] });
read.expect(ExpectedResult.objectLike({ Body: CONTENT }));
