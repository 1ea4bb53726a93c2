import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Access, NetworkOrigin, SharedBucket, SharedBucketEncryption, SharedBucketProps, VpcAccessPoint, VpcAccessPointProps } from '../src';
import { errorOf } from './helpers';
import { FOLDER_PARAMETER_PATTERN } from '../src/validation';

const ACCOUNT = '123456789012';
const ENV = { account: ACCOUNT, region: 'us-east-1' };
const NAME = 'app-vpc-access-point-test';
const BUCKET_ARN = { 'Fn::GetAtt': ['SharedBucketE0A46A06', 'Arn'] };
const READ_OBJECT_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion'];
/** Every level that reads lists versions too (a version ID must be found to be read). */
const READ_LIST_ACTIONS = ['s3:ListBucket', 's3:ListBucketVersions'];
const READ_WRITE_OBJECT_ACTIONS = ['s3:AbortMultipartUpload', 's3:GetObject', 's3:GetObjectVersion', 's3:ListMultipartUploadParts', 's3:PutObject'];

/** `arn:PARTITION:s3:us-east-1:ACCOUNT:accesspoint/NAME` plus `suffix`, as CloudFormation renders it. */
function accessPointArn(name = NAME, suffix = '') {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:us-east-1:${ACCOUNT}:accesspoint/${name}${suffix}`]] };
}

function bucketObjectArn(keyPattern: string) {
  return { 'Fn::Join': ['', [BUCKET_ARN, `/${keyPattern}`]] };
}

function listCondition(prefix: string) {
  return { StringLike: { 's3:prefix': [prefix, `${prefix}*`] } };
}

type SubnetShape = 'isolated' | 'publicOnly' | 'publicAndEgress' | 'publicAndIsolated' | 'twoIsolatedGroups';

function createVpc(scope: Stack, shape: SubnetShape = 'isolated', id = 'Vpc'): ec2.Vpc {
  const shapes: Record<SubnetShape, { natGateways: number; subnetConfiguration: ec2.SubnetConfiguration[] }> = {
    isolated: { natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] },
    publicOnly: { natGateways: 0, subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC }] },
    publicAndEgress: {
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'egress', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      ],
    },
    publicAndIsolated: {
      natGateways: 0,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      ],
    },
    twoIsolatedGroups: {
      natGateways: 0,
      subnetConfiguration: [
        { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      ],
    },
  };
  return new ec2.Vpc(scope, id, { maxAzs: 2, ...shapes[shape] });
}

interface Given {
  readonly app: App;
  readonly stack: Stack;
  readonly shared: SharedBucket;
  readonly vpc: ec2.Vpc;
}

/** GIVEN a stack with a SharedBucket and a VPC of the given shape. */
function given(shape: SubnetShape = 'isolated', sharedProps: SharedBucketProps = {}): Given {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: ENV });
  const shared = new SharedBucket(stack, 'Shared', sharedProps);
  const vpc = createVpc(stack, shape);
  return { app, stack, shared, vpc };
}

/** GIVEN the default scenario, WHEN one VpcAccessPoint `App` is added with `props`. */
function synth(props: Partial<VpcAccessPointProps> = {}, shape: SubnetShape = 'isolated') {
  const { stack, shared, vpc } = given(shape);
  const vpcAccessPoint = new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app', accessPointName: NAME, ...props });
  return { stack, shared, vpc, vpcAccessPoint, template: Template.fromStack(stack) };
}


function theOnly(template: Template, type: string, logicalIdPattern: RegExp = /./): { logicalId: string; properties: any } {
  const matches = Object.entries(template.findResources(type)).filter(([logicalId]) => logicalIdPattern.test(logicalId));
  expect(matches.map(([logicalId]) => logicalId)).toHaveLength(1);
  return { logicalId: matches[0][0], properties: (matches[0][1] as any).Properties };
}

function endpointStatementsOf(template: Template): any[] {
  return theOnly(template, 'AWS::EC2::VPCEndpoint').properties.PolicyDocument.Statement;
}

/** The statements of the identity policies attached to the role whose logical ID starts with `rolePrefix`. */
function roleStatements(template: Template, rolePrefix: string): any[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: Match.stringLikeRegexp(`^${rolePrefix}`) }]) },
  });
  return Object.values(policies).flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);
}

const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

function getAccessPointStatement(name = NAME) {
  return {
    Effect: 'Allow',
    Action: 's3:GetAccessPoint',
    Resource: '*',
    Condition: { StringEquals: { 's3:DataAccessPointArn': accessPointArn(name) } },
  };
}

describe('VpcAccessPoint', () => {
  describe('access point', () => {
    test('creates a VPC-origin access point for the VPC with every public access block', () => {
      const { template, vpcAccessPoint } = synth();
      template.resourceCountIs('AWS::S3::AccessPoint', 1);
      template.hasResourceProperties('AWS::S3::AccessPoint', {
        Bucket: { Ref: 'SharedBucketE0A46A06' },
        VpcConfiguration: { VpcId: { Ref: Match.stringLikeRegexp('^Vpc[0-9A-F]{8}$') } },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
        },
      });
      expect(vpcAccessPoint.accessPoint.networkOrigin).toBe(NetworkOrigin.VPC);
    });

    test('passes the access point name through', () => {
      const { template, vpcAccessPoint } = synth({ accessPointName: 'reports-from-vpc' });
      template.hasResourceProperties('AWS::S3::AccessPoint', { Name: 'reports-from-vpc' });
      expect(vpcAccessPoint.accessPoint.accessPointName).toBe('reports-from-vpc');
    });

    test('generates a valid access point name when none is given', () => {
      const { template } = synth({ accessPointName: undefined });
      const name: string = theOnly(template, 'AWS::S3::AccessPoint').properties.Name;
      expect(name).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
      expect(name.length).toBeGreaterThanOrEqual(3);
      expect(name.length).toBeLessThanOrEqual(50);
    });

    test('appends a slash to the prefix so that app never matches apple/', () => {
      const { vpcAccessPoint, template } = synth({ prefix: 'app' });
      expect(vpcAccessPoint.prefix).toBe('app/');
      template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { PREFIX: 'app/' } } });
    });

    test('keeps a prefix that already ends in a slash', () => {
      expect(synth({ prefix: 'team/app/' }).vpcAccessPoint.prefix).toBe('team/app/');
    });

    test('gives consumers Access.READ by default', () => {
      expect(synth().vpcAccessPoint.access).toBe(Access.READ);
    });
  });

  describe('endpoint', () => {
    test('creates one S3 gateway endpoint on the route tables of the isolated subnets', () => {
      const { template, vpcAccessPoint } = synth();
      template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Gateway',
        VpcId: { Ref: Match.stringLikeRegexp('^Vpc[0-9A-F]{8}$') },
        ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] },
        RouteTableIds: [
          { Ref: Match.stringLikeRegexp('^VpcisolatedSubnet1RouteTable') },
          { Ref: Match.stringLikeRegexp('^VpcisolatedSubnet2RouteTable') },
        ],
      });
      expect(vpcAccessPoint.endpoint).toBeInstanceOf(ec2.GatewayVpcEndpoint);
    });

    test('adds only the route tables of the selected subnets, not the public ones', () => {
      const { template } = synth({}, 'publicAndIsolated');
      const routeTableIds = theOnly(template, 'AWS::EC2::VPCEndpoint').properties.RouteTableIds;
      expect(routeTableIds).toEqual([
        { Ref: expect.stringMatching(/^VpcisolatedSubnet1RouteTable/) },
        { Ref: expect.stringMatching(/^VpcisolatedSubnet2RouteTable/) },
      ]);
    });

    test('shares one endpoint between the access points of a VPC, adding up their route tables and folders', () => {
      // GIVEN
      const { stack, shared, vpc } = given('twoIsolatedGroups');
      // WHEN
      const one = new VpcAccessPoint(stack, 'One', { bucket: shared.bucket, vpc, prefix: 'one', accessPointName: 'one-vpc', vpcSubnets: { subnetGroupName: 'isolated' } });
      const two = new VpcAccessPoint(stack, 'Two', { bucket: shared.bucket, vpc, prefix: 'two', accessPointName: 'two-vpc', vpcSubnets: { subnetGroupName: 'data' } });
      // THEN
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
      expect(one.endpoint).toBe(two.endpoint);
      const endpoint = theOnly(template, 'AWS::EC2::VPCEndpoint').properties;
      expect(endpoint.RouteTableIds).toEqual([
        { Ref: expect.stringMatching(/^VpcisolatedSubnet1RouteTable/) },
        { Ref: expect.stringMatching(/^VpcisolatedSubnet2RouteTable/) },
        { Ref: expect.stringMatching(/^VpcdataSubnet1RouteTable/) },
        { Ref: expect.stringMatching(/^VpcdataSubnet2RouteTable/) },
      ]);
      const resources = JSON.stringify(endpoint.PolicyDocument.Statement.map((s: any) => s.Resource));
      expect(resources).toContain('accesspoint/one-vpc/object/one/*');
      expect(resources).toContain('accesspoint/two-vpc/object/two/*');
      expect(resources).toContain('"/one/*"');
      expect(resources).toContain('"/two/*"');
    });

    test('lists each route table once when access points select the same subnets', () => {
      const { stack, shared, vpc } = given();
      new VpcAccessPoint(stack, 'One', { bucket: shared.bucket, vpc, prefix: 'one', accessPointName: 'one-vpc' });
      new VpcAccessPoint(stack, 'Two', { bucket: shared.bucket, vpc, prefix: 'two', accessPointName: 'two-vpc' });
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
      expect(theOnly(template, 'AWS::EC2::VPCEndpoint').properties.RouteTableIds).toHaveLength(2);
    });

    test('reuses a given endpoint and leaves its policy alone, with a warning', () => {
      // GIVEN
      const { stack, shared, vpc } = given();
      const endpoint = vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
      // WHEN
      const vpcAccessPoint = new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app', accessPointName: NAME, endpoint });
      // THEN
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
      expect(theOnly(template, 'AWS::EC2::VPCEndpoint').logicalId).toMatch(/^VpcS3/);
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', { PolicyDocument: Match.absent() });
      expect(vpcAccessPoint.endpoint).toBe(endpoint);
      // an endpoint without a policy lets everything through: the warning says so, not "must allow"
      Annotations.fromStack(stack).hasWarning('/Stack/App', Match.stringLikeRegexp(
        'endpoint: the given endpoint has no policy, so it lets every S3 request from the VPC through .*set restrictEndpoint: true'));
    });

    test('reuses a given endpoint with a policy of its own, with a warning that the policy must allow the folder', () => {
      const { stack, shared, vpc } = given();
      const endpoint = vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
      new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app', accessPointName: NAME, endpoint });
      // a statement added after the access point counts: the warning is decided at synth
      endpoint.addToPolicy(new iam.PolicyStatement({ principals: [new iam.AnyPrincipal()], actions: ['s3:GetObject'], resources: ['arn:aws:s3:::other-bucket/*'] }));
      Annotations.fromStack(stack).hasWarning('/Stack/App', Match.stringLikeRegexp(
        'endpoint: the policy of the given endpoint is left as it is. It must allow the access point and bucket ARNs of this folder'));
    });

    test('writes the folder into the policy of a given endpoint with restrictEndpoint', () => {
      const { stack, shared, vpc } = given();
      const endpoint = vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
      new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app', accessPointName: NAME, endpoint, restrictEndpoint: true });
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({
            Action: READ_OBJECT_ACTIONS,
            Resource: [accessPointArn(NAME, '/object/app/*'), bucketObjectArn('app/*')],
          })]),
        },
      });
      Annotations.fromStack(stack).hasNoWarning('/Stack/App', Match.stringLikeRegexp('cdk-shared-bucket:endpointPolicyUnchanged'));
    });

    test('reuses an imported endpoint, with a warning', () => {
      const { stack, shared, vpc } = given();
      const endpoint = ec2.GatewayVpcEndpoint.fromGatewayVpcEndpointId(stack, 'E', 'vpce-123');
      const vpcAccessPoint = new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app', accessPointName: NAME, endpoint });
      Template.fromStack(stack).resourceCountIs('AWS::EC2::VPCEndpoint', 0);
      expect(vpcAccessPoint.endpoint.vpcEndpointId).toBe('vpce-123');
      // its policy cannot be seen here
      Annotations.fromStack(stack).hasWarning('/Stack/App', Match.stringLikeRegexp('endpoint: the policy of the given endpoint is left as it is'));
    });

    test('fails if restrictEndpoint is set for an imported endpoint', () => {
      const { stack, shared, vpc } = given();
      const endpoint = ec2.GatewayVpcEndpoint.fromGatewayVpcEndpointId(stack, 'E', 'vpce-123');
      const message = errorOf(() => new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app', endpoint, restrictEndpoint: true }));
      expect(message).toMatch(/^VpcAccessPoint at 'Stack\/App' has invalid props:\n {2}- restrictEndpoint: the endpoint is imported/);
    });

    test('works with a VPC defined in another stack of the same account and Region', () => {
      // The usual layout: a network stack owns the VPC, the application stack the bucket and its
      // access points. The endpoint policy names the bucket, the access point names the VPC:
      // wherever the endpoint lives, the two stacks must not depend on each other.
      const app = new App();
      const network = new Stack(app, 'Network', { env: ENV });
      const stack = new Stack(app, 'Stack', { env: ENV });
      const vpc = createVpc(network);
      const shared = new SharedBucket(stack, 'Shared');
      shared.addVpcAccessPoint('App', { vpc, prefix: 'app', accessPointName: NAME });

      expect(() => app.synth()).not.toThrow();
      const endpoints = [network, stack].flatMap(s => Object.values(Template.fromStack(s).findResources('AWS::EC2::VPCEndpoint')));
      expect(endpoints).toHaveLength(1);
      expect(JSON.stringify(endpoints[0])).toContain(`accesspoint/${NAME}/object/app/*`);
    });
  });

  describe('endpoint policy', () => {
    test('allows exactly the read actions on the folder, through the access point and in the bucket', () => {
      const statements = endpointStatementsOf(synth().template);
      const objectStatements = statements.filter(s => asArray(s.Action).some(a => String(a).includes('Object')));
      expect(objectStatements).toEqual([{
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: READ_OBJECT_ACTIONS,
        Resource: [accessPointArn(NAME, '/object/app/*'), bucketObjectArn('app/*')],
      }]);
    });

    test('allows listing only the folder, on the access point and on the bucket', () => {
      const statements = endpointStatementsOf(synth().template);
      expect(statements.filter(s => asArray(s.Action).includes('s3:ListBucket'))).toEqual([{
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: READ_LIST_ACTIONS,
        Resource: [accessPointArn(), BUCKET_ARN],
        Condition: listCondition('app/'),
      }]);
    });

    test('allows nothing else', () => {
      expect(endpointStatementsOf(synth().template)).toHaveLength(2);
    });

    test('adds the write actions for Access.READ_WRITE, without delete', () => {
      const statements = endpointStatementsOf(synth({ access: Access.READ_WRITE }).template);
      expect(statements).toContainEqual(expect.objectContaining({
        Action: READ_WRITE_OBJECT_ACTIONS,
        Resource: [accessPointArn(NAME, '/object/app/*'), bucketObjectArn('app/*')],
      }));
      expect(JSON.stringify(statements)).not.toMatch(/s3:Delete/);
    });

    test('lets the reader through when consumers only write', () => {
      // GIVEN consumers with Access.WRITE, and the reader (always READ)
      const statements = endpointStatementsOf(synth({ access: Access.WRITE }).template);
      // THEN the endpoint lets both the writes and the reader's reads and listings through
      expect(statements).toContainEqual(expect.objectContaining({ Action: ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'] }));
      expect(statements).toContainEqual(expect.objectContaining({ Action: READ_OBJECT_ACTIONS }));
      expect(statements).toContainEqual(expect.objectContaining({ Action: READ_LIST_ACTIONS, Condition: listCondition('app/') }));
    });

    test('adds read statements for later grantRead calls once', () => {
      const { stack, shared, vpc } = given();
      const app = new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app', accessPointName: NAME, access: Access.WRITE, reader: false });
      app.grantRead(new iam.Role(stack, 'One', { assumedBy: new iam.AccountRootPrincipal() }));
      app.grantRead(new iam.Role(stack, 'Two', { assumedBy: new iam.AccountRootPrincipal() }));
      // the write statement, then one object-read and one listing statement
      expect(endpointStatementsOf(Template.fromStack(stack)).map(s => s.Action)).toEqual([
        ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'], READ_OBJECT_ACTIONS, READ_LIST_ACTIONS,
      ]);
    });

    test('never grants s3:* or every resource', () => {
      for (const access of [Access.READ, Access.WRITE, Access.READ_WRITE, Access.READ_WRITE_DELETE]) {
        const statements = endpointStatementsOf(synth({ access }).template);
        expect(statements.length).toBeGreaterThan(0);
        for (const statement of statements) {
          expect(statement.Effect).toBe('Allow');
          expect(asArray(statement.Action)).not.toContain('*');
          expect(asArray(statement.Action)).not.toContain('s3:*');
          expect(asArray(statement.Resource)).not.toContain('*');
          expect(asArray(statement.Resource)).not.toContainEqual(bucketObjectArn('*'));
        }
      }
    });
  });

  describe('reader function', () => {
    test('runs on Node.js 24 in the isolated subnets', () => {
      const { template } = synth();
      const reader = theOnly(template, 'AWS::Lambda::Function', /^AppReader/).properties;
      expect(reader.Handler).toBe('index.handler');
      const [, major] = /^nodejs(\d+)\.x$/.exec(reader.Runtime) ?? [];
      expect(Number(major)).toBeGreaterThanOrEqual(22);
      expect(reader.VpcConfig.SubnetIds).toEqual([
        { Ref: expect.stringMatching(/^VpcisolatedSubnet1Subnet/) },
        { Ref: expect.stringMatching(/^VpcisolatedSubnet2Subnet/) },
      ]);
    });

    test('has its own security group without inbound rules', () => {
      const { template } = synth();
      const reader = theOnly(template, 'AWS::Lambda::Function', /^AppReader/).properties;
      const securityGroup = theOnly(template, 'AWS::EC2::SecurityGroup', /^AppReaderSecurityGroup/);
      expect(reader.VpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [securityGroup.logicalId, 'GroupId'] }]);
      expect(securityGroup.properties.SecurityGroupIngress).toBeUndefined();
      template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    });

    test('gets the access point ARN and the folder in its environment', () => {
      synth().template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: { ACCESS_POINT_ARN: accessPointArn(), PREFIX: 'app/' } },
      });
    });

    test('may look up the access point, and read and list the folder through it', () => {
      const statements = roleStatements(synth().template, 'AppReaderServiceRole');
      expect(statements).toEqual([
        getAccessPointStatement(),
        { Effect: 'Allow', Action: READ_OBJECT_ACTIONS, Resource: accessPointArn(NAME, '/object/app/*') },
        { Effect: 'Allow', Action: READ_LIST_ACTIONS, Resource: accessPointArn(), Condition: listCondition('app/') },
      ]);
    });

    test('may not use the bucket directly', () => {
      const statements = roleStatements(synth().template, 'AppReaderServiceRole');
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements) {
        expect(JSON.stringify(statement.Resource)).not.toContain('SharedBucketE0A46A06');
      }
    });

    test('only reads, even when consumers may write', () => {
      const statements = roleStatements(synth({ access: Access.READ_WRITE }).template, 'AppReaderServiceRole');
      expect(JSON.stringify(statements)).not.toMatch(/s3:PutObject|s3:AbortMultipartUpload|s3:Delete/);
      expect(statements).toContainEqual(expect.objectContaining({ Action: READ_OBJECT_ACTIONS }));
    });

    test('is exposed as readerFunction', () => {
      const { stack, vpcAccessPoint, template } = synth();
      const reader = theOnly(template, 'AWS::Lambda::Function', /^AppReader/);
      expect(vpcAccessPoint.readerFunction).toBeDefined();
      expect(stack.resolve(vpcAccessPoint.readerFunction!.functionName)).toEqual({ Ref: reader.logicalId });
    });

    test('has a timeout and memory for streaming large objects, not Lambda\'s 3 seconds and 128 MB', () => {
      const reader = theOnly(synth().template, 'AWS::Lambda::Function', /^AppReader/).properties;
      expect(reader).toMatchObject({ Timeout: 300, MemorySize: 1024 });
    });

    test('takes its timeout and memory from readerTimeout and readerMemorySize', () => {
      const { template } = synth({ readerTimeout: Duration.minutes(15), readerMemorySize: 10240 });
      expect(theOnly(template, 'AWS::Lambda::Function', /^AppReader/).properties).toMatchObject({ Timeout: 900, MemorySize: 10240 });
    });

    test.each([
      ['a timeout over 15 minutes', { readerTimeout: Duration.minutes(16) },
        'readerTimeout: 16 minutes must be a whole number of seconds from 1 second to 15 minutes (Lambda\'s limits)'],
      ['a timeout under 1 second', { readerTimeout: Duration.millis(500) }, 'readerTimeout: 500 millis must be a whole number of seconds'],
      ['a timeout of a fraction of a second', { readerTimeout: Duration.millis(1500) }, 'readerTimeout: 1 second 500 millis must be a whole number of seconds'],
      ['memory under 128 MB', { readerMemorySize: 64 }, 'readerMemorySize: 64 must be a whole number of MB from 128 to 10240 (Lambda\'s limits)'],
      ['memory over 10,240 MB', { readerMemorySize: 10241 }, 'readerMemorySize: 10241 must be a whole number of MB from 128 to 10240'],
      ['a fraction of a MB', { readerMemorySize: 512.5 }, 'readerMemorySize: 512.5 must be a whole number of MB'],
      ['reader options without a reader', { reader: false, readerTimeout: Duration.minutes(1), readerMemorySize: 512 },
        'readerTimeout: only applies to the reader function, and reader is false'],
    ])('fails for %s', (_, props, problem) => {
      const { stack, shared, vpc } = given();
      const message = errorOf(() => new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app', ...props }));
      expect(message).toMatch(/^VpcAccessPoint at 'Stack\/App' has invalid props:\n/);
      expect(message).toContain(`  - ${problem}`);
    });

    test('names both reader options when reader is false', () => {
      const { stack, shared, vpc } = given();
      const message = errorOf(() => new VpcAccessPoint(stack, 'App', {
        bucket: shared.bucket, vpc, prefix: 'app', reader: false, readerTimeout: Duration.minutes(1), readerMemorySize: 512,
      }));
      expect(message).toContain('  - readerMemorySize: only applies to the reader function, and reader is false');
    });

    test('is not created with reader: false', () => {
      const { vpcAccessPoint, template } = synth({ reader: false });
      expect(vpcAccessPoint.readerFunction).toBeUndefined();
      template.resourceCountIs('AWS::Lambda::Function', 0);
      template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
      // The access point and the endpoint stay.
      template.resourceCountIs('AWS::S3::AccessPoint', 1);
      template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    });
  });

  describe('exclusive', () => {
    /** The principals the DenyOtherPrincipals statement spares, resolved. */
    function spared(stack: Stack): unknown[] {
      const policy = theOnly(Template.fromStack(stack), 'AWS::S3::AccessPoint').properties.Policy;
      const deny = policy.Statement.find((statement: any) => statement.Sid === 'DenyOtherPrincipals');
      expect(deny).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' } });
      expect(deny.Action).toContain('s3:GetObject*');
      return deny.Condition.ArnNotLike['aws:PrincipalArn'];
    }

    test('denies every principal but the reader at the access point by default', () => {
      const { stack, vpcAccessPoint } = synth();
      expect(spared(stack)).toEqual([stack.resolve(vpcAccessPoint.readerFunction!.role!.roleArn)]);
    });

    test('spares the consumers and every later grantee', () => {
      const { stack, shared, vpc } = given();
      const consumer = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
      const later = new iam.Role(stack, 'Later', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
      const app = new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app', reader: false, consumers: [consumer] });
      app.grantRead(later);
      expect(spared(stack)).toEqual([stack.resolve(consumer.roleArn), stack.resolve(later.roleArn)]);
    });

    test('spares only the account root while nobody is granted', () => {
      const { stack } = synth({ reader: false });
      expect(spared(stack)).toEqual([{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:root']] }]);
    });

    test('writes no deny with exclusive: false', () => {
      const { template } = synth({ exclusive: false });
      template.hasResourceProperties('AWS::S3::AccessPoint', { Policy: Match.absent() });
    });

    test('fails if a consumer has no ARN the deny could spare', () => {
      const { stack, shared, vpc } = given();
      expect(errorOf(() => new VpcAccessPoint(stack, 'App', {
        bucket: shared.bucket, vpc, prefix: 'app', consumers: [new iam.ServicePrincipal('ecs-tasks.amazonaws.com')],
      }))).toMatch(/consumers\[0\]: cannot tell the ARN of .*set exclusive: false/);
    });
  });

  describe('consumers', () => {
    test('grants a role the access actions on the access point and the lookup', () => {
      // GIVEN
      const { stack, shared, vpc } = given();
      const role = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
      // WHEN
      new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app', accessPointName: NAME, access: Access.READ_WRITE, consumers: [role] });
      // THEN
      expect(roleStatements(Template.fromStack(stack), 'Consumer')).toEqual([
        getAccessPointStatement(),
        { Effect: 'Allow', Action: READ_WRITE_OBJECT_ACTIONS, Resource: accessPointArn(NAME, '/object/app/*') },
        { Effect: 'Allow', Action: READ_LIST_ACTIONS, Resource: accessPointArn(), Condition: listCondition('app/') },
      ]);
    });

    test('grants a function the access actions through its role', () => {
      const { stack, shared, vpc } = given();
      const fn = new lambda.Function(stack, 'Consumer', {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => {};'),
        vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      });
      new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app', accessPointName: NAME, reader: false, consumers: [fn] });
      expect(roleStatements(Template.fromStack(stack), 'ConsumerServiceRole')).toEqual([
        getAccessPointStatement(),
        { Effect: 'Allow', Action: READ_OBJECT_ACTIONS, Resource: accessPointArn(NAME, '/object/app/*') },
        { Effect: 'Allow', Action: READ_LIST_ACTIONS, Resource: accessPointArn(), Condition: listCondition('app/') },
      ]);
    });

    test('grants consumers nothing on the bucket itself', () => {
      const { stack, shared, vpc } = given();
      const role = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
      new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app', accessPointName: NAME, access: Access.READ_WRITE_DELETE, consumers: [role] });
      const statements = roleStatements(Template.fromStack(stack), 'Consumer');
      expect(statements).toContainEqual(expect.objectContaining({ Action: expect.arrayContaining(['s3:DeleteObject']) }));
      expect(JSON.stringify(statements)).not.toContain('SharedBucketE0A46A06');
    });

    test('grantRead lets a principal added later read the folder', () => {
      // GIVEN
      const { stack, shared, vpc } = given();
      const vpcAccessPoint = new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app', accessPointName: NAME });
      const role = new iam.Role(stack, 'Later', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
      // WHEN
      const grant = vpcAccessPoint.grantRead(role);
      // THEN
      expect(grant.success).toBe(true);
      expect(roleStatements(Template.fromStack(stack), 'Later')).toEqual([
        getAccessPointStatement(),
        { Effect: 'Allow', Action: READ_OBJECT_ACTIONS, Resource: accessPointArn(NAME, '/object/app/*') },
        { Effect: 'Allow', Action: READ_LIST_ACTIONS, Resource: accessPointArn(), Condition: listCondition('app/') },
      ]);
    });
  });

  describe('encryption', () => {
    test('lets the reader decrypt with the bucket key of a KMS SharedBucket', () => {
      const { stack, shared, vpc } = given('isolated', { encryption: SharedBucketEncryption.KMS });
      new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app', accessPointName: NAME });
      const statements = roleStatements(Template.fromStack(stack), 'AppReaderServiceRole');
      expect(statements).toContainEqual({
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^SharedBucketKey/), 'Arn'] },
      });
      expect(JSON.stringify(statements)).not.toContain('kms:GenerateDataKey');
    });

    test('lets writing consumers generate data keys', () => {
      const { stack, shared, vpc } = given('isolated', { encryption: SharedBucketEncryption.KMS });
      const role = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
      new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app', accessPointName: NAME, access: Access.READ_WRITE, consumers: [role] });
      expect(roleStatements(Template.fromStack(stack), 'Consumer')).toContainEqual({
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^SharedBucketKey/), 'Arn'] },
      });
    });
  });

  describe('SharedBucket.addVpcAccessPoint', () => {
    test('creates the VpcAccessPoint under the SharedBucket and lists its access point', () => {
      // GIVEN
      const { stack, shared, vpc } = given();
      // WHEN
      const vpcAccessPoint = shared.addVpcAccessPoint('App', { vpc, prefix: 'app', accessPointName: NAME });
      // THEN
      expect(vpcAccessPoint.node.path).toBe('Stack/Shared/App');
      expect(shared.accessPoints).toEqual([vpcAccessPoint.accessPoint]);
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::S3::AccessPoint', {
        Bucket: { Ref: 'SharedBucketE0A46A06' },
        Name: NAME,
        VpcConfiguration: { VpcId: { Ref: Match.stringLikeRegexp('^Vpc[0-9A-F]{8}$') } },
      });
      template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    });
  });

  describe('validation', () => {
    test('fails if the VPC has no isolated subnets and vpcSubnets is not given', () => {
      for (const shape of ['publicOnly', 'publicAndEgress'] as const) {
        const { stack, shared, vpc } = given(shape);
        const message = errorOf(() => new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app' }));
        expect(message).toMatch(/^VpcAccessPoint at 'Stack\/App' has invalid props:\n {2}- vpcSubnets: the VPC has no subnets matching the selection \(default: PRIVATE_ISOLATED\)/);
      }
    });

    test('fails if the selected subnets are public', () => {
      const { stack, shared, vpc } = given('publicOnly');
      const message = errorOf(() => new VpcAccessPoint(stack, 'App', {
        bucket: shared.bucket, vpc, prefix: 'app', vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      }));
      expect(message).toMatch(/^VpcAccessPoint at 'Stack\/App' has invalid props:\n {2}- vpcSubnets: /);
      expect(message).toContain('Stack/Vpc/publicSubnet1, Stack/Vpc/publicSubnet2 are public subnets');
      expect(message).toContain('select PRIVATE_ISOLATED subnets');
    });

    test('fails if the one selected subnet is public, in the singular, even without a reader', () => {
      // GIVEN a VPC with public and isolated subnets, and a consumer so the access point has a user
      const { stack, shared, vpc } = given('publicAndIsolated');
      const consumer = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
      // WHEN only the first public subnet is selected
      const message = errorOf(() => new VpcAccessPoint(stack, 'App', {
        bucket: shared.bucket, vpc, prefix: 'app', reader: false, consumers: [consumer], vpcSubnets: { subnets: [vpc.publicSubnets[0]] },
      }));
      // THEN
      expect(message).toMatch(/^VpcAccessPoint at 'Stack\/App' has invalid props:\n/);
      expect(message).toContain('  - vpcSubnets: Stack/Vpc/publicSubnet1 is a public subnet (a route to an internet gateway); select PRIVATE_ISOLATED subnets');
      expect(message).not.toContain('publicSubnet2');
    });

    test('fails if the VPC is in another Region', () => {
      // GIVEN
      const app = new App();
      const stack = new Stack(app, 'Stack', { env: ENV });
      const vpc = createVpc(new Stack(app, 'Ireland', { env: { account: ACCOUNT, region: 'eu-west-1' } }));
      const shared = new SharedBucket(stack, 'Shared');
      // WHEN
      const message = errorOf(() => new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app' }));
      // THEN
      expect(message).toMatch(/^VpcAccessPoint at 'Stack\/App' has invalid props:\n {2}- vpc: the VPC is in Region eu-west-1, the access point in us-east-1/);
    });

    test('fails if an imported VPC is in another Region', () => {
      const app = new App();
      const stack = new Stack(app, 'Stack', { env: ENV });
      const ireland = new Stack(app, 'Ireland', { env: { account: ACCOUNT, region: 'eu-west-1' } });
      const vpc = ec2.Vpc.fromVpcAttributes(ireland, 'Vpc', {
        vpcId: 'vpc-12345678',
        availabilityZones: ['eu-west-1a'],
        isolatedSubnetIds: ['subnet-12345678'],
        isolatedSubnetRouteTableIds: ['rtb-12345678'],
      });
      const shared = new SharedBucket(stack, 'Shared');
      const message = errorOf(() => new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app' }));
      expect(message).toMatch(/^VpcAccessPoint at 'Stack\/App' has invalid props:\n {2}- vpc: the VPC is in Region eu-west-1/);
    });

    test('fails if the VPC is in another account', () => {
      const app = new App();
      const stack = new Stack(app, 'Stack', { env: ENV });
      const vpc = createVpc(new Stack(app, 'Network', { env: { account: '111122223333', region: 'us-east-1' } }));
      const shared = new SharedBucket(stack, 'Shared');
      const message = errorOf(() => new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app' }));
      expect(message).toMatch(/^VpcAccessPoint at 'Stack\/App' has invalid props:\n {2}- vpc: the VPC is in account 111122223333, the access point in 123456789012/);
    });

    test.each([
      ['*', 'must not contain "*" or "?"'],
      ['app/*', 'must not contain "*" or "?"'],
      ['${x}', 'must not contain "${"'],
      ['/abs', 'must not start with "/"'],
      ['', 'must name a folder'],
    ])('fails if the prefix is "%s"', (prefix, rule) => {
      const { stack, shared, vpc } = given();
      const message = errorOf(() => new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix }));
      expect(message).toMatch(/^VpcAccessPoint at 'Stack\/App' has invalid props:\n/);
      expect(message).toContain(`  - prefix: "${prefix}" ${rule}`);
    });

    test('fails if the prefix has a ".." segment, which the reader refuses on every invocation', () => {
      // src/reader.lambda.ts readConfig rejects a PREFIX with a ".." segment; accepting it here
      // would deploy a reader that cannot read anything.
      const { stack, shared, vpc } = given();
      const message = errorOf(() => new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'reports/../app' }));
      expect(message).toMatch(/^VpcAccessPoint at 'Stack\/App' has invalid props:\n/);
      expect(message).toContain('  - prefix: "reports/../app"');
    });

    test.each([
      ['Bad_Name', 'may contain only lowercase letters, digits and "-"'],
      ['ab', 'must be 3-50 characters long (it has 2)'],
      ['-app', 'must start and end with a lowercase letter or digit'],
      ['app-s3alias', 'must not end with "-s3alias"'],
    ])('fails if the access point name is "%s"', (accessPointName, rule) => {
      const { stack, shared, vpc } = given();
      const message = errorOf(() => new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app', accessPointName }));
      expect(message).toMatch(/^VpcAccessPoint at 'Stack\/App' has invalid props:\n/);
      expect(message).toContain(`  - accessPointName: "${accessPointName}" ${rule}`);
    });

    test('fails with every problem of its own props at once', () => {
      const { stack, shared, vpc } = given('publicOnly');
      const message = errorOf(() => new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: '/app*' }));
      expect(message).toContain('  - prefix: "/app*" must not contain "*" or "?"');
      expect(message).toContain('  - prefix: "/app*" must not start with "/"');
      expect(message).toContain('  - vpcSubnets: the VPC has no subnets matching the selection');
    });

    test('warns, but does not fail, if PRIVATE_WITH_EGRESS subnets are selected', () => {
      // GIVEN
      const { stack, shared, vpc } = given('publicAndEgress');
      // WHEN
      new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app', accessPointName: NAME, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } });
      // THEN
      Annotations.fromStack(stack).hasWarning('/Stack/App', Match.stringLikeRegexp('cdk-shared-bucket:egressSubnets'));
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        RouteTableIds: [
          { Ref: Match.stringLikeRegexp('^VpcegressSubnet1RouteTable') },
          { Ref: Match.stringLikeRegexp('^VpcegressSubnet2RouteTable') },
        ],
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        VpcConfig: Match.objectLike({
          SubnetIds: [{ Ref: Match.stringLikeRegexp('^VpcegressSubnet1Subnet') }, { Ref: Match.stringLikeRegexp('^VpcegressSubnet2Subnet') }],
        }),
      });
    });

    test('warns about a token prefix unless it is a CfnParameter restricted to folder names', () => {
      // GIVEN
      const { stack, shared, vpc } = given();
      const loose = new CfnParameter(stack, 'LooseFolder').valueAsString;
      const folder = new CfnParameter(stack, 'SafeFolder', { allowedPattern: FOLDER_PARAMETER_PATTERN }).valueAsString;
      // WHEN
      new VpcAccessPoint(stack, 'Loose', { bucket: shared.bucket, vpc, prefix: loose, accessPointName: 'loose-ap' });
      new VpcAccessPoint(stack, 'Folder', { bucket: shared.bucket, vpc, prefix: folder, accessPointName: 'folder-ap' });
      // THEN
      const annotations = Annotations.fromStack(stack);
      annotations.hasWarning('/Stack/Loose', Match.stringLikeRegexp('cdk-shared-bucket:unresolvedPrefix'));
      annotations.hasNoWarning('/Stack/Folder', Match.stringLikeRegexp('cdk-shared-bucket:unresolvedPrefix'));
      // The reader gets the folder with one "/" appended at deploy time.
      Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ PREFIX: { 'Fn::Join': ['', [{ Ref: 'SafeFolder' }, '/']] } }) },
      });
    });

    test('does not warn about egress for isolated subnets', () => {
      const { stack } = synth();
      Annotations.fromStack(stack).hasNoWarning('/Stack/App', Match.stringLikeRegexp('cdk-shared-bucket:egressSubnets'));
    });
  });

  test('one VpcAccessPoint with its reader matches the snapshot', () => {
    const { template } = synth({ prefix: 'app/' });
    template.resourceCountIs('AWS::S3::AccessPoint', 1);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::S3::AccessPoint', { Name: NAME });
    // The asset hash changes with every edit of the handler (tested in reader.lambda.test.ts);
    // the snapshot is about the infrastructure.
    const json = template.toJSON();
    const code = json.Resources[theOnly(template, 'AWS::Lambda::Function', /^AppReader/).logicalId].Properties.Code;
    expect(code.S3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
    code.S3Key = 'READER_ASSET_HASH.zip';
    expect(json).toMatchSnapshot();
  });
});
