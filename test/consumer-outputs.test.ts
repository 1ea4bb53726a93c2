/**
 * Outputs for consumers: the ARN, alias, folder and console link of an access point as
 * CloudFormation outputs (optionally exported) and SSM parameters, with the names the README
 * documents ("Outputs for consumers").
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ConsumerOutputs, SharedBucket, UserAccessPoint, VpcAccessPoint } from '../src';

const ACCOUNT = '123456789012';
const ENV = { account: ACCOUNT, region: 'us-east-1' };
const apArn = (name: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:us-east-1:${ACCOUNT}:accesspoint/${name}`]] });
const CONSOLE_URL = `https://console.aws.amazon.com/s3/ap/${ACCOUNT}/bob-ap?region=us-east-1&prefix=Bob/`;

function given(sharedProps: { accessPointOutputs?: ConsumerOutputs } = {}) {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const shared = new SharedBucket(stack, 'Shared', sharedProps);
  const bob = new iam.User(stack, 'Bob', { userName: 'Bob' });
  return { stack, shared, bob };
}

function vpcOf(stack: Stack): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-12345678',
    availabilityZones: ['us-east-1a'],
    isolatedSubnetIds: ['subnet-1'],
    isolatedSubnetRouteTableIds: ['rtb-1'],
  });
}

/** The logical ID of the alias attribute's access point, for Fn::GetAtt. */
function aliasOf(stack: Stack, uap: { accessPoint: { node: { defaultChild?: unknown } } }): object {
  return { 'Fn::GetAtt': [stack.getLogicalId(uap.accessPoint.node.defaultChild as never), 'Alias'] };
}

describe('outputs for consumers', () => {
  test('nothing is published by default', () => {
    const { stack, shared, bob } = given();
    shared.addUserAccessPoint('BobAccess', { identity: bob, accessPointName: 'bob-ap' });
    const template = Template.fromStack(stack);
    expect(template.findOutputs('*')).toEqual({});
    template.resourceCountIs('AWS::SSM::Parameter', 0);
  });

  test('cfnOutputs: the ARN, alias, folder and console link of a UserAccessPoint, not exported', () => {
    const { stack, shared, bob } = given();
    const uap = shared.addUserAccessPoint('BobAccess', { identity: bob, accessPointName: 'bob-ap', outputs: { cfnOutputs: true } });
    const template = Template.fromStack(stack);
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs)).toHaveLength(4);
    template.hasOutput('*', { Value: apArn('bob-ap'), Description: Match.stringLikeRegexp('^ARN of the access point .*: bob-ap$') });
    template.hasOutput('*', { Value: aliasOf(stack, uap) });
    template.hasOutput('*', { Value: 'Bob/' });
    template.hasOutput('*', { Value: CONSOLE_URL });
    expect(JSON.stringify(outputs)).not.toContain('Export');
    expect(stack.resolve(uap.accessPoint.accessPointArn)).toEqual(apArn('bob-ap'));
  });

  test('exportPrefix exports them as <prefix>-<accessPointName>-arn|alias|folder|console-url', () => {
    const { stack, shared, bob } = given();
    shared.addUserAccessPoint('BobAccess', { identity: bob, accessPointName: 'bob-ap', outputs: { exportPrefix: 'shared' } });
    const template = Template.fromStack(stack);
    template.hasOutput('*', { Value: apArn('bob-ap'), Export: { Name: 'shared-bob-ap-arn' } });
    template.hasOutput('*', { Export: { Name: 'shared-bob-ap-alias' } });
    template.hasOutput('*', { Value: 'Bob/', Export: { Name: 'shared-bob-ap-folder' } });
    template.hasOutput('*', { Value: CONSOLE_URL, Export: { Name: 'shared-bob-ap-console-url' } });
  });

  test('the output construct ids are stable: Outputs/Arn, Alias, Folder, ConsoleUrl under the access point construct', () => {
    const { stack, shared, bob } = given();
    const uap = shared.addUserAccessPoint('BobAccess', { identity: bob, accessPointName: 'bob-ap', outputs: { cfnOutputs: true } });
    const outputs = uap.node.findChild('Outputs').node.children.map(c => c.node.id);
    expect(outputs).toEqual(['Arn', 'Alias', 'Folder', 'ConsoleUrl']);
    expect(Object.keys(Template.fromStack(stack).findOutputs('*'))).toEqual(expect.arrayContaining([expect.stringMatching(/^SharedBobAccessOutputsArn/)]));
  });

  test('ssmParameterPrefix writes /<prefix>/<accessPointName>/arn|alias|folder|console-url', () => {
    const { stack, shared, bob } = given();
    const uap = shared.addUserAccessPoint('BobAccess', { identity: bob, accessPointName: 'bob-ap', outputs: { ssmParameterPrefix: '/teams/shared/' } });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SSM::Parameter', 4);
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/teams/shared/bob-ap/arn', Type: 'String', Value: apArn('bob-ap') });
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/teams/shared/bob-ap/alias', Type: 'String', Value: aliasOf(stack, uap) });
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/teams/shared/bob-ap/folder', Type: 'String', Value: 'Bob/' });
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/teams/shared/bob-ap/console-url', Type: 'String', Value: CONSOLE_URL });
    // no CfnOutputs unless asked
    expect(template.findOutputs('*')).toEqual({});
  });

  test('a VpcAccessPoint publishes ARN, alias and folder, and no console link (the console cannot use VPC access points)', () => {
    const { stack, shared } = given();
    shared.addVpcAccessPoint('App', { vpc: vpcOf(stack), prefix: 'app', accessPointName: 'app-ap', reader: false, outputs: { exportPrefix: 'shared', ssmParameterPrefix: 'shared' } });
    const template = Template.fromStack(stack);
    template.hasOutput('*', { Value: apArn('app-ap'), Export: { Name: 'shared-app-ap-arn' } });
    template.hasOutput('*', { Export: { Name: 'shared-app-ap-alias' } });
    template.hasOutput('*', { Value: 'app/', Export: { Name: 'shared-app-ap-folder' } });
    expect(Object.keys(template.findOutputs('*'))).toHaveLength(3);
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/shared/app-ap/folder', Value: 'app/' });
    template.resourceCountIs('AWS::SSM::Parameter', 3);
  });

  test('a VpcAccessPoint created with new publishes too', () => {
    const { stack, shared } = given();
    new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc: vpcOf(stack), prefix: 'app', accessPointName: 'app-ap', reader: false, outputs: { cfnOutputs: true } });
    Template.fromStack(stack).hasOutput('*', { Value: 'app/' });
  });

  test('SharedBucket accessPointOutputs applies to every access point added through it, unless its options say otherwise', () => {
    const { stack, shared, bob } = given({ accessPointOutputs: { ssmParameterPrefix: 'shared' } });
    shared.addUserAccessPoint('BobAccess', { identity: bob, accessPointName: 'bob-ap' });
    shared.addUserAccessPoint('AliceAccess', { identity: new iam.User(stack, 'Alice', { userName: 'Alice' }), accessPointName: 'alice-ap', outputs: { cfnOutputs: true } });
    shared.addVpcAccessPoint('App', { vpc: vpcOf(stack), prefix: 'app', accessPointName: 'app-ap', reader: false });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/shared/bob-ap/arn' });
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/shared/app-ap/arn' });
    // Alice's own outputs replace the bucket's default
    expect(JSON.stringify(template.findResources('AWS::SSM::Parameter'))).not.toContain('alice-ap');
    template.hasOutput('*', { Value: 'Alice/' });
  });

  test('PER_USER_FOLDER publishes the policy-variable folder and a console link without a folder', () => {
    const { stack, shared } = given();
    const group = new iam.Group(stack, 'Team');
    shared.addUserAccessPoint('Team', { identity: group, prefix: UserAccessPoint.PER_USER_FOLDER, accessPointName: 'team-ap', outputs: { cfnOutputs: true } });
    const template = Template.fromStack(stack);
    template.hasOutput('*', { Value: '${aws:username}/' });
    template.hasOutput('*', { Value: `https://console.aws.amazon.com/s3/ap/${ACCOUNT}/team-ap?region=us-east-1` });
  });

  test.each([
    [{ exportPrefix: 'bad prefix!' }, 'outputs.exportPrefix: "bad prefix!" may contain only letters, digits, "-" and ":"'],
    [{ ssmParameterPrefix: 'a//b' }, 'outputs.ssmParameterPrefix: "a//b" may contain only'],
    [{ ssmParameterPrefix: '/aws/shared' }, 'outputs.ssmParameterPrefix: "/aws/shared" must not start with "aws" or "ssm"'],
  ])('rejects %j at synth time, naming the construct and the prop', (outputs, message) => {
    const { shared, bob } = given();
    expect(() => shared.addUserAccessPoint('BobAccess', { identity: bob, outputs })).toThrow(`UserAccessPoint at 'Stack/Shared/BobAccess' has invalid props:\n  - ${message}`);
  });

  test('rejects a bad accessPointOutputs on the SharedBucket', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    expect(() => new SharedBucket(stack, 'Shared', { accessPointOutputs: { exportPrefix: 'a b' } }))
      .toThrow(/SharedBucket at 'Stack\/Shared' has invalid props:\n {2}- accessPointOutputs.exportPrefix: "a b"/);
  });

  test('rejects a bad outputs on a VpcAccessPoint', () => {
    const { stack, shared } = given();
    expect(() => shared.addVpcAccessPoint('App', { vpc: vpcOf(stack), prefix: 'app', reader: false, outputs: { ssmParameterPrefix: 'ssm-things' } }))
      .toThrow(/VpcAccessPoint at 'Stack\/Shared\/App' has invalid props:\n {2}- outputs.ssmParameterPrefix: "ssm-things" must not start with "aws" or "ssm"/);
  });
});
