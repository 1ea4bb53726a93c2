import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ScenarioStack } from '../examples/scenario';
import { SharedBucket } from '../src';

const ENV = { account: '123456789012', region: 'us-east-1' };

function checkedScenario(props: { denyDirectAccess?: boolean; strict?: boolean } = {}) {
  const app = new App();
  const stack = new ScenarioStack(app, 'Scenario', { env: ENV, bucketName: 'access-point-test', ...props });
  Aspects.of(stack).add(new AwsSolutionsChecks({ verbose: true }));
  app.synth();
  return stack;
}

/** Every cdk-nag suppression in the template: rule id, what it applies to, and the reason. */
function suppressions(stack: ScenarioStack) {
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, any>;
  return Object.entries(resources).flatMap(([logicalId, resource]) =>
    (resource.Metadata?.cdk_nag?.rules_to_suppress ?? []).map((rule: any) => ({ logicalId, ...rule })));
}

describe('cdk-nag AwsSolutions on the example scenario', () => {
  test.each([
    ['default', {}],
    ['denyDirectAccess', { denyDirectAccess: true }],
    ['strict', { strict: true }],
  ])('reports no errors and no warnings (%s)', (_name, props) => {
    const stack = checkedScenario(props);
    const findings = [
      ...Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-')),
      ...Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-')),
    ];
    expect(findings.map(f => `${f.id}: ${String(f.entry.data).slice(0, 120)}`)).toEqual([]);
  });

  test.each([
    ['default', false, 'bob-access-point-test', ['AwsSolutions-S1 (all)']],
    ['strict', true, 'bob-access-point-test-strict', []],
  ])('suppresses only the documented findings, each scoped and with a reason (%s)', (_name, strict, bobAccessPoint, extra) => {
    const found = suppressions(checkedScenario({ strict }));
    const appAccessPoint = strict ? 'app-vpc-access-point-test-strict' : 'app-vpc-access-point-test';
    // applyToChildren repeats each suppression on the construct's children: compare the distinct ones.
    expect([...new Set(found.map(s => `${s.id} ${(s.applies_to ?? ['(all)']).join(' ')}`))].sort()).toEqual([
      'AwsSolutions-IAM4 Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
      'AwsSolutions-IAM5 Resource::*',
      `AwsSolutions-IAM5 Resource::arn:<AWS::Partition>:s3:us-east-1:123456789012:accesspoint/${appAccessPoint}/object/app/*`,
      `AwsSolutions-IAM5 Resource::arn:<AWS::Partition>:s3:us-east-1:123456789012:accesspoint/${bobAccessPoint}/object/Bob/*`,
      ...extra,
    ].sort());
    for (const suppression of found) {
      expect(suppression.reason.length).toBeGreaterThan(60);
    }
  });

  test('finds the folder wildcard when nothing suppresses it', () => {
    // Proves the check runs at all: a UserAccessPoint without the scenario's suppressions.
    const app = new App();
    const stack = new Stack(app, 'Bare', { env: ENV });
    new SharedBucket(stack, 'Shared').addUserAccessPoint('Bob', { identity: new iam.User(stack, 'Bob', { userName: 'Bob' }) });
    Aspects.of(stack).add(new AwsSolutionsChecks());
    app.synth();
    expect(Annotations.fromStack(stack).findError('/Bare/Bob/DefaultPolicy/Resource', Match.stringLikeRegexp('AwsSolutions-IAM5'))).toHaveLength(1);
  });
});
