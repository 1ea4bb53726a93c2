/**
 * The scenario of the README: Alice owns a bucket; Bob uploads into his folder through his own
 * access point; an application in an isolated subnet reads its folder through a VPC-only access
 * point. Used by the CDK app (app.ts), the quick start summary (show.ts) and the tests.
 *
 * Two variants: the library's defaults, and `strict`, which passes every applicable AWS Control
 * Tower proactive control (README, Compliance).
 */
import { Annotations, App, Fn, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { Access, SharedBucket, SharedBucketEncryption, UserAccessPoint, VpcAccessPoint } from '../src';

/** Options of the scenario stack. */
export interface ScenarioStackProps extends StackProps {
  /** Deny requests that do not come through an access point. */
  readonly denyDirectAccess?: boolean;

  /** Name of the shared bucket (the scenario app uses `access-point-test`). */
  readonly bucketName?: string;

  /**
   * Pass every applicable Control Tower proactive control: SSE-KMS, Object Lock, server access
   * logs into the organization's log archive bucket, and Bob's grants on a group.
   */
  readonly strict?: boolean;
}

/** Alice's shared bucket, Bob's folder and the application's folder. */
export class ScenarioStack extends Stack {
  public readonly shared: SharedBucket;
  public readonly bob: iam.User;
  /** Who holds Bob's grants: Bob himself, or (strict) a group with Bob as its only member. */
  public readonly bobIdentity: iam.IIdentity;
  public readonly bobAccess: UserAccessPoint;
  public readonly vpc: ec2.Vpc;
  public readonly app: VpcAccessPoint;

  /**
   * Two zones chosen at deploy time (Fn::GetAZs), as in an environment-agnostic stack: synth needs
   * no AWS credentials for a zone lookup, and the template names no zone of one Region (cfn-lint W3010).
   */
  public get availabilityZones(): string[] {
    return [0, 1].map(i => Fn.select(i, Fn.getAzs()));
  }

  constructor(scope: Construct, id: string, props: ScenarioStackProps = {}) {
    super(scope, id, props);
    const suffix = props.strict ? '-strict' : '';
    this.shared = new SharedBucket(this, 'AliceBucket', {
      bucketName: props.bucketName,
      denyDirectAccess: props.denyDirectAccess,
      ...(props.strict ? {
        encryption: SharedBucketEncryption.KMS,
        objectLockEnabled: true,
        // The account's access log bucket (S3 delivers only within an account and Region), kept by
        // the platform team's own stack, which allows delivery from this account's buckets.
        serverAccessLogsBucket: s3.Bucket.fromBucketName(this, 'AccessLogs', `s3-access-logs-${this.account}-${this.region}`),
        serverAccessLogsPrefix: `${props.bucketName ?? 'shared'}/`,
      } : {}),
    });

    if (props.strict) {
      Annotations.of(this.shared).acknowledgeWarning('cdk-shared-bucket:logDeliveryNotGranted',
        'The access log bucket belongs to the platform stack, whose bucket policy allows log delivery from this account.');
    }

    this.bob = new iam.User(this, 'Bob', { userName: `Bob${suffix}` });
    // CT.IAM.PR.4: no policy attached to a user; the strict variant grants through a group.
    this.bobIdentity = props.strict ? new iam.Group(this, 'BobUploaders', { groupName: 'bob-uploaders' }) : this.bob;
    if (props.strict) this.bob.addToGroup(this.bobIdentity as iam.Group);
    this.bobAccess = this.shared.addUserAccessPoint('BobAccessPoint', {
      identity: this.bobIdentity,
      prefix: 'Bob/',
      accessPointName: `bob-access-point-test${suffix}`,
      access: Access.READ_WRITE,
      consoleAccess: true,
    });

    this.vpc = new ec2.Vpc(this, 'AppVpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup(this)) } },
    });
    this.app = this.shared.addVpcAccessPoint('AppAccessPoint', {
      vpc: this.vpc,
      prefix: 'app/',
      accessPointName: `app-vpc-access-point-test${suffix}`,
    });
    suppressNagFindings(this, props.strict ?? false);
  }
}

/** VPC flow logs kept a year, encrypted with a key of their own (CT.CLOUDWATCH.PR.2, PR.3, CT.KMS.PR.3). */
function flowLogGroup(stack: Stack): logs.LogGroup {
  const key = new kms.Key(stack, 'FlowLogsKey', { enableKeyRotation: true, description: 'Encrypts the VPC flow logs' });
  key.grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`));
  // CT.KMS.PR.3: only AWS services may create grants on the key.
  key.addToResourcePolicy(new iam.PolicyStatement({
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  }));
  return new logs.LogGroup(stack, 'FlowLogs', { encryptionKey: key, retention: logs.RetentionDays.ONE_YEAR });
}

/**
 * cdk-nag (AwsSolutions) findings that are the design, each with the reason a reviewer needs.
 * The README's security section lists them.
 */
function suppressNagFindings(stack: ScenarioStack, strict: boolean): void {
  if (!strict) {
    NagSuppressions.addResourceSuppressions(stack.shared.bucket, [{
      id: 'AwsSolutions-S1',
      reason: 'This variant shows the defaults, and server access logs are off by default (they need a log bucket in the same account and Region; see Compliance in the README). The strict variant turns them on.',
    }]);
  }
  const accessPointArn = (name: string) => `arn:<AWS::Partition>:s3:${stack.region}:${stack.account}:accesspoint/${name}`;
  const folderGrant = (name: string, prefix: string) => ({
    id: 'AwsSolutions-IAM5',
    appliesTo: [`Resource::${accessPointArn(name)}/object/${prefix}*`],
    reason: `Folder grant: ${prefix}* through the access point ${name} is the narrowest resource that covers the folder; the bucket itself is never named.`,
  });
  const getAccessPoint = (name: string) => ({
    id: 'AwsSolutions-IAM5',
    appliesTo: ['Resource::*'],
    reason: `s3:GetAccessPoint accepts only Resource "*"; the statement is narrowed to ${name} by s3:DataAccessPointArn.`
      + ' s3:ListAllMyBuckets and s3:ListAccessPoints (console access) accept only "*" and reveal names, not data.',
  });
  const bobAccessPoint = stack.bobAccess.accessPoint.accessPointName;
  const appAccessPoint = stack.app.accessPoint.accessPointName;
  NagSuppressions.addResourceSuppressions(stack.bobIdentity, [
    folderGrant(bobAccessPoint, stack.bobAccess.prefix),
    getAccessPoint(bobAccessPoint),
  ], true);
  NagSuppressions.addResourceSuppressions(stack.app.readerFunction!, [
    folderGrant(appAccessPoint, stack.app.prefix),
    getAccessPoint(appAccessPoint),
    {
      id: 'AwsSolutions-IAM4',
      appliesTo: [
        'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
        'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
      ],
      reason: 'AWS-maintained minimum for a Lambda function: writing its own logs, and managing its network interfaces in the VPC.',
    },
  ], true);
}

/** The account and Region to synthesize for: context or environment, else the documented defaults. */
export function scenarioEnv(app: App): { account: string; region: string } {
  return {
    account: app.node.tryGetContext('account') ?? process.env.CDK_DEFAULT_ACCOUNT ?? '123456789012',
    region: app.node.tryGetContext('region') ?? process.env.CDK_DEFAULT_REGION ?? 'us-east-1',
  };
}

/** Build the scenario into `app`. */
export function buildScenario(app: App): ScenarioStack {
  return new ScenarioStack(app, 'SharedBucketScenario', { env: scenarioEnv(app), bucketName: 'access-point-test' });
}

/** Build the strict variant into `app`. */
export function buildStrictScenario(app: App): ScenarioStack {
  return new ScenarioStack(app, 'SharedBucketScenarioStrict', { env: scenarioEnv(app), bucketName: 'access-point-test-strict', strict: true });
}
