/**
 * The scenario of the README: Alice's bucket shared through access points.
 * Used by the CDK app (app.ts), the quick start summary (show.ts) and the tests.
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { SharedBucket } from '../src';

/** What the scenario built, for the summary and the tests. */
export interface Scenario {
  readonly stack: Stack;
  readonly shared: SharedBucket;
}

/** Alice's shared bucket. */
export class ScenarioStack extends Stack {
  public readonly shared: SharedBucket;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.shared = new SharedBucket(this, 'AliceBucket', { bucketName: 'access-point-test' });
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
export function buildScenario(app: App): Scenario {
  const stack = new ScenarioStack(app, 'SharedBucketScenario', { env: scenarioEnv(app) });
  return { stack, shared: stack.shared };
}
