/**
 * The scenario of the README: Alice owns a bucket; Bob uploads into his folder through his own
 * access point; an application in an isolated subnet reads its folder through a VPC-only access
 * point. Used by the CDK app (app.ts), the quick start summary (show.ts) and the tests.
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { Access, SharedBucket, UserAccessPoint, VpcAccessPoint } from '../src';

/** Options of the scenario stack. */
export interface ScenarioStackProps extends StackProps {
  /** Deny requests that do not come through an access point. */
  readonly denyDirectAccess?: boolean;

  /** Name of the shared bucket (the scenario app uses `access-point-test`). */
  readonly bucketName?: string;
}

/** Alice's shared bucket, Bob's folder and the application's folder. */
export class ScenarioStack extends Stack {
  public readonly accessLogs: s3.Bucket;
  public readonly shared: SharedBucket;
  public readonly bob: iam.User;
  public readonly bobAccess: UserAccessPoint;
  public readonly vpc: ec2.Vpc;
  public readonly app: VpcAccessPoint;

  /** Named zones instead of a lookup, so that synth needs no AWS credentials. */
  public get availabilityZones(): string[] {
    return [`${this.region}a`, `${this.region}b`];
  }

  constructor(scope: Construct, id: string, props: ScenarioStackProps = {}) {
    super(scope, id, props);
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
    });
    this.shared = new SharedBucket(this, 'AliceBucket', {
      bucketName: props.bucketName,
      denyDirectAccess: props.denyDirectAccess,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'access-point-test/',
    });

    this.bob = new iam.User(this, 'Bob', { userName: 'Bob' });
    this.bobAccess = this.shared.addUserAccessPoint('BobAccessPoint', {
      identity: this.bob,
      accessPointName: 'bob-access-point-test',
      access: Access.READ_WRITE,
      consoleAccess: true,
    });

    this.vpc = new ec2.Vpc(this, 'AppVpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs() } },
    });
    this.app = this.shared.addVpcAccessPoint('AppAccessPoint', {
      vpc: this.vpc,
      prefix: 'app/',
      accessPointName: 'app-vpc-access-point-test',
    });
    suppressNagFindings(this);
  }
}

/**
 * cdk-nag (AwsSolutions) findings that are the design, each with the reason a reviewer needs.
 * The README's security section lists them.
 */
function suppressNagFindings(stack: ScenarioStack): void {
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
  NagSuppressions.addResourceSuppressions(stack.bob, [
    folderGrant('bob-access-point-test', stack.bobAccess.prefix),
    getAccessPoint('bob-access-point-test'),
  ], true);
  NagSuppressions.addResourceSuppressions(stack.app.readerFunction!, [
    folderGrant('app-vpc-access-point-test', stack.app.prefix),
    getAccessPoint('app-vpc-access-point-test'),
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
