/**
 * AccessPointDeployment: aws-cdk-lib's BucketDeployment writing into one folder through an access
 * point. Template assertions check what is synthesized; the access model (test/access-model)
 * proves what the handler's role can do, with expectations written from the intent: list, upload
 * and (with prune) delete under the folder, through that access point only, also when the bucket
 * denies direct access. The handler runs `aws s3 sync` to s3://ALIAS/PREFIX: S3 accepts an access
 * point alias wherever a bucket name is used for object operations
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-access-points.html).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { AccessPoint, AccessPointDeployment, AccessPointDeploymentProps, SharedBucket, SharedBucketEncryption, SharedBucketProps } from '../src';
import { AccessRequest, buildWorld, evaluate, PolicyDocument } from './access-model';
import { checkMatrix, describeFailures, ExpectedCell } from './access-model/matrix';
import { errorOf } from './helpers';

const ACCOUNT = '123456789012';
const ENV = { account: ACCOUNT, region: 'us-east-1' };
const S3_STAR: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/Admin`;
const SEED_AP = 'seed-access-point';
const OPEN_AP = 'open-access-point';

const apArn = (name: string, suffix = '') => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:us-east-1:${ACCOUNT}:accesspoint/${name}${suffix}`]] });

function setup(props: Partial<AccessPointDeploymentProps> = {}, sharedProps: SharedBucketProps = {}) {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: ENV });
  const shared = new SharedBucket(stack, 'Shared', { denyDirectAccess: true, encryption: SharedBucketEncryption.KMS, ...sharedProps });
  // another access point on the bucket, with no policy of its own: only identity policies decide there
  const open = new AccessPoint(stack, 'Open', { bucket: shared.bucket, accessPointName: OPEN_AP });
  const seed = new AccessPointDeployment(stack, 'Seed', {
    bucket: shared.bucket,
    sources: [s3deploy.Source.data('hello.txt', 'hello')],
    prefix: 'seed',
    accessPointName: props.accessPoint ? undefined : SEED_AP,
    ...props,
  });
  return { app, stack, shared, open, seed };
}

/** The statements of the handler role's default policy. */
function handlerStatements(template: Template): any[] {
  const roles = template.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'lambda.amazonaws.com' } }] } } });
  expect(Object.keys(roles)).toHaveLength(1);
  const policies = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Object.keys(roles)[0] }] } }));
  expect(policies).toHaveLength(1);
  return (policies[0] as any).Properties.PolicyDocument.Statement;
}

const ASSETS = (suffix: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::cdk-hnb659fds-assets-${ACCOUNT}-us-east-1${suffix}`]] });
const READ_SOURCES = { Action: ['s3:GetObject*', 's3:GetBucket*', 's3:List*'], Effect: 'Allow', Resource: [ASSETS(''), ASSETS('/*')] };
const KMS_WRITE = { Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^SharedBucketKey/), 'Arn'] } };
const LIST_SEED = (ap: string) => ({ Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': ['seed/', 'seed/*'] } }, Effect: 'Allow', Resource: apArn(ap) });

describe('AccessPointDeployment', () => {
  describe('template', () => {
    test('the custom resource syncs into the folder of the access point alias, pruning by default', () => {
      const template = Template.fromStack(setup().stack);
      const accessPoints = template.findResources('AWS::S3::AccessPoint', { Properties: { Name: SEED_AP } });
      expect(Object.keys(accessPoints)).toHaveLength(1);
      template.hasResourceProperties('Custom::CDKBucketDeployment', {
        DestinationBucketName: { 'Fn::GetAtt': [Object.keys(accessPoints)[0], 'Alias'] },
        DestinationBucketKeyPrefix: 'seed/',
        Prune: true,
      });
      // ordered after the bucket policy, whose delegation lets requests through access points
      template.hasResource('Custom::CDKBucketDeployment', { DependsOn: Match.arrayWith([Match.stringLikeRegexp('^SharedBucketPolicy')]) });
    });

    test('the handler role has the folder through the access point, the key and the sources: nothing on the bucket or the alias', () => {
      const statements = handlerStatements(Template.fromStack(setup().stack));
      expect(statements).toEqual([
        READ_SOURCES,
        { Action: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:ListMultipartUploadParts', 's3:PutObject'], Effect: 'Allow', Resource: apArn(SEED_AP, '/object/seed/*') },
        LIST_SEED(SEED_AP),
        KMS_WRITE,
      ]);
      expect(JSON.stringify(statements)).not.toMatch(/Alias|SharedBucketE0A46A06/);
    });

    test('without prune the handler cannot delete', () => {
      const template = Template.fromStack(setup({ prune: false }).stack);
      template.hasResourceProperties('Custom::CDKBucketDeployment', { Prune: false });
      expect(handlerStatements(template)[1]).toEqual({
        Action: ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'], Effect: 'Allow', Resource: apArn(SEED_AP, '/object/seed/*'),
      });
    });

    test('the created access point is exclusive to the handler role', () => {
      const template = Template.fromStack(setup().stack);
      const role = Object.keys(template.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'lambda.amazonaws.com' } }] } } }))[0];
      template.hasResourceProperties('AWS::S3::AccessPoint', {
        Name: SEED_AP,
        Policy: {
          Statement: [Match.objectLike({
            Sid: 'DenyOtherPrincipals',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Resource: [apArn(SEED_AP), apArn(SEED_AP, '/object/*')],
            Condition: { ArnNotLike: { 'aws:PrincipalArn': [{ 'Fn::GetAtt': [role, 'Arn'] }] } },
          })],
        },
      });
    });

    test('through a given access point: no access point created, the grant goes through it', () => {
      const app = new App();
      const stack = new Stack(app, 'Stack', { env: ENV });
      const shared = new SharedBucket(stack, 'Shared', { denyDirectAccess: true, encryption: SharedBucketEncryption.KMS });
      const uploads = new AccessPoint(stack, 'Uploads', { bucket: shared.bucket, accessPointName: 'uploads' });
      const seed = new AccessPointDeployment(stack, 'Seed', { bucket: shared.bucket, sources: [s3deploy.Source.data('a.txt', 'a')], prefix: 'seed/', accessPoint: uploads });
      expect(seed.accessPoint).toBe(uploads);
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::S3::AccessPoint', 1);
      template.hasResourceProperties('Custom::CDKBucketDeployment', { DestinationBucketName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Uploads'), 'Alias'] } });
      const statements = handlerStatements(template);
      expect(statements[1].Resource).toEqual(apArn('uploads', '/object/seed/*'));
      expect(statements[2]).toEqual(LIST_SEED('uploads'));
    });

    test('two deployments of a stack share the handler and its role: the role holds each folder through its own access point', () => {
      const { stack, shared, seed } = setup();
      const other = new AccessPointDeployment(stack, 'Other', { bucket: shared.bucket, sources: [s3deploy.Source.data('b.txt', 'b')], prefix: 'other/', accessPointName: 'other-access-point' });
      expect(other.handlerRole).toBe(seed.handlerRole);
      const statements = handlerStatements(Template.fromStack(stack));
      expect(statements.map(s => s.Resource)).toEqual(expect.arrayContaining([apArn(SEED_AP, '/object/seed/*'), apArn('other-access-point', '/object/other/*')]));
      expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('shared with'))).toHaveLength(0);
      // another memory size is another handler, with a role of its own
      const separate = new AccessPointDeployment(stack, 'Separate', { bucket: shared.bucket, sources: [s3deploy.Source.data('c.txt', 'c')], prefix: 'separate/', memoryLimit: 256 });
      expect(separate.handlerRole).not.toBe(seed.handlerRole);
    });

    test('warns when a plain BucketDeployment shares the handler, whose grants the role then holds', () => {
      const { stack, shared } = setup();
      new s3deploy.BucketDeployment(stack, 'Plain', { destinationBucket: shared.bucket, sources: [s3deploy.Source.data('x.txt', 'x')] });
      const warnings = Annotations.fromStack(stack).findWarning('/Stack/Seed', Match.stringLikeRegexp('shared with Stack/Plain'));
      expect(warnings).toHaveLength(1);
    });

    test('refuses a handler role granted on the alias as a bucket, however the grant was made', () => {
      const { app, seed } = setup();
      s3.BucketGrants.fromBucket(seed.node.findChild('ViaAccessPoint') as s3.IBucket).readWrite(seed.handlerRole);
      expect(errorOf(() => app.synth())).toMatch(/Stack\/Seed.*statement\(s\) on the access point alias as a bucket/s);
    });

    test.each<[string, (stack: Stack, shared: SharedBucket) => Partial<AccessPointDeploymentProps>, RegExp]>([
      ['a prefix with a wildcard', () => ({ prefix: 'se*d/' }), /prefix: "se\*d\/" must not contain "\*"/],
      ['an empty prefix', () => ({ prefix: '' }), /prefix: "" must name a folder/],
      ['a prefix too long for the ownership tag', () => ({ prefix: 'x'.repeat(120) }), /prefix: "x+" must be at most 104 characters/],
      ['no sources', () => ({ sources: [] }), /sources: must name at least one source/],
      ['an access point name that S3 refuses', () => ({ accessPointName: 'Bad_Name' }), /accessPointName: "Bad_Name" may contain only/],
      ['accessPointName with accessPoint', (stack, shared) => ({
        accessPoint: new AccessPoint(stack, 'Given', { bucket: shared.bucket }), accessPointName: 'named',
      }), /accessPointName: names the access point the construct creates, but accessPoint Stack\/Given is given/],
      ['a VPC-origin access point', (stack, shared) => ({
        accessPoint: new AccessPoint(stack, 'InVpc', { bucket: shared.bucket, vpc: new ec2.Vpc(stack, 'Vpc') }),
      }), /accessPoint: Stack\/InVpc accepts requests from its VPC only/],
      ['an access point of another bucket', (stack) => ({
        accessPoint: new AccessPoint(stack, 'Elsewhere', { bucket: new SharedBucket(stack, 'Other').bucket }),
      }), /accessPoint: Stack\/Elsewhere is for another bucket than Stack\/Shared/],
    ])('refuses %s, naming the construct and the prop', (_name, bad, message) => {
      const app = new App();
      const stack = new Stack(app, 'Stack', { env: ENV });
      const shared = new SharedBucket(stack, 'Shared');
      const error = errorOf(() => new AccessPointDeployment(stack, 'Seed', {
        bucket: shared.bucket, sources: [s3deploy.Source.data('a.txt', 'a')], prefix: 'seed/', ...bad(stack, shared),
      }));
      expect(error).toMatch(/AccessPointDeployment at 'Stack\/Seed' has invalid props/);
      expect(error).toMatch(message);
    });
  });

  describe('access model', () => {
    const OBJECT_ACTIONS = ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:DeleteObject', 's3:GetObject'];
    const KEYS = ['seed/hello.txt', 'seed/sub/b.txt', 'seed/', 'seed2/x', 'seedx', 'other/x', 'root.txt'];
    const PREFIXES = [undefined, 'seed/', 'seed/sub/', 'seed', 'seed2/', 'other/'];
    const PATHS: AccessRequest['path'][] = [{ accessPoint: SEED_AP }, { accessPoint: OPEN_AP }, 'bucket'];
    const inSeed = (name: string | undefined) => name !== undefined && name.startsWith('seed/');

    function cells(principal: string, expected: (r: AccessRequest) => boolean): ExpectedCell[] {
      return PATHS.flatMap(path => [
        ...OBJECT_ACTIONS.flatMap(action => KEYS.map(key => ({ principal, action, key, path, network: 'internet' as const }))),
        ...PREFIXES.map(listPrefix => ({ principal, action: 's3:ListBucket', listPrefix, path, network: 'internet' as const })),
      ]).map(request => ({ request, expected: { allowed: expected(request) } }));
    }

    /** The handler: list and upload (with prune delete) under seed/, through the deployment's access point only; it never reads. */
    const handlerMay = (prune: boolean, accessPoint: string) => (r: AccessRequest) => {
      if (typeof r.path === 'string' || r.path.accessPoint !== accessPoint) return false;
      if (r.action === 's3:ListBucket') return inSeed(r.listPrefix);
      const writes = ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts', ...(prune ? ['s3:DeleteObject'] : [])];
      return writes.includes(r.action) && inSeed(r.key);
    };

    function world(stack: Stack) {
      const template = Template.fromStack(stack);
      const roles = template.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'lambda.amazonaws.com' } }] } } });
      const handler = `arn:aws:iam::${ACCOUNT}:role/${Object.keys(roles)[0]}`;
      return { handler, world: buildWorld(template.toJSON(), { account: ACCOUNT, externalPrincipals: [{ arn: ADMIN, policies: { S3: S3_STAR } }] }) };
    }

    async function expectCells(name: string, w: ReturnType<typeof buildWorld>, all: ExpectedCell[]) {
      const report = await checkMatrix(w, all);
      expect(report.evaluated).toBe(all.length);
      expect(report.allowed).toBe(all.filter(c => c.expected.allowed).length);
      expect(report.allowed).toBeGreaterThan(0);
      expect(describeFailures(name, report)).toBe(`${name}: every cell as expected`);
    }

    test('with denyDirectAccess, the handler writes and prunes only under the folder, only through its access point', async () => {
      const { handler, world: w } = world(setup().stack);
      await expectCells('prune', w, [
        ...cells(handler, handlerMay(true, SEED_AP)),
        // an admin with s3:*: kept out of the deployment's access point (exclusive) and, for data, off the bucket
        // (denyDirectAccess); the open access point has no policy, so the admin's own s3:* suffices there
        ...cells(ADMIN, r => typeof r.path !== 'string' && r.path.accessPoint === OPEN_AP),
      ]);
    }, 120_000);

    test('SSE-KMS: the handler\'s upload also passes the key leg', async () => {
      const { handler, world: w } = world(setup().stack);
      const upload = await evaluate(w, { principal: handler, action: 's3:PutObject', key: 'seed/hello.txt', path: { accessPoint: SEED_AP }, network: 'internet', encrypted: true });
      expect(upload.legs.map(l => [l.leg, l.result])).toEqual([['access-point', 'Allowed'], ['bucket', 'Allowed'], ['kms', 'Allowed']]);
    });

    test('why: a plain BucketDeployment is denied by denyDirectAccess, whatever its own grants', async () => {
      const app = new App();
      const stack = new Stack(app, 'Stack', { env: ENV });
      const shared = new SharedBucket(stack, 'Shared', { denyDirectAccess: true });
      new s3deploy.BucketDeployment(stack, 'Plain', { destinationBucket: shared.bucket, sources: [s3deploy.Source.data('a.txt', 'a')], destinationKeyPrefix: 'seed/' });
      const { handler, world: w } = world(stack);
      const put = await evaluate(w, { principal: handler, action: 's3:PutObject', key: 'seed/a.txt', path: 'bucket', network: 'internet' });
      expect([put.decision, put.decidingLeg, put.decidingSids]).toEqual(['denied: explicit', 'bucket', ['DenyDirectAccess']]);
    });

    test('without prune, the handler cannot delete, not even in the folder', async () => {
      const { handler, world: w } = world(setup({ prune: false }).stack);
      await expectCells('no prune', w, cells(handler, handlerMay(false, SEED_AP)));
    }, 120_000);

    test('through a given access point, the handler reaches the folder through it and nowhere else', async () => {
      const app = new App();
      const stack = new Stack(app, 'Stack', { env: ENV });
      const shared = new SharedBucket(stack, 'Shared', { denyDirectAccess: true, encryption: SharedBucketEncryption.KMS });
      new AccessPoint(stack, 'Open', { bucket: shared.bucket, accessPointName: OPEN_AP });
      const uploads = new AccessPoint(stack, 'Uploads', { bucket: shared.bucket, accessPointName: SEED_AP });
      new AccessPointDeployment(stack, 'Seed', { bucket: shared.bucket, sources: [s3deploy.Source.data('a.txt', 'a')], prefix: 'seed', accessPoint: uploads });
      const { handler, world: w } = world(stack);
      await expectCells('given', w, cells(handler, handlerMay(true, SEED_AP)));
    }, 120_000);
  });
});
