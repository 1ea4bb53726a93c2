/**
 * The scenario of the README: Alice owns a bucket; Bob uploads into his folder through his own
 * access point; an application in an isolated subnet reads its folder through a VPC-only access
 * point. Used by the CDK app (app.ts), the quick start summary (show.ts) and the tests.
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { Access, SharedBucket, UserAccessPoint, VpcAccessPoint } from '../src';

/** Options of the scenario stack. */
export interface ScenarioStackProps extends StackProps {
  /** Deny requests that do not come through an access point. */
  readonly denyDirectAccess?: boolean;
}

/** Alice's shared bucket, Bob's folder and the application's folder. */
export class ScenarioStack extends Stack {
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
    this.shared = new SharedBucket(this, 'AliceBucket', {
      bucketName: 'access-point-test',
      denyDirectAccess: props.denyDirectAccess,
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
    });
    this.app = this.shared.addVpcAccessPoint('AppAccessPoint', {
      vpc: this.vpc,
      prefix: 'app/',
      accessPointName: 'app-vpc-access-point-test',
    });
  }
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
  return new ScenarioStack(app, 'SharedBucketScenario', { env: scenarioEnv(app) });
}
