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
import { App, Duration, SecretValue } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
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

// Copies as Bob (docs/security-model.md, row 9): S3 authorizes a read of the source and a write of
// the destination, each through its own path. Only Bob passes his exclusive access point, so the
// probe signs with an access key of Bob's, kept in a secret of this test stack (deleted with it).
const bobKey = new iam.AccessKey(stack, 'BobIntegKey', { user: stack.bob });
const bobSecret = new secretsmanager.Secret(stack, 'BobIntegKeySecret', {
  secretObjectValue: { accessKeyId: SecretValue.unsafePlainText(bobKey.accessKeyId), secretAccessKey: bobKey.secretAccessKey },
});
const copyProbe = new lambda.Function(stack, 'BobCopyProbe', {
  runtime: lambda.Runtime.NODEJS_24_X,
  handler: 'index.handler',
  timeout: Duration.seconds(30),
  code: lambda.Code.fromInline([
    "const { S3Client, PutObjectCommand, CopyObjectCommand } = require('@aws-sdk/client-s3');",
    "const { SecretsManagerClient, GetSecretValueCommand } = require('@aws-sdk/client-secrets-manager');",
    'exports.handler = async ({ secretId, accessPointArn }) => {',
    '  const { SecretString } = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretId }));',
    '  const s3 = new S3Client({ credentials: JSON.parse(SecretString) });',
    "  const attempt = async (command) => { try { await s3.send(command); return 'allowed'; } catch (e) { return e.name; } };",
    '  const source = (key) => encodeURIComponent(`${accessPointArn}/object/${key}`);',
    "  const put = await attempt(new PutObjectCommand({ Bucket: accessPointArn, Key: 'Bob/integ-copy-source.txt', Body: 'Bob' }));",
    "  const ownFolder = await attempt(new CopyObjectCommand({ Bucket: accessPointArn, Key: 'Bob/integ-copy.txt', CopySource: source('Bob/integ-copy-source.txt') }));",
    "  const otherFolder = await attempt(new CopyObjectCommand({ Bucket: accessPointArn, Key: 'Bob/integ-stolen.txt', CopySource: source('app/integ.txt') }));",
    '  return { put, ownFolder, otherFolder };',
    '};',
  ].join('\n')),
});
bobSecret.grantRead(copyProbe);

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

// Bob's own copy shows that his key works, so the denial is the policies' (a new key takes a
// few seconds to be usable: the assertion retries).
const copies = integ.assertions.invokeFunction({
  functionName: copyProbe.functionName,
  payload: JSON.stringify({ secretId: bobSecret.secretArn, accessPointArn: stack.bobAccess.accessPoint.accessPointArn }),
});
copies.expect(ExpectedResult.objectLike({
  Payload: Match.serializedJson({ put: 'allowed', ownFolder: 'allowed', otherFolder: 'AccessDenied' }),
})).waitForAssertions({ totalTimeout: Duration.minutes(3), interval: Duration.seconds(15) });

write.next(read).next(directRead).next(copies);
