/**
 * AWS's CloudFormation linter (cfn-lint, https://github.com/aws-cloudformation/cfn-lint) over the
 * example app and over stacks that use every option of every construct: no error, and no warning
 * that this library causes. Findings that come from aws-cdk-lib's own resources are listed in
 * KNOWN_FINDINGS, each with its reason. cfn-lint is a Python tool: `pip install cfn-lint`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnParameter, Duration, Fn, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { buildScenario, buildStrictScenario } from '../examples/scenario';
import {
  Access, AccessPoint, AccessPointDelegation, AccessPointDeployment, AccessPointGuardrails, IdentityPolicy, SharedBucket, SharedBucketEncryption,
  UserAccessPoint,
} from '../src';
import { FOLDER_PARAMETER_PATTERN } from '../src/validation';

/** One cfn-lint finding, as `--format json` prints it. */
interface Finding {
  readonly Rule: { readonly Id: string };
  readonly Level: string;
  readonly Message: string;
  readonly Filename: string;
  readonly Location: { readonly Path?: Array<string | number> };
}

/**
 * The only findings allowed, each because aws-cdk-lib (not this library) writes the resource that
 * causes it. `applies` keeps each entry to the resources it is about.
 */
const KNOWN_FINDINGS: Array<{ rule: string; reason: string; applies: (finding: Finding) => boolean }> = [
  {
    rule: 'W3005',
    reason: 'aws-cdk-lib\'s lambda.Function adds DependsOn on its service role (and the role\'s default policy) although Role already '
      + 'references it with Fn::GetAtt: the extra DependsOn makes CloudFormation wait for the policy, harmless and deliberate.',
    applies: f => /^'\w+ServiceRole[0-9A-F]{8}(DefaultPolicy[0-9A-F]{8})?' dependency already enforced by a 'GetAtt' at 'Resources\/\w+\/Properties\/Role'$/.test(f.Message),
  },
  {
    rule: 'W3037',
    reason: 's3:ListObjectAnnotations and s3:ListObjectVersionAnnotations (S3 object annotations, '
      + 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectAnnotations.html) are newer than cfn-lint 1.51\'s action list; '
      + 'the DenyDirectAccess statement must name them, or a principal could read annotations around the access points.',
    applies: f => /^'list(object|objectversion)annotations' is not one of /.test(f.Message),
  },
];

const ACCOUNT = '123456789012';
const ENV = { account: ACCOUNT, region: 'us-east-1' };

/** Zones by Fn::GetAZs, as an environment-agnostic stack has them: no lookup, no hard-coded names (W3010). */
class LintStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, { env: ENV, ...props });
  }

  public get availabilityZones(): string[] {
    return [0, 1].map(i => Fn.select(i, Fn.getAzs()));
  }
}

/** A SharedBucket with every bucket option, and user access points of every kind. */
function bucketAndUsers(app: App): void {
  const stack = new LintStack(app, 'LintBucketAndUsers');
  const breakGlass = new iam.Role(stack, 'BreakGlass', { assumedBy: new iam.AccountRootPrincipal() });
  const shared = new SharedBucket(stack, 'Shared', {
    bucketName: 'lint-shared-bucket',
    encryption: SharedBucketEncryption.KMS,
    versioned: true,
    serverAccessLogs: true,
    lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(90), abortIncompleteMultipartUploadAfter: Duration.days(7) }],
    eventBridgeEnabled: true,
    objectLockEnabled: true,
    objectLockDefaultRetention: s3.ObjectLockRetention.governance(Duration.days(30)),
    delegation: AccessPointDelegation.accessPoints('lint-*'),
    denyDirectAccess: true,
    directAccessPrincipals: [breakGlass],
  });
  const bob = new iam.User(stack, 'Bob', { userName: 'lint-bob' });
  shared.addUserAccessPoint('Bob', { identity: bob, accessPointName: 'lint-bob', consoleAccess: true, access: Access.READ_WRITE_DELETE });
  const team = new iam.Group(stack, 'Team');
  shared.addUserAccessPoint('Team', { identity: team, prefix: UserAccessPoint.PER_USER_FOLDER, accessPointName: 'lint-team' });
  const job = new iam.Role(stack, 'Job', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  shared.addUserAccessPoint('Job', { identity: job, prefix: 'jobs/', accessPointName: 'lint-job', access: Access.WRITE, identityPolicy: IdentityPolicy.MANAGED });
  const folder = new CfnParameter(stack, 'TenantFolder', { allowedPattern: FOLDER_PARAMETER_PATTERN, default: 'tenant' }).valueAsString;
  const tenant = new iam.Role(stack, 'Tenant', { assumedBy: new iam.AccountRootPrincipal() });
  shared.addUserAccessPoint('Tenant', { identity: tenant, prefix: folder, accessPointName: 'lint-tenant', access: Access.READ, exclusive: false });
}

/** VPC access points: readers with options, consumers, a write-only folder, a given endpoint. */
function vpcAccessPoints(app: App): void {
  const stack = new LintStack(app, 'LintVpc');
  const shared = new SharedBucket(stack, 'Shared');
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    natGateways: 0,
    subnetConfiguration: [
      { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ],
  });
  const consumer = new lambda.Function(stack, 'Consumer', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {};'),
    vpc,
    vpcSubnets: { subnetGroupName: 'isolated' },
  });
  const app1 = shared.addVpcAccessPoint('App', {
    vpc,
    prefix: 'app/',
    access: Access.READ_WRITE,
    consumers: [consumer],
    vpcSubnets: { subnetGroupName: 'isolated' },
    readerTimeout: Duration.minutes(2),
    readerMemorySize: 512,
  });
  app1.grantRead(new iam.Role(stack, 'Auditor', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') }));
  const ingest = new iam.Role(stack, 'Ingest', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  shared.addVpcAccessPoint('Ingest', { vpc, prefix: 'ingest/', access: Access.WRITE, reader: false, consumers: [ingest], vpcSubnets: { subnetGroupName: 'data' } });

  // A second VPC whose own endpoint is passed in and restricted.
  const other = new ec2.Vpc(stack, 'OtherVpc', { natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const endpoint = other.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
  shared.addVpcAccessPoint('Reports', { vpc: other, prefix: 'reports/', endpoint, restrictEndpoint: true, exclusive: false });
}

/** The AccessPoint L2 with grants, an adopted bucket, and a cross-account access point. */
function accessPointsAndAdoption(app: App): void {
  const owner = new LintStack(app, 'LintAdopted');
  const adopted = new SharedBucket(owner, 'Adopted', {
    bucket: s3.Bucket.fromBucketName(owner, 'Existing', 'lint-existing-bucket'),
    delegation: AccessPointDelegation.accounts(['999999999999']),
  });
  const reports = new AccessPoint(owner, 'Reports', { bucket: adopted.bucket, accessPointName: 'lint-reports' });
  const analyst = new iam.Role(owner, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() });
  reports.grantRead(analyst, 'reports/');
  reports.grantWrite(analyst, AccessPoint.ALL_KEYS);
  reports.grantList(analyst, 'reports/');
  reports.grantDelete(analyst, 'reports/tmp/');

  const partner = new LintStack(app, 'LintPartner', { env: { account: '999999999999', region: 'us-east-1' } });
  const imported = s3.Bucket.fromBucketAttributes(partner, 'Shared', { bucketName: 'lint-existing-bucket', account: ACCOUNT });
  const partnerAp = new AccessPoint(partner, 'PartnerAp', { bucket: imported, accessPointName: 'lint-partner', bucketAccountId: ACCOUNT });
  partnerAp.grantReadWrite(new iam.Role(partner, 'PartnerRole', { assumedBy: new iam.AccountRootPrincipal() }), 'partner/');
}

/** The other bucket options: a given key and log bucket, no versioning, no EventBridge; a VPC-origin L2; a shard. */
function otherOptions(app: App): void {
  const stack = new LintStack(app, 'LintOtherOptions');
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const logs = new s3.Bucket(stack, 'Logs', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  });
  const shared = new SharedBucket(stack, 'Shared', {
    encryptionKey: key,
    versioned: false,
    eventBridgeEnabled: false,
    removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    serverAccessLogsBucket: logs,
    serverAccessLogsPrefix: 'shared/',
  });
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const internal = new AccessPoint(stack, 'Internal', { bucket: shared.bucket, vpc, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL });
  internal.grantReadWrite(new iam.Role(stack, 'Batch', { assumedBy: new iam.ServicePrincipal('batch.amazonaws.com') }), 'batch/');

  const shard = new LintStack(app, 'LintShard');
  const role = iam.Role.fromRoleArn(shard, 'TenantRole', `arn:aws:iam::${ACCOUNT}:role/tenant-7`);
  new UserAccessPoint(shard, 'Tenant7', { bucket: shared.bucket, identity: role, prefix: 'tenant-7/' });
}

/**
 * Seeding through an access point, grants on many folders, outputs for consumers, console root
 * listing; and the organization guardrails, attached (in a management account's stack).
 */
function seedingOutputsAndGuardrails(app: App): void {
  const stack = new LintStack(app, 'LintSeedingAndOutputs');
  const deployRole = new iam.Role(stack, 'DeployRole', { assumedBy: new iam.AccountRootPrincipal() });
  const shared = new SharedBucket(stack, 'Shared', {
    bucketName: 'lint-seeded-bucket',
    denyDirectAccess: true,
    directAccessPrincipals: [deployRole],
    accessPointOutputs: { ssmParameterPrefix: 'lint-shared' },
  });
  new AccessPointDeployment(stack, 'Seed', { bucket: shared.bucket, sources: [s3deploy.Source.data('hello.txt', 'hello')], prefix: 'seed/' });
  const alice = new iam.User(stack, 'Alice', { userName: 'lint-alice' });
  shared.addUserAccessPoint('Alice', {
    identity: alice,
    accessPointName: 'lint-alice',
    consoleAccess: true,
    consoleRootListing: true,
    outputs: { cfnOutputs: true, exportPrefix: 'lint' },
  });
  const analytics = new AccessPoint(stack, 'Analytics', { bucket: shared.bucket, accessPointName: 'lint-analytics' });
  analytics.grantFolders(new iam.Role(stack, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() }), ['reports/', 'exports/'], Access.READ);

  const management = new LintStack(app, 'LintGuardrails');
  new AccessPointGuardrails(management, 'Guardrails', {
    bucket: s3.Bucket.fromBucketAttributes(management, 'Bucket', { bucketName: 'lint-seeded-bucket', account: ACCOUNT }),
    administrators: [iam.Role.fromRoleArn(management, 'Deployer', `arn:aws:iam::${ACCOUNT}:role/deployer`)],
    accessPointNamePattern: 'lint-*',
    tenantTag: 'tenant',
    targetIds: ['ou-abcd-12345678'],
  });
}

/** Synthesize every lint stack and the example app into `dir`; the template files. */
function synthesizeAll(dir: string): string[] {
  const app = new App({ outdir: dir });
  buildScenario(app);
  buildStrictScenario(app);
  bucketAndUsers(app);
  vpcAccessPoints(app);
  accessPointsAndAdoption(app);
  otherOptions(app);
  seedingOutputsAndGuardrails(app);
  const assembly = app.synth();
  return assembly.stacks.map(stack => path.join(dir, stack.templateFile));
}

function runCfnLint(templates: string[]): Finding[] {
  const result = spawnSync('cfn-lint', ['--format', 'json', '--', ...templates], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error('cfn-lint is not installed, so the templates cannot be linted: install AWS\'s CloudFormation linter with `pip install cfn-lint` (see README, Development)');
  }
  if (result.error) throw result.error;
  // Exit codes are a bit mask of the finding levels (2 error, 4 warning, 8 informational); 1 is a crash.
  if (result.status === 1 || result.stdout.trim() === '') {
    if (result.status === 0) return [];
    throw new Error(`cfn-lint failed (exit ${result.status}): ${result.stderr}`);
  }
  return JSON.parse(result.stdout) as Finding[];
}

describe('cfn-lint', () => {
  let findings: Finding[];
  let templates: string[];

  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-lint-'));
    try {
      const files = synthesizeAll(dir);
      templates = files.map(t => path.basename(t)).sort();
      findings = runCfnLint(files);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  test('lints the example app and the stacks that use every option', () => {
    expect(templates).toEqual([
      'LintAdopted.template.json', 'LintBucketAndUsers.template.json', 'LintGuardrails.template.json', 'LintOtherOptions.template.json',
      'LintPartner.template.json', 'LintSeedingAndOutputs.template.json', 'LintShard.template.json', 'LintVpc.template.json',
      'SharedBucketScenario.template.json', 'SharedBucketScenarioStrict.template.json',
    ]);
  });

  test('finds no error and no warning beyond the known aws-cdk-lib and action-list findings', () => {
    const unexpected = findings
      .filter(f => !KNOWN_FINDINGS.some(known => known.rule === f.Rule.Id && known.applies(f)))
      .map(f => `${path.basename(f.Filename)} ${f.Rule.Id} (${f.Level}) at ${(f.Location.Path ?? []).join('/')}: ${f.Message.slice(0, 300)}`);
    expect(unexpected).toEqual([]);
  });

  test('each known finding is still reported: an entry that matches nothing must go', () => {
    for (const known of KNOWN_FINDINGS) {
      const reported = findings.some(f => f.Rule.Id === known.rule && known.applies(f));
      expect({ rule: known.rule, reported }).toEqual({ rule: known.rule, reported: true });
    }
  });
});
