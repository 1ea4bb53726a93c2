/**
 * Integration test of the README scenario. `npx projen integ` checks the committed snapshot
 * without AWS; a maintainer with credentials deploys it and runs the assertions with
 * `npx integ-runner --language typescript --test-regex '\.integ\.ts$' --force` (see README).
 *
 * The shared bucket is retained after the test (RemovalPolicy.RETAIN is the default): delete it by
 * hand afterwards.
 */
import { createHash } from 'node:crypto';
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ScenarioStack } from '../examples/scenario';
import { AccessPoint } from '../src';

const CONTENT = 'written through an access point, read from an isolated subnet\n';

// No stack traces in the snapshot's metadata: they hold absolute paths of this machine.
const app = new App({ postCliContext: { 'aws:cdk:disable-stack-trace': true, 'aws:cdk:disable-creation-stack-traces': true } });
const stack = new ScenarioStack(app, 'SharedBucketScenarioInteg', { denyDirectAccess: true });

// The assertions' provider writes app/ through its own Internet-origin access point; its identity
// policy (added below) names that access point only.
const writer = new AccessPoint(stack, 'IntegWriter', { bucket: stack.shared.bucket, accessPointName: 'integ-writer-access-point' });

// A function without S3 permissions that tries to read the bucket directly and reports the error.
const probe = new lambda.Function(stack, 'DirectReadProbe', {
  runtime: lambda.Runtime.NODEJS_24_X,
  handler: 'index.handler',
  timeout: Duration.seconds(30),
  code: lambda.Code.fromInline([
    "const { S3Client, GetObjectCommand } = require('@aws-sdk/client-s3');",
    'exports.handler = async ({ bucket, key }) => {',
    '  try { await new S3Client({}).send(new GetObjectCommand({ Bucket: bucket, Key: key })); return { denied: false }; }',
    "  catch (e) { return { denied: e.name === 'AccessDenied', error: e.name }; }",
    '};',
  ].join('\n')),
});

const integ = new IntegTest(app, 'SharedBucketScenarioTest', { testCases: [stack] });

const write = integ.assertions.awsApiCall('S3', 'putObject', {
  Bucket: writer.accessPointArn,
  Key: 'app/integ.txt',
  Body: CONTENT,
});
write.provider.addToRolePolicy({ Effect: 'Allow', Action: ['s3:PutObject'], Resource: [writer.arnForObjects('app/integ.txt')] });

const read = integ.assertions.invokeFunction({
  functionName: stack.app.readerFunction!.functionName,
  payload: JSON.stringify({ key: 'integ.txt' }),
});
read.expect(ExpectedResult.objectLike({
  Payload: Match.serializedJson({
    key: 'app/integ.txt',
    size: Buffer.byteLength(CONTENT),
    sha256: createHash('sha256').update(CONTENT).digest('hex'),
  }),
}));

const directRead = integ.assertions.invokeFunction({
  functionName: probe.functionName,
  payload: JSON.stringify({ bucket: stack.shared.bucket.bucketName, key: 'app/integ.txt' }),
});
directRead.expect(ExpectedResult.objectLike({ Payload: Match.serializedJson({ denied: true }) }));

write.next(read).next(directRead);
