/**
 * Deploy safety (issue 12): mistakes that used to synthesize and then fail at deploy time, or
 * deploy and deny every request. Each is either refused at synth time with the construct path, the
 * prop, the value and the fix, or made to work, and then proven with the access model.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AccessPoint, AccessPointDelegation, SharedBucket, UserAccessPoint, VpcAccessPoint } from '../src';
import { AccessRequest, buildWorld, evaluate, ExternalPrincipal, mergeWorlds, PolicyDocument, World } from './access-model';
import { errorOf } from './helpers';

const ACCOUNT = '123456789012';
const PARTNER = '111122223333';
const REGION = 'us-east-1';
const ENV = { account: ACCOUNT, region: REGION };
const BUCKET = 'deploy-safety-bucket';
const S3_STAR: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/Admin`;

const roleArn = (name: string, account = ACCOUNT) => `arn:aws:iam::${account}:role/${name}`;

function worldOf(stack: Stack, account = ACCOUNT, externalPrincipals: ExternalPrincipal[] = []): World {
  return buildWorld(Template.fromStack(stack).toJSON(), { account, region: REGION, stackName: stack.stackName, externalPrincipals });
}

/** Whether `request` is allowed in `world`; the decision's text is shown when a test fails. */
async function allowed(world: World, request: AccessRequest): Promise<boolean> {
  return (await evaluate(world, request)).allowed;
}

function isolatedVpc(stack: Stack, props: Partial<ec2.VpcProps> = {}): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [
      { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ],
    ...props,
  });
}

function inlineFunction(stack: Stack, id: string, props: Partial<lambda.FunctionProps> = {}): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {};'),
    ...props,
  });
}

/** The reader role's ARN as the access model names it (by logical ID, the role has no name). */
function readerArn(stack: Stack, vpcAccessPoint: VpcAccessPoint): string {
  return roleArn(stack.getLogicalId(vpcAccessPoint.readerFunction!.role!.node.defaultChild as iam.CfnRole));
}

function s3Endpoints(world: World) {
  return [...world.endpoints.values()].filter(endpoint => endpoint.isS3);
}

describe('1. the delegation pattern, for every route and stack', () => {
  function tenantBucket(app = new App()) {
    const stack = new Stack(app, 'Data', { env: ENV });
    const shared = new SharedBucket(stack, 'Shared', { bucketName: BUCKET, delegation: AccessPointDelegation.accessPoints('tenant-*') });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    return { app, stack, shared, role };
  }

  test('new UserAccessPoint with a name the pattern does not match is refused, naming the path, the name and the pattern', () => {
    const { stack, shared, role } = tenantBucket();
    const message = errorOf(() => new UserAccessPoint(stack, 'Bob', { bucket: shared.bucket, identity: role, prefix: 'bob/', accessPointName: 'bob-ap' }));
    expect(message).toBe("SharedBucket at 'Data/Shared': the access point Data/Bob/AccessPoint is named \"bob-ap\", which the delegation "
      + 'AccessPointDelegation.accessPoints("tenant-*") does not trust: the bucket would deny every request through it. '
      + 'Name it to match the pattern (accessPointName), or change the delegation.');
  });

  test('new AccessPoint and new VpcAccessPoint are refused the same way', () => {
    const { stack, shared } = tenantBucket();
    expect(errorOf(() => new AccessPoint(stack, 'Plain', { bucket: shared.bucket, accessPointName: 'plain-ap' })))
      .toContain('the access point Data/Plain is named "plain-ap", which the delegation AccessPointDelegation.accessPoints("tenant-*") does not trust');
    const vpc = isolatedVpc(stack);
    expect(errorOf(() => new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app/', accessPointName: 'app-ap' })))
      .toContain('the access point Data/App/AccessPoint is named "app-ap", which the delegation AccessPointDelegation.accessPoints("tenant-*") does not trust');
  });

  test('an access point in another stack of the app (the sharding pattern) is refused too', () => {
    const { app, shared } = tenantBucket();
    const shard = new Stack(app, 'Shard', { env: ENV });
    const identity = iam.Role.fromRoleArn(shard, 'Role', roleArn('bob'));
    expect(errorOf(() => new UserAccessPoint(shard, 'Bob', { bucket: shared.bucket, identity, prefix: 'bob/', accessPointName: 'bob' })))
      .toContain('the access point Shard/Bob/AccessPoint is named "bob", which the delegation AccessPointDelegation.accessPoints("tenant-*") does not trust');
  });

  test('an access point created before a SharedBucket adopts its bucket is checked at synth', () => {
    const app = new App();
    const stack = new Stack(app, 'Data', { env: ENV });
    const bucket = s3.Bucket.fromBucketName(stack, 'Existing', BUCKET);
    new AccessPoint(stack, 'Early', { bucket, accessPointName: 'early-ap' });
    new SharedBucket(stack, 'Shared', { bucket, delegation: AccessPointDelegation.accessPoints('tenant-*') });
    expect(errorOf(() => app.synth())).toContain(
      "[Data/Early] SharedBucket at 'Data/Shared': the access point Data/Early is named \"early-ap\", which the delegation AccessPointDelegation.accessPoints(\"tenant-*\") does not trust");
  });

  test('accessPoints lists the access points of every route and every stack, in creation order', () => {
    const { app, stack, shared, role } = tenantBucket();
    const shard = new Stack(app, 'Shard', { env: ENV });
    const added = shared.addUserAccessPoint('Added', { identity: role, prefix: 'a/', accessPointName: 'tenant-a' });
    const direct = new UserAccessPoint(stack, 'Direct', { bucket: shared.bucket, identity: role, prefix: 'b/', accessPointName: 'tenant-b' });
    const plain = new AccessPoint(shard, 'Plain', { bucket: shared.bucket, accessPointName: 'tenant-c' });
    const vpcAccessPoint = new VpcAccessPoint(shard, 'App', { bucket: shared.bucket, vpc: isolatedVpc(shard), prefix: 'd/', accessPointName: 'tenant-d' });
    expect(shared.accessPoints).toEqual([added.accessPoint, direct.accessPoint, plain, vpcAccessPoint.accessPoint]);
    expect(() => app.synth()).not.toThrow();
  });

  test('an access point of an account the delegation does not trust is refused, naming the account and the fix', () => {
    const app = new App();
    const shared = new SharedBucket(new Stack(app, 'Data', { env: ENV }), 'Shared', { bucketName: BUCKET });
    const partner = new Stack(app, 'Partner', { env: { account: PARTNER, region: REGION } });
    expect(errorOf(() => new AccessPoint(partner, 'Ap', { bucket: shared.bucket, accessPointName: 'partner-ap' }))).toBe(
      `SharedBucket at 'Data/Shared': the access point Partner/Ap is in account ${PARTNER}, which the delegation AccessPointDelegation.account() does not trust: `
      + `the bucket would deny every request through it. Trust the account with AccessPointDelegation.accounts(["${PARTNER}"]), or create the access point in account ${ACCOUNT}.`);
  });

  test('a bucket shared by two SharedBuckets is refused: their bucket policies would overwrite each other', () => {
    const stack = new Stack(new App(), 'Data', { env: ENV });
    const bucket = s3.Bucket.fromBucketName(stack, 'Existing', BUCKET);
    new SharedBucket(stack, 'One', { bucket });
    expect(errorOf(() => new SharedBucket(stack, 'Two', { bucket })))
      .toBe("SharedBucket at 'Data/Two' has invalid props:\n  - bucket: Data/Existing is already shared by Data/One; two bucket policies for one bucket overwrite each other. Use that SharedBucket.");
  });
});

describe('2. a bucket of another account', () => {
  /** The bucket's account, delegating to the partner's access points. */
  function bucketStack(app = new App()) {
    const stack = new Stack(app, 'Data', { env: ENV });
    const shared = new SharedBucket(stack, 'Shared', { bucketName: BUCKET, delegation: AccessPointDelegation.accounts([PARTNER]) });
    return { stack, shared };
  }

  test('an imported bucket with its account gets BucketAccountId, and the partner reads its folder through the access point', async () => {
    // GIVEN the partner's stack, with the bucket imported with its account and no bucketAccountId
    const data = bucketStack();
    const partner = new Stack(new App(), 'Partner', { env: { account: PARTNER, region: REGION } });
    const bucket = s3.Bucket.fromBucketAttributes(partner, 'Bucket', { bucketName: BUCKET, account: ACCOUNT });
    const accessPoint = new AccessPoint(partner, 'Ap', { bucket, accessPointName: 'partner-ap' });
    accessPoint.grantRead(new iam.Role(partner, 'Analyst', { roleName: 'analyst', assumedBy: new iam.AccountRootPrincipal() }), 'partner/');

    // THEN the access point names the bucket's account
    Template.fromStack(partner).hasResourceProperties('AWS::S3::AccessPoint', { BucketAccountId: ACCOUNT });
    // AND the analyst reads its folder, and nothing else
    const world = mergeWorlds(worldOf(data.stack), worldOf(partner, PARTNER));
    const read = (key: string): AccessRequest => ({ principal: roleArn('analyst', PARTNER), action: 's3:GetObject', key, path: { accessPoint: 'partner-ap' }, network: 'internet' });
    expect(await allowed(world, read('partner/a.txt'))).toBe(true);
    expect(await allowed(world, read('other/a.txt'))).toBe(false);
  });

  test('a bucket of a stack of another account gets BucketAccountId', () => {
    const app = new App();
    const { shared } = bucketStack(app);
    const partner = new Stack(app, 'Partner', { env: { account: PARTNER, region: REGION } });
    new AccessPoint(partner, 'Ap', { bucket: shared.bucket, accessPointName: 'partner-ap' });
    Template.fromStack(partner).hasResourceProperties('AWS::S3::AccessPoint', { BucketAccountId: ACCOUNT, Bucket: BUCKET });
  });

  test('a bucket of the access point\'s own account gets no BucketAccountId', () => {
    const { stack, shared } = bucketStack();
    new AccessPoint(stack, 'Ap', { bucket: shared.bucket, accessPointName: 'own-ap' });
    Template.fromStack(stack).hasResourceProperties('AWS::S3::AccessPoint', { BucketAccountId: Match.absent() });
  });

  test('a bucketAccountId that contradicts the bucket\'s account is refused', () => {
    const partner = new Stack(new App(), 'Partner', { env: { account: PARTNER, region: REGION } });
    const bucket = s3.Bucket.fromBucketAttributes(partner, 'Bucket', { bucketName: BUCKET, account: ACCOUNT });
    expect(errorOf(() => new AccessPoint(partner, 'Ap', { bucket, bucketAccountId: '444455556666' }))).toBe(
      "AccessPoint at 'Partner/Ap' has invalid props:\n  - bucketAccountId: \"444455556666\" contradicts the account of the bucket Partner/Bucket "
      + `(${ACCOUNT}); CloudFormation would look for the bucket in account 444455556666. Remove bucketAccountId (it is inferred from the bucket), or pass the bucket of that account`);
  });
});

describe('3. an S3 gateway endpoint the VPC already has', () => {
  function given(vpcProps: Partial<ec2.VpcProps> = {}) {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: ENV });
    const shared = new SharedBucket(stack, 'Shared', { bucketName: BUCKET });
    const vpc = isolatedVpc(stack, vpcProps);
    return { app, stack, shared, vpc };
  }

  test('gatewayEndpoints in the VPC props: the endpoint is used, not doubled, and the reader reads through it', async () => {
    // GIVEN a VPC with its own S3 gateway endpoint on every route table
    const { stack, shared, vpc } = given({ gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } } });
    // WHEN
    const app = shared.addVpcAccessPoint('App', { vpc, prefix: 'app/', accessPointName: 'app-ap' });
    // THEN one endpoint, the VPC's, with its policy left alone and a warning that says so
    Template.fromStack(stack).resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    expect(app.endpoint.node.path).toBe('Stack/Vpc/S3');
    Annotations.fromStack(stack).hasWarning('/Stack/Shared/App', Match.stringLikeRegexp('S3 gateway endpoint the VPC already has \\(Stack/Vpc/S3\\)'));
    // AND the reader reads its folder from the VPC through it; the internet is refused
    const world = worldOf(stack);
    const [endpoint] = s3Endpoints(world);
    expect(s3Endpoints(world)).toHaveLength(1);
    const read = { principal: readerArn(stack, app), action: 's3:GetObject', key: 'app/a.txt', path: { accessPoint: 'app-ap' } };
    expect(await allowed(world, { ...read, network: { vpc: endpoint.vpcId, endpoint: endpoint.id } })).toBe(true);
    expect(await allowed(world, { ...read, network: 'internet' })).toBe(false);
  });

  test('vpc.addGatewayEndpoint with restrictEndpoint: the allow-list is written into it, and other S3 use through it stops', async () => {
    const { stack, shared, vpc } = given();
    vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    const app = shared.addVpcAccessPoint('App', { vpc, prefix: 'app/', accessPointName: 'app-ap', restrictEndpoint: true });
    Template.fromStack(stack).resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    Annotations.fromStack(stack).hasNoWarning('/Stack/Shared/App', Match.stringLikeRegexp('endpointPolicyUnchanged'));
    const world = worldOf(stack, ACCOUNT, [{ arn: ADMIN, policies: { S3: S3_STAR } }]);
    const [endpoint] = s3Endpoints(world);
    const network = { vpc: endpoint.vpcId, endpoint: endpoint.id };
    expect(await allowed(world, { principal: readerArn(stack, app), action: 's3:GetObject', key: 'app/a.txt', path: { accessPoint: 'app-ap' }, network })).toBe(true);
    expect(await allowed(world, { principal: ADMIN, action: 's3:GetObject', key: 'other/a.txt', path: 'bucket', bucket: BUCKET, network })).toBe(false);
  });

  test('an endpoint on other route tables is left alone: the library adds its own', () => {
    const { stack, shared, vpc } = given();
    vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [{ subnetGroupName: 'data' }] });
    const app = shared.addVpcAccessPoint('App', { vpc, prefix: 'app/', vpcSubnets: { subnetGroupName: 'isolated' } });
    Template.fromStack(stack).resourceCountIs('AWS::EC2::VPCEndpoint', 2);
    expect(app.endpoint.node.path).toMatch(/^Stack\/SharedBucketS3Endpoint/);
  });

  test('an endpoint that holds only some route tables of the subnets is refused with the fix', () => {
    const { stack, shared, vpc } = given();
    vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [{ subnetGroupName: 'data' }] });
    const message = errorOf(() => new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app/', vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }));
    expect(message).toBe("VpcAccessPoint at 'Stack/App' has invalid props:\n  - vpcSubnets: the S3 gateway endpoint Stack/Vpc/S3/Resource already holds some route tables "
      + 'of these subnets but not all of them, and a route table takes one S3 gateway endpoint only; select only subnets it covers (vpcSubnets), '
      + 'add the other subnets to it (its subnets prop), or pass it as endpoint');
  });

  test('an endpoint written as a bare CfnVPCEndpoint on the same route tables is refused: pass it as endpoint', () => {
    const { stack, shared, vpc } = given();
    new ec2.CfnVPCEndpoint(stack, 'Raw', {
      vpcId: vpc.vpcId,
      serviceName: ec2.GatewayVpcEndpointAwsService.S3.name,
      routeTableIds: vpc.isolatedSubnets.map(subnet => subnet.routeTable.routeTableId),
    });
    expect(errorOf(() => shared.addVpcAccessPoint('App', { vpc, prefix: 'app/' }))).toBe("VpcAccessPoint at 'Stack/Shared/App' has invalid props:\n"
      + '  - endpoint: the S3 gateway endpoint Stack/Raw already holds the route tables of these subnets, and a route table takes one S3 gateway endpoint only; '
      + 'pass it as endpoint (ec2.GatewayVpcEndpoint.fromGatewayVpcEndpointId(this, id, endpoint.ref))');
  });

  test('an endpoint added after the access point on the same route tables is refused at synth', () => {
    const { app, shared, vpc } = given();
    shared.addVpcAccessPoint('App', { vpc, prefix: 'app/' });
    vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    const message = errorOf(() => app.synth());
    // named by the access points that use it, not only by the generated endpoint's path
    expect(message).toMatch(/the S3 gateway endpoint Stack\/Vpc\/S3\/Resource holds route tables that this endpoint, created by cdk-shared-bucket for Stack\/Shared\/App, holds too/);
    expect(message).toContain("Add one S3 gateway endpoint to the VPC yourself, before the access points (vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 }))");
  });

  test('VpcAccessPoints of two stacks on one VPC: the second endpoint is refused, naming the first', () => {
    const { app, vpc } = given();
    const one = new Stack(app, 'One', { env: ENV });
    const two = new Stack(app, 'Two', { env: ENV });
    const bucket = s3.Bucket.fromBucketName(one, 'Bucket', BUCKET);
    new VpcAccessPoint(one, 'App', { bucket, vpc, prefix: 'one/' });
    const message = errorOf(() => new VpcAccessPoint(two, 'App', { bucket, vpc, prefix: 'two/' }));
    expect(message).toMatch(/^VpcAccessPoint at 'Two\/App' has invalid props:\n {2}- vpc: the S3 gateway endpoint One\/SharedBucketS3Endpoint\w+\/Resource, created for the VpcAccessPoints of stack One, already holds route tables of these subnets; a second endpoint in stack Two would fail to deploy\. Add one S3 gateway endpoint to the VPC yourself/);
  });

  test('VpcAccessPoints of two stacks share the VPC\'s own endpoint, and each reader reads its folder through it', async () => {
    // GIVEN the fix the refusal above gives: the VPC's stack holds the endpoint (an imported VPC
    // and bucket names, so that every stack's template stands alone for the access model)
    const app = new App();
    const network = new Stack(app, 'Network', { env: ENV });
    const vpc = ec2.Vpc.fromVpcAttributes(network, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      isolatedSubnetIds: ['subnet-0000000000000000a', 'subnet-0000000000000000b'],
      isolatedSubnetRouteTableIds: ['rtb-0000000000000000a', 'rtb-0000000000000000b'],
    });
    vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    const data = new Stack(app, 'Data', { env: ENV });
    new SharedBucket(data, 'Shared', { bucketName: BUCKET });
    const [one, two] = ['One', 'Two'].map(id => new Stack(app, id, { env: ENV }));
    // WHEN
    const first = new VpcAccessPoint(one, 'One', { bucket: s3.Bucket.fromBucketName(one, 'Bucket', BUCKET), vpc, prefix: 'one/', accessPointName: 'one-ap' });
    const second = new VpcAccessPoint(two, 'Two', { bucket: s3.Bucket.fromBucketName(two, 'Bucket', BUCKET), vpc, prefix: 'two/', accessPointName: 'two-ap' });
    // THEN one endpoint in the app, used by both
    expect(() => app.synth()).not.toThrow();
    expect([network, data, one, two].flatMap(s => Object.keys(Template.fromStack(s).findResources('AWS::EC2::VPCEndpoint')))).toHaveLength(1);
    expect(first.endpoint).toBe(second.endpoint);
    // AND each reader reads its own folder through it, not the other's
    const world = mergeWorlds(worldOf(data), worldOf(network), worldOf(one), worldOf(two));
    const [endpoint] = s3Endpoints(world);
    expect(endpoint.vpcId).toBe('vpc-0123456789abcdef0');
    const fromVpc = { vpc: endpoint.vpcId, endpoint: endpoint.id };
    const read = (stack: Stack, reader: VpcAccessPoint, accessPoint: string, key: string) =>
      allowed(world, { principal: readerArn(stack, reader), action: 's3:GetObject', key, path: { accessPoint }, network: fromVpc });
    expect(await read(one, first, 'one-ap', 'one/a.txt')).toBe(true);
    expect(await read(two, second, 'two-ap', 'two/a.txt')).toBe(true);
    expect(await read(one, first, 'two-ap', 'two/a.txt')).toBe(false);
  });
});

describe('4. consumers that can never reach a VPC access point', () => {
  function given() {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: ENV });
    const shared = new SharedBucket(stack, 'Shared', { bucketName: BUCKET });
    const vpc = isolatedVpc(stack);
    return { app, stack, shared, vpc };
  }

  test('a function outside any VPC is refused', () => {
    const { app, stack, shared, vpc } = given();
    const fn = inlineFunction(stack, 'Consumer');
    new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app/', accessPointName: 'app-ap', consumers: [fn] });
    expect(errorOf(() => app.synth())).toContain('[Stack/App] consumers[0]: the function Stack/Consumer is not in a VPC, so it can never reach the VPC access point app-ap '
      + "(S3 accepts only requests through an endpoint of Stack/Vpc); run it in the access point's subnets");
  });

  test('a function of another VPC is refused', () => {
    const { app, stack, shared, vpc } = given();
    const other = new ec2.Vpc(stack, 'Other', { maxAzs: 1, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const fn = inlineFunction(stack, 'Consumer', { vpc: other });
    const app_ = new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app/', accessPointName: 'app-ap', reader: false });
    app_.grantRead(fn);
    expect(errorOf(() => app.synth())).toContain('[Stack/App] grantRead: the function Stack/Consumer runs in subnets that are not in Stack/Vpc, so it can never reach the VPC access point app-ap');
  });

  test('a function in subnets whose route tables do not take the endpoint is refused', () => {
    const { app, stack, shared, vpc } = given();
    const fn = inlineFunction(stack, 'Consumer', { vpc, vpcSubnets: { subnetGroupName: 'data' } });
    new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app/', accessPointName: 'app-ap', vpcSubnets: { subnetGroupName: 'isolated' }, consumers: [fn] });
    expect(errorOf(() => app.synth())).toMatch(/\[Stack\/App\] consumers\[0\]: the function Stack\/Consumer runs in Stack\/Vpc\/dataSubnet1, Stack\/Vpc\/dataSubnet2, whose route tables do not take the S3 gateway endpoint Stack\/SharedBucketS3Endpoint\w+, so its requests never reach the VPC access point app-ap/);
  });

  test('a function in the access point\'s subnets reads the folder through the endpoint', async () => {
    const { stack, shared, vpc } = given();
    const fn = inlineFunction(stack, 'Consumer', {
      vpc,
      vpcSubnets: { subnetGroupName: 'isolated' },
      role: new iam.Role(stack, 'ConsumerRole', {
        roleName: 'consumer', assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      }),
    });
    new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app/', accessPointName: 'app-ap', vpcSubnets: { subnetGroupName: 'isolated' }, reader: false, consumers: [fn] });
    const world = worldOf(stack);
    const [endpoint] = s3Endpoints(world);
    expect(await allowed(world, { principal: roleArn('consumer'), action: 's3:GetObject', key: 'app/a.txt', path: { accessPoint: 'app-ap' }, network: { vpc: endpoint.vpcId, endpoint: endpoint.id } })).toBe(true);
  });

  test('reader: false without consumers or grants warns that nobody can use the access point', () => {
    const { stack, shared, vpc } = given();
    new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app/', reader: false });
    Annotations.fromStack(stack).hasWarning('/Stack/App', 'reader is false, consumers is empty and nobody was granted access (grantRead), so nobody in this app can use the access point, '
      + 'and its exclusive policy denies everyone but the account root. Add consumers, call grantRead, or keep the reader. [ack: cdk-shared-bucket:unusedVpcAccessPoint]');
  });

  test('reader: false with a later grantRead does not warn', () => {
    const { stack, shared, vpc } = given();
    const app = new VpcAccessPoint(stack, 'App', { bucket: shared.bucket, vpc, prefix: 'app/', reader: false });
    app.grantRead(new iam.Role(stack, 'Later', { assumedBy: new iam.AccountRootPrincipal() }));
    Annotations.fromStack(stack).hasNoWarning('/Stack/App', Match.stringLikeRegexp('unusedVpcAccessPoint'));
  });
});

describe('5. grants on an exclusive access point', () => {
  function bobsAccessPoint() {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const shared = new SharedBucket(stack, 'Shared', { bucketName: BUCKET });
    const bob = new iam.User(stack, 'Bob', { userName: 'bob' });
    const bobAccess = shared.addUserAccessPoint('Bob', { identity: bob, prefix: 'bob/', accessPointName: 'bob-ap' });
    const auditor = new iam.Role(stack, 'Auditor', { roleName: 'auditor', assumedBy: new iam.AccountRootPrincipal() });
    return { stack, shared, bobAccess, auditor };
  }

  test('a grant on a UserAccessPoint\'s access point works: the grantee joins the allow-list, everyone else is still denied', async () => {
    // GIVEN Bob's exclusive access point; WHEN the auditor is granted read on reports/ through it
    const { stack, bobAccess, auditor } = bobsAccessPoint();
    bobAccess.accessPoint.grantRead(auditor, 'reports/');
    const world = worldOf(stack, ACCOUNT, [{ arn: ADMIN, policies: { S3: S3_STAR } }]);
    const through = (principal: string, key: string): AccessRequest => ({ principal, action: 's3:GetObject', key, path: { accessPoint: 'bob-ap' }, network: 'internet' });
    // THEN the auditor reads reports/ through it, and nothing else
    expect(await allowed(world, through(roleArn('auditor'), 'reports/a.txt'))).toBe(true);
    expect(await allowed(world, through(roleArn('auditor'), 'bob/a.txt'))).toBe(false);
    // AND Bob keeps his folder
    expect(await allowed(world, through(`arn:aws:iam::${ACCOUNT}:user/bob`, 'bob/a.txt'))).toBe(true);
    // AND an admin with s3:* is still denied at the access point, by the exclusive deny
    const admin = await evaluate(world, through(ADMIN, 'reports/a.txt'));
    expect(admin.allowed).toBe(false);
    expect(admin.decidingSids).toContain('DenyOtherPrincipals');
  });

  test('a VpcAccessPoint\'s access point: a direct grant joins the same allow-list as grantRead', async () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const shared = new SharedBucket(stack, 'Shared', { bucketName: BUCKET });
    const app = shared.addVpcAccessPoint('App', { vpc: isolatedVpc(stack), prefix: 'app/', accessPointName: 'app-ap', reader: false });
    app.accessPoint.grantRead(new iam.Role(stack, 'Direct', { roleName: 'direct', assumedBy: new iam.AccountRootPrincipal() }), 'app/');
    const world = worldOf(stack, ACCOUNT, [{ arn: ADMIN, policies: { S3: S3_STAR } }]);
    const [endpoint] = s3Endpoints(world);
    const read = (principal: string): AccessRequest => ({ principal, action: 's3:GetObject', key: 'app/a.txt', path: { accessPoint: 'app-ap' }, network: { vpc: endpoint.vpcId, endpoint: endpoint.id } });
    expect(await allowed(world, read(roleArn('direct')))).toBe(true);
    expect(await allowed(world, read(ADMIN))).toBe(false);
  });

  test('a direct write grant on a VpcAccessPoint\'s access point also opens its endpoint: the grantee writes from the VPC', async () => {
    // Without the endpoint's allow-list growing, the endpoint policy would deny the upload.
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const shared = new SharedBucket(stack, 'Shared', { bucketName: BUCKET });
    const app = shared.addVpcAccessPoint('App', { vpc: isolatedVpc(stack), prefix: 'app/', accessPointName: 'app-ap' });
    app.accessPoint.grantWrite(new iam.Role(stack, 'Uploader', { roleName: 'uploader', assumedBy: new iam.AccountRootPrincipal() }), 'app/in/');
    const world = worldOf(stack);
    const [endpoint] = s3Endpoints(world);
    const put = (key: string): AccessRequest => ({ principal: roleArn('uploader'), action: 's3:PutObject', key, path: { accessPoint: 'app-ap' }, network: { vpc: endpoint.vpcId, endpoint: endpoint.id } });
    expect(await allowed(world, put('app/in/a.txt'))).toBe(true);
    expect(await allowed(world, put('app/a.txt'))).toBe(false);
    // AND the reader still only reads
    expect(await allowed(world, { ...put('app/in/a.txt'), principal: readerArn(stack, app) })).toBe(false);
  });

  test('a direct grant outside a VpcAccessPoint\'s folder, which its endpoint would deny, is refused', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const shared = new SharedBucket(stack, 'Shared', { bucketName: BUCKET });
    const app = shared.addVpcAccessPoint('App', { vpc: isolatedVpc(stack), prefix: 'app/' });
    const role = new iam.Role(stack, 'Other', { assumedBy: new iam.AccountRootPrincipal() });
    expect(errorOf(() => app.accessPoint.grantRead(role, 'reports/'))).toMatch(
      /^\[Stack\/Shared\/App\/AccessPoint\] cannot grant .* "reports\/" through this VPC access point: the policy of its endpoint Stack\/SharedBucketS3Endpoint\w+ allows only "app\/", so the grant would be void/);
  });

  test('a grantee whose ARN cannot be told is refused with the reason', () => {
    const { bobAccess } = bobsAccessPoint();
    expect(errorOf(() => bobAccess.accessPoint.grantRead(new iam.AccountPrincipal(PARTNER), 'reports/'))).toBe(
      `[Stack/Shared/Bob/AccessPoint] cannot grant AccountPrincipal(${PARTNER}) through the exclusive access point: its aws:PrincipalArn cannot be told, `
      + 'so the DenyOtherPrincipals statement would deny it and the grant would be void. Grant a role, a user, a function with a role or an iam.ArnPrincipal '
      + '(for a group: its members, or a UserAccessPoint for the group), or create the access point with exclusive: false');
  });

  test('a grant outside the folder of a group\'s access point, which DenyOutsideFolder would void, is refused', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const shared = new SharedBucket(stack, 'Shared', { bucketName: BUCKET });
    const team = shared.addUserAccessPoint('Team', { identity: new iam.Group(stack, 'Team'), prefix: 'team/' });
    const role = new iam.Role(stack, 'Auditor', { roleName: 'auditor', assumedBy: new iam.AccountRootPrincipal() });
    expect(errorOf(() => team.accessPoint.grantRead(role, 'reports/'))).toMatch(
      /^\[Stack\/Shared\/Team\/AccessPoint\] cannot grant .* "reports\/" through this access point: it is confined to "team\/" \(DenyOutsideFolder denies every request outside it\), so the grant would be void/);
    expect(() => team.accessPoint.grantRead(role, 'team/reports/')).not.toThrow();
  });
});

describe('7. the denyDirectAccess warning', () => {
  test('warns, naming what is missing, when no principal is exempt', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    new SharedBucket(stack, 'Shared', { denyDirectAccess: true });
    Annotations.fromStack(stack).hasWarning('/Stack/Shared', Match.stringLikeRegexp('directAccessPrincipals is empty'));
  });

  test('does not warn when directAccessPrincipals are given', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    new SharedBucket(stack, 'Shared', { denyDirectAccess: true, directAccessPrincipals: [new iam.ArnPrincipal(ADMIN)] });
    Annotations.fromStack(stack).hasNoWarning('/Stack/Shared', Match.stringLikeRegexp('cdk-shared-bucket:denyDirectAccess'));
  });
});

describe('11. access points on a bucket that does not delegate', () => {
  const WARNING = Match.stringLikeRegexp('cdk-shared-bucket:bucketDoesNotDelegate');

  function plainBucket() {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const bucket = new s3.Bucket(stack, 'Plain', { bucketName: BUCKET });
    const reader = new iam.Role(stack, 'Reader', { roleName: 'reader', assumedBy: new iam.AccountRootPrincipal() });
    return { stack, bucket, reader };
  }

  test('warns with the fix, and rightly: every request through the access point is denied at the bucket', async () => {
    const { stack, bucket, reader } = plainBucket();
    new AccessPoint(stack, 'Ap', { bucket, accessPointName: 'plain-ap' }).grantRead(reader, 'reports/');
    Annotations.fromStack(stack).hasWarning('/Stack/Ap', 'bucket: the bucket policy of Stack/Plain does not delegate to access points, so once deployed S3 denies every request '
      + "through plain-ap at the bucket. Wrap the bucket in a SharedBucket (new SharedBucket(this, 'Shared', { bucket })), which adds the delegation, "
      + 'or add a statement that allows requests with s3:DataAccessPointAccount of this account. [ack: cdk-shared-bucket:bucketDoesNotDelegate]');
    const decision = await evaluate(worldOf(stack), { principal: roleArn('reader'), action: 's3:GetObject', key: 'reports/a.txt', path: { accessPoint: 'plain-ap' }, network: 'internet' });
    expect(decision.allowed).toBe(false);
    expect(decision.decidingLeg).toBe('bucket');
  });

  test('the fix (SharedBucket({ bucket }), even after the access point) silences it and the grant works', async () => {
    const { stack, bucket, reader } = plainBucket();
    new UserAccessPoint(stack, 'Reports', { bucket, identity: reader, prefix: 'reports/', accessPointName: 'reports-ap' });
    new SharedBucket(stack, 'Shared', { bucket });
    Annotations.fromStack(stack).hasNoWarning('*', WARNING);
    expect(await allowed(worldOf(stack), { principal: roleArn('reader'), action: 's3:GetObject', key: 'reports/a.txt', path: { accessPoint: 'reports-ap' }, network: 'internet' })).toBe(true);
  });

  test('VpcAccessPoint on a plain bucket warns too', () => {
    const { stack, bucket } = plainBucket();
    new VpcAccessPoint(stack, 'App', { bucket, vpc: isolatedVpc(stack), prefix: 'app/' });
    Annotations.fromStack(stack).hasWarning('/Stack/App/AccessPoint', WARNING);
  });

  test('a plain bucket whose own policy delegates does not warn', () => {
    const { stack, bucket } = plainBucket();
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.AnyPrincipal()],
      actions: ['*'],
      resources: [bucket.bucketArn, bucket.arnForObjects('*')],
      conditions: { StringEquals: { 's3:DataAccessPointAccount': ACCOUNT } },
    }));
    new AccessPoint(stack, 'Ap', { bucket });
    Annotations.fromStack(stack).hasNoWarning('*', WARNING);
  });

  test('an imported bucket, whose policy cannot be seen, does not warn', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    new AccessPoint(stack, 'Ap', { bucket: s3.Bucket.fromBucketName(stack, 'Imported', BUCKET) });
    Annotations.fromStack(stack).hasNoWarning('*', WARNING);
  });
});
