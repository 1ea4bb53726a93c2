/**
 * Proves the access-model harness on small HAND-WRITTEN templates (CloudFormation JSON as CDK
 * synthesizes it; no constructs from src/). AWS semantics: docs/aws-rules.md sections 2, 4, 5, 6, 7.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import {
  AccessRequest,
  buildWorld,
  exportedValues,
  outputValues,
  passedParameters,
  endpointPolicyFor,
  evaluate,
  evaluateCopy,
  evaluateMatrix,
  formatCell,
  MatrixCell,
  mergeWorlds,
  PolicyDocument,
  TemplateJson,
  World,
  WorldOptions,
} from './index';

const ACCT = '123456789012';
const OTHER = '999999999999';
const BUCKET = 'sharedbucket1a2b3c4d'; // generated from the logical ID
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
const BOB = `arn:aws:iam::${ACCT}:user/bob`;
const ALICE = `arn:aws:iam::${ACCT}:user/AliceUser8F3A`; // generated name
const READER = `arn:aws:iam::${ACCT}:role/apps/reader`; // honours Path
const ADMIN = `arn:aws:iam::${ACCT}:role/Admin`;
const PARTNER = `arn:aws:iam::${OTHER}:role/Partner`;
const PARTNER_NO_IDENTITY = `arn:aws:iam::${OTHER}:role/PartnerNoIdentity`;
const STRANGER = `arn:aws:iam::${OTHER}:role/Stranger`;
const BREAK_GLASS = `arn:aws:iam::${ACCT}:role/BreakGlass`;
const VPC = 'vpc-Vpc8378EB38';
const OTHER_VPC = 'vpc-OtherVpc';
const S3_ENDPOINT = 'vpce-S3Endpoint';
const OTHER_ENDPOINT = 'vpce-OtherEndpoint';

const S3_STAR: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };

// ---- CloudFormation snippets, the way CDK writes them ----
const bucketArn = { 'Fn::GetAtt': ['SharedBucket1A2B3C4D', 'Arn'] };
const bucketObjects = { 'Fn::Join': ['', [bucketArn, '/*']] };
const apArn = (name: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':accesspoint/', name]],
});
const apObjects = (name: string, prefix = '') => ({ 'Fn::Join': ['', [apArn(name), `/object/${prefix}*`]] });
const doc = (...Statement: any[]) => ({ Version: '2012-10-17', Statement });

const delegateToAccessPoints = (account: any = { Ref: 'AWS::AccountId' }) => ({
  Sid: 'DelegateToAccessPoints',
  Effect: 'Allow',
  Principal: { AWS: '*' },
  Action: '*',
  Resource: [bucketArn, bucketObjects],
  Condition: { StringEquals: { 's3:DataAccessPointAccount': account } },
});

interface Variant {
  bucketPolicyStatements?: any[];
  endpointPolicy?: any;
  extraResources?: TemplateJson['Resources'];
}

function sharedTemplate(v: Variant = {}): TemplateJson {
  return {
    Resources: {
      SharedBucket1A2B3C4D: { Type: 'AWS::S3::Bucket', Properties: { PublicAccessBlockConfiguration: { BlockPublicPolicy: true } } },
      SharedBucketPolicy5E6F: {
        Type: 'AWS::S3::BucketPolicy',
        Properties: { Bucket: { Ref: 'SharedBucket1A2B3C4D' }, PolicyDocument: doc(...(v.bucketPolicyStatements ?? [delegateToAccessPoints()])) },
      },
      BobUser1234: { Type: 'AWS::IAM::User', Properties: { UserName: 'bob' } },
      AliceUser8F3A: { Type: 'AWS::IAM::User', Properties: { Groups: [{ Ref: 'TeamGroup' }] } },
      TeamGroup: {
        Type: 'AWS::IAM::Group',
        Properties: {
          GroupName: 'team',
          Policies: [{
            PolicyName: 'TeamAccess',
            PolicyDocument: doc({ Sid: 'TeamRead', Effect: 'Allow', Action: 's3:GetObject', Resource: apObjects('team-ap') }),
          }],
        },
      },
      BobPolicyABCD: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyName: 'BobPolicyABCD',
          Users: [{ Ref: 'BobUser1234' }],
          PolicyDocument: doc(
            { Sid: 'BobObjects', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['BobAccessPoint', 'Arn'] }, '/object/Bob/*']] } },
            {
              Sid: 'BobList',
              Effect: 'Allow',
              Action: 's3:ListBucket',
              Resource: { 'Fn::GetAtt': ['BobAccessPoint', 'Arn'] },
              Condition: { StringLike: { 's3:prefix': ['Bob/*'] } },
            },
          ),
        },
      },
      BobAccessPoint: {
        Type: 'AWS::S3::AccessPoint',
        Properties: {
          Bucket: { Ref: 'SharedBucket1A2B3C4D' },
          Name: 'bob-ap',
          Policy: doc(
            { Sid: 'AllowBobObjects', Effect: 'Allow', Principal: { AWS: { 'Fn::GetAtt': ['BobUser1234', 'Arn'] } }, Action: ['s3:GetObject', 's3:PutObject'], Resource: apObjects('bob-ap', 'Bob/') },
            {
              Sid: 'AllowBobList',
              Effect: 'Allow',
              Principal: { AWS: { 'Fn::GetAtt': ['BobUser1234', 'Arn'] } },
              Action: 's3:ListBucket',
              Resource: apArn('bob-ap'),
              Condition: { StringLike: { 's3:prefix': ['Bob/*'] } },
            },
            {
              Sid: 'OnlyBob',
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:*',
              Resource: [apArn('bob-ap'), apObjects('bob-ap')],
              Condition: { ArnNotEquals: { 'aws:PrincipalArn': [{ 'Fn::GetAtt': ['BobUser1234', 'Arn'] }] } },
            },
          ),
        },
      },
      TeamAccessPoint: {
        Type: 'AWS::S3::AccessPoint',
        Properties: {
          Bucket: { Ref: 'SharedBucket1A2B3C4D' },
          Name: 'team-ap',
          Policy: doc({
            Sid: 'AllowPartners',
            Effect: 'Allow',
            Principal: { AWS: [PARTNER, PARTNER_NO_IDENTITY] },
            Action: 's3:GetObject',
            Resource: apObjects('team-ap', 'shared/'),
          }),
        },
      },
      Vpc8378EB38: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } },
      OtherVpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.1.0.0/16' } },
      S3Endpoint: {
        Type: 'AWS::EC2::VPCEndpoint',
        Properties: {
          ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] },
          VpcId: { Ref: 'Vpc8378EB38' },
          VpcEndpointType: 'Gateway',
          PolicyDocument: v.endpointPolicy ?? doc({
            Sid: 'ReadsOnly',
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: ['s3:GetObject', 's3:ListBucket'],
            Resource: [bucketArn, bucketObjects, apArn('vpc-ap'), apObjects('vpc-ap')],
          }),
        },
      },
      OtherEndpoint: {
        Type: 'AWS::EC2::VPCEndpoint',
        Properties: { ServiceName: { 'Fn::Sub': 'com.amazonaws.${AWS::Region}.s3' }, VpcId: { Ref: 'OtherVpc' } },
      },
      VpcAccessPoint: {
        Type: 'AWS::S3::AccessPoint',
        Properties: {
          Bucket: { Ref: 'SharedBucket1A2B3C4D' },
          Name: 'vpc-ap',
          VpcConfiguration: { VpcId: { Ref: 'Vpc8378EB38' } },
          Policy: doc({
            Sid: 'AllowReader',
            Effect: 'Allow',
            Principal: { AWS: { 'Fn::GetAtt': ['ReaderRole', 'Arn'] } },
            Action: ['s3:GetObject', 's3:PutObject'],
            Resource: apObjects('vpc-ap'),
          }),
        },
      },
      ReaderRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: 'reader',
          Path: '/apps/',
          AssumeRolePolicyDocument: doc({ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }),
          ManagedPolicyArns: [
            { Ref: 'ReaderManagedPolicy' },
            { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']] },
          ],
        },
      },
      ReaderManagedPolicy: {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: {
          PolicyDocument: doc({ Sid: 'ReaderObjects', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: apObjects('vpc-ap') }),
        },
      },
      ...v.extraResources,
    },
    Parameters: { BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/hnb659fds/version' } },
  };
}

const EXTERNALS: WorldOptions['externalPrincipals'] = [
  { arn: ADMIN, policies: { S3Admin: S3_STAR } },
  { arn: PARTNER, policies: { PartnerS3: S3_STAR } },
  { arn: PARTNER_NO_IDENTITY },
  { arn: STRANGER, policies: { StrangerS3: S3_STAR } },
  { arn: BREAK_GLASS, policies: { BreakGlassS3: S3_STAR } },
];

function world(v: Variant = {}, options: WorldOptions = {}): World {
  return buildWorld(sharedTemplate(v), { externalPrincipals: EXTERNALS, ...options });
}

const viaAp = (accessPoint: string) => ({ accessPoint });
const VIA_ENDPOINT = { vpc: VPC, endpoint: S3_ENDPOINT };

async function expectCell(w: World, request: AccessRequest, allowed: boolean) {
  const d = await evaluate(w, request);
  if (d.allowed !== allowed) throw new Error(formatCell(d, allowed));
  return d;
}

describe('world: template -> world', () => {
  const w = world();

  test('resolves names, ARNs and network origins', () => {
    expect([...w.buckets.keys()]).toEqual([BUCKET]);
    expect(w.buckets.get(BUCKET)!.policy!.Statement[0].Resource).toEqual([BUCKET_ARN, `${BUCKET_ARN}/*`]);
    expect(w.buckets.get(BUCKET)!.policy!.Statement[0].Condition).toEqual({ StringEquals: { 's3:DataAccessPointAccount': ACCT } });
    const bobAp = w.accessPoints.get('bob-ap')!;
    expect(bobAp).toMatchObject({ arn: `arn:aws:s3:us-east-1:${ACCT}:accesspoint/bob-ap`, bucket: BUCKET, networkOrigin: 'Internet', vpcId: undefined });
    expect(bobAp.policy!.Statement[0].Resource).toBe(`arn:aws:s3:us-east-1:${ACCT}:accesspoint/bob-ap/object/Bob/*`);
    expect(bobAp.policy!.Statement[0].Principal).toEqual({ AWS: BOB });
    expect(w.accessPoints.get('vpc-ap')).toMatchObject({ networkOrigin: 'VPC', vpcId: VPC });
    expect(w.endpoints.get(S3_ENDPOINT)).toMatchObject({ vpcId: VPC, serviceName: 'com.amazonaws.us-east-1.s3', isS3: true });
    expect(w.endpoints.get(OTHER_ENDPOINT)).toMatchObject({ vpcId: OTHER_VPC, isS3: true, policy: undefined });
  });

  test('collects identity policies: attached, inline via groups, customer managed; records AWS managed ones', () => {
    expect(w.principals.get(BOB)!.policies.map((p) => p.name)).toEqual(['BobPolicyABCD']);
    expect(w.principals.get(ALICE)).toMatchObject({ groups: ['team'] });
    expect(w.principals.get(ALICE)!.policies.map((p) => p.name)).toEqual(['TeamGroup/TeamAccess (group team)']);
    const reader = w.principals.get(READER)!;
    expect(reader.policies.map((p) => p.name)).toEqual(['ReaderManagedPolicy']);
    expect(reader.unmodelledManagedPolicyArns).toEqual(['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
    expect(w.unmodelledManagedPolicyArns).toEqual(['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
    expect(w.principals.get(PARTNER)).toMatchObject({ account: OTHER, kind: 'role', name: 'Partner' });
  });

  test('UserToGroupAddition and policies attached to groups by AWS::IAM::Policy', () => {
    const w2 = buildWorld({
      Resources: {
        U: { Type: 'AWS::IAM::User', Properties: { Path: '/people/' } },
        G: { Type: 'AWS::IAM::Group' },
        Add: { Type: 'AWS::IAM::UserToGroupAddition', Properties: { GroupName: { Ref: 'G' }, Users: [{ Ref: 'U' }] } },
        P: { Type: 'AWS::IAM::Policy', Properties: { PolicyName: 'p', Groups: [{ Ref: 'G' }], PolicyDocument: S3_STAR } },
      },
    });
    expect(w2.principals.get(`arn:aws:iam::${ACCT}:user/people/U`)!.policies.map((p) => p.name)).toEqual(['P (group G)']);
  });

  test('resolves Fn::Select, Fn::Split, Fn::Sub, GetAtt forms and AWS::NoValue', () => {
    const values = {
      select: { 'Fn::Select': ['5', { 'Fn::Split': [':', { 'Fn::GetAtt': ['SharedBucket1A2B3C4D', 'Arn'] }] }] },
      sub: { 'Fn::Sub': ['${Name}-${AWS::Region}-${TeamAccessPoint.Alias}-${!Literal}', { Name: { Ref: 'TeamAccessPoint' } }] },
      dotted: { 'Fn::GetAtt': 'VpcAccessPoint.NetworkOrigin' },
      group: { 'Fn::GetAtt': ['TeamGroup', 'Arn'] },
      suffix: { Ref: 'AWS::URLSuffix' },
      gone: { Ref: 'AWS::NoValue' },
    };
    const w2 = world({ bucketPolicyStatements: [{ ...delegateToAccessPoints(), Condition: { StringEquals: values } }] });
    expect(w2.buckets.get(BUCKET)!.policy!.Statement[0].Condition.StringEquals).toEqual({
      select: BUCKET,
      sub: 'team-ap-us-east-1-team-ap-xsimalias0000000000000000-s3alias-${Literal}',
      dotted: 'VPC',
      group: `arn:aws:iam::${ACCT}:group/team`,
      suffix: 'amazonaws.com',
    });
  });

  test('throws on an intrinsic it cannot resolve, naming it and where', () => {
    const t = sharedTemplate({ bucketPolicyStatements: [{ ...delegateToAccessPoints(), Resource: { 'Fn::ImportValue': 'SomeExport' } }] });
    expect(() => buildWorld(t)).toThrow(/Fn::ImportValue.*SomeExport.*Resources\.SharedBucketPolicy5E6F\.Properties\.PolicyDocument\.Statement\[0\]\.Resource/);
    const t2 = sharedTemplate({ bucketPolicyStatements: [{ ...delegateToAccessPoints(), Resource: { 'Fn::GetAtt': ['SharedBucket1A2B3C4D', 'WebsiteURL'] } }] });
    expect(() => buildWorld(t2)).toThrow(/Fn::GetAtt.*SharedBucket1A2B3C4D.*WebsiteURL/);
  });

  test('resolves Fn::ImportValue from the exports of another template, as that template resolves them', () => {
    const producer = { Resources: { Data: { Type: 'AWS::S3::Bucket' } }, Outputs: { DataArn: { Value: { 'Fn::GetAtt': ['Data', 'Arn'] }, Export: { Name: 'Producer:DataArn' } } } };
    const imports = exportedValues(producer, { stackName: 'Producer' });
    expect(imports).toEqual({ 'Producer:DataArn': buildWorld(producer, { stackName: 'Producer' }).buckets.values().next().value!.arn });
    const t = sharedTemplate({ bucketPolicyStatements: [{ ...delegateToAccessPoints(), Resource: { 'Fn::ImportValue': 'Producer:DataArn' } }] });
    const policy = [...buildWorld(t, { imports }).buckets.values()][0].policy!;
    expect(policy.Statement[0].Resource).toEqual(imports['Producer:DataArn']);
    expect(() => buildWorld(t, { imports: { 'Other:Export': 'x' } })).toThrow(/Fn::ImportValue.*Producer:DataArn.*no stack given in imports exports Producer:DataArn/);
  });

  test('gives a nested stack the parameters its parent passes it, resolved in the parent', () => {
    const parent = {
      Resources: {
        Data: { Type: 'AWS::S3::Bucket' },
        Child: { Type: 'AWS::CloudFormation::Stack', Properties: { TemplateURL: 'x', Parameters: { DataArn: { 'Fn::GetAtt': ['Data', 'Arn'] } } } },
      },
    };
    const parameters = passedParameters(parent, 'Child', { stackName: 'Parent' });
    expect(parameters).toEqual({ DataArn: buildWorld(parent, { stackName: 'Parent' }).buckets.values().next().value!.arn });
    const t = sharedTemplate({ bucketPolicyStatements: [{ ...delegateToAccessPoints(), Resource: { Ref: 'DataArn' } }] });
    const withParameter = { ...t, Parameters: { DataArn: { Type: 'String' } } };
    expect([...buildWorld(withParameter, { parameters }).buckets.values()][0].policy!.Statement[0].Resource).toEqual(parameters.DataArn);
    expect(() => buildWorld(withParameter)).toThrow(/parameter DataArn, which has no Default/);
  });

  test('gives a parent the outputs of its nested stack, resolved in the nested stack', () => {
    const nested = { Resources: { Data: { Type: 'AWS::S3::Bucket' } }, Outputs: { DataArn: { Value: { 'Fn::GetAtt': ['Data', 'Arn'] } } } };
    const outputs = outputValues(nested, { stackName: 'Nested' });
    expect(outputs).toEqual({ DataArn: buildWorld(nested, { stackName: 'Nested' }).buckets.values().next().value!.arn });
    const t = sharedTemplate({ bucketPolicyStatements: [{ ...delegateToAccessPoints(), Resource: { 'Fn::GetAtt': ['Child', 'Outputs.DataArn'] } }] });
    const parent = { ...t, Resources: { ...t.Resources, Child: { Type: 'AWS::CloudFormation::Stack', Properties: { TemplateURL: 'x' } } } };
    const parentWorld = buildWorld(parent, { nestedStackOutputs: { Child: outputs } });
    expect([...parentWorld.buckets.values()][0].policy!.Statement[0].Resource).toEqual(outputs.DataArn);
    expect(() => buildWorld(parent)).toThrow(/cannot resolve \{"Fn::GetAtt":\["Child","Outputs.DataArn"\]\}/);
  });

  test('refuses NotPrincipal (iam-simulate does not model its role-session rule)', () => {
    const t = sharedTemplate({
      bucketPolicyStatements: [{ Effect: 'Deny', NotPrincipal: { AWS: READER }, Action: 's3:*', Resource: bucketObjects }],
    });
    expect(() => buildWorld(t)).toThrow(/NotPrincipal/);
  });
});

describe('evaluate: access points (docs/aws-rules.md section 2)', () => {
  const w = world();

  test('a user is allowed in their own folder through their access point', async () => {
    const d = await expectCell(w, { principal: BOB, action: 's3:GetObject', key: 'Bob/report.txt', path: viaAp('bob-ap'), network: 'internet' }, true);
    expect(d.legs.map((l) => [l.leg, l.result])).toEqual([['access-point', 'Allowed'], ['bucket', 'Allowed']]);
    expect(d.legs[0].resource).toBe(`arn:aws:s3:us-east-1:${ACCT}:accesspoint/bob-ap/object/Bob/report.txt`);
    expect(d.legs[1].resource).toBe(`${BUCKET_ARN}/Bob/report.txt`);
    expect(d.decidingSids).toEqual(expect.arrayContaining(['BobObjects', 'AllowBobObjects', 'DelegateToAccessPoints']));
    await expectCell(w, { principal: BOB, action: 's3:PutObject', key: 'Bob/new.txt', path: viaAp('bob-ap'), network: 'internet' }, true);
  });

  test('a user is denied in another folder', async () => {
    const d = await expectCell(w, { principal: BOB, action: 's3:GetObject', key: 'Alice/secret.txt', path: viaAp('bob-ap'), network: 'internet' }, false);
    expect(d).toMatchObject({ decision: 'denied: implicit', decidingLeg: 'access-point' });
  });

  test('ListBucket through an access point is scoped by s3:prefix', async () => {
    const d = await expectCell(w, { principal: BOB, action: 's3:ListBucket', listPrefix: 'Bob/', path: viaAp('bob-ap'), network: 'internet' }, true);
    expect(d.legs[0].resource).toBe(`arn:aws:s3:us-east-1:${ACCT}:accesspoint/bob-ap`);
    expect(d.legs[1].resource).toBe(BUCKET_ARN);
    await expectCell(w, { principal: BOB, action: 's3:ListBucket', listPrefix: 'Alice/', path: viaAp('bob-ap'), network: 'internet' }, false);
    await expectCell(w, { principal: BOB, action: 's3:ListBucket', path: viaAp('bob-ap'), network: 'internet' }, false);
    // same account: an identity policy without the prefix condition is enough to list everything
    // through an access point whose own policy does not explicitly deny it
    await expectCell(w, { principal: ADMIN, action: 's3:ListBucket', listPrefix: 'Alice/', path: viaAp('team-ap'), network: 'internet' }, true);
  });

  test('a user without bucket permissions is denied directly on the bucket', async () => {
    const d = await expectCell(w, { principal: BOB, action: 's3:GetObject', key: 'Bob/report.txt', path: 'bucket', network: 'internet' }, false);
    expect(d).toMatchObject({ decision: 'denied: implicit', decidingLeg: 'bucket' });
    expect(d.legs.map((l) => l.leg)).toEqual(['bucket']);
  });

  test('group policies apply to their users', async () => {
    await expectCell(w, { principal: ALICE, action: 's3:GetObject', key: 'any/file', path: viaAp('team-ap'), network: 'internet' }, true);
    await expectCell(w, { principal: ALICE, action: 's3:PutObject', key: 'any/file', path: viaAp('team-ap'), network: 'internet' }, false);
  });

  test('same-account admin with s3:* passes a non-exclusive access point but not an exclusive one', async () => {
    await expectCell(w, { principal: ADMIN, action: 's3:GetObject', key: 'Bob/report.txt', path: viaAp('team-ap'), network: 'internet' }, true);
    const d = await expectCell(w, { principal: ADMIN, action: 's3:GetObject', key: 'Bob/report.txt', path: viaAp('bob-ap'), network: 'internet' }, false);
    expect(d).toMatchObject({ decision: 'denied: explicit', decidingLeg: 'access-point', decidingSids: ['OnlyBob'] });
    expect(d.decidedBy).toMatch(/explicit Deny in access point policy \(bob-ap\), statement Sid "OnlyBob"/);
    // and directly on the bucket: the identity policy alone suffices in the same account
    await expectCell(w, { principal: ADMIN, action: 's3:DeleteObject', key: 'Bob/report.txt', path: 'bucket', network: 'internet' }, true);
  });

  test('cross account: the identity policy AND the access point policy must allow', async () => {
    // named in the access point policy, s3:* at home, bucket delegates to this account's access points
    const ok = await expectCell(w, { principal: PARTNER, action: 's3:GetObject', key: 'shared/a.csv', path: viaAp('team-ap'), network: 'internet' }, true);
    expect(ok.legs.every((l) => l.analysis.sameAccount === false)).toBe(true);
    // named in the access point policy, but no identity policy
    const noId = await expectCell(w, { principal: PARTNER_NO_IDENTITY, action: 's3:GetObject', key: 'shared/a.csv', path: viaAp('team-ap'), network: 'internet' }, false);
    expect(noId.decidedBy).toMatch(/access-point leg.*no Allow in identity policies \(cross-account/);
    // s3:* at home, not named by the access point policy (a same-account admin would pass here)
    await expectCell(w, { principal: STRANGER, action: 's3:GetObject', key: 'shared/a.csv', path: viaAp('team-ap'), network: 'internet' }, false);
    await expectCell(w, { principal: ADMIN, action: 's3:GetObject', key: 'shared/a.csv', path: viaAp('team-ap'), network: 'internet' }, true);
    // outside the granted prefix
    await expectCell(w, { principal: PARTNER, action: 's3:GetObject', key: 'private/a.csv', path: viaAp('team-ap'), network: 'internet' }, false);
    // directly on the bucket: the delegation statement only matches access point requests
    await expectCell(w, { principal: PARTNER, action: 's3:GetObject', key: 'shared/a.csv', path: 'bucket', network: 'internet' }, false);
  });

  test('a role can be given as its ARN or as a session ARN', async () => {
    const session = `arn:aws:sts::${ACCT}:assumed-role/reader/any-session`;
    const d = await expectCell(w, { principal: session, action: 's3:GetObject', key: 'x', path: viaAp('vpc-ap'), network: VIA_ENDPOINT }, true);
    expect(d.legs[0].context['aws:PrincipalArn']).toBe(READER);
    expect(d.legs[0].requestPrincipal).toBe(`arn:aws:sts::${ACCT}:assumed-role/reader/access-model-session`);
  });
});

describe('evaluate: VPC-origin access points and endpoint policies (docs/aws-rules.md section 4)', () => {
  const w = world();

  test('a VPC-origin access point rejects requests that do not come through an endpoint in its VPC', async () => {
    const fromInternet = await expectCell(w, { principal: READER, action: 's3:GetObject', key: 'a', path: viaAp('vpc-ap'), network: 'internet' }, false);
    expect(fromInternet).toMatchObject({ decision: 'denied: network origin', decidingLeg: 'network-origin', legs: [] });
    expect(fromInternet.decidedBy).toMatch(/only requests from VPC vpc-Vpc8378EB38.*the internet/);
    const otherVpc = await expectCell(w, { principal: READER, action: 's3:GetObject', key: 'a', path: viaAp('vpc-ap'), network: { vpc: OTHER_VPC, endpoint: OTHER_ENDPOINT } }, false);
    expect(otherVpc.decision).toBe('denied: network origin');
    const d = await expectCell(w, { principal: READER, action: 's3:GetObject', key: 'a', path: viaAp('vpc-ap'), network: VIA_ENDPOINT }, true);
    expect(d.legs[0].context).toMatchObject({ 'aws:SourceVpc': VPC, 'aws:SourceVpce': S3_ENDPOINT, 's3:AccessPointNetworkOrigin': 'VPC' });
    expect(d.decidingSids).toEqual(expect.arrayContaining(['ReadsOnly', 'AllowReader', 'ReaderObjects', 'DelegateToAccessPoints']));
  });

  test('the endpoint policy can deny what every other policy allows', async () => {
    const d = await expectCell(w, { principal: READER, action: 's3:PutObject', key: 'a', path: viaAp('vpc-ap'), network: VIA_ENDPOINT }, false);
    expect(d).toMatchObject({ decision: 'denied: implicit', decidingLeg: 'access-point' });
    expect(d.decidedBy).toMatch(/no Allow in endpoint policy \(vpce-S3Endpoint\) \(blocks a request the other policies allow\)/);
    // the same endpoint policy also restricts direct bucket use from that VPC (an allow-list breaks other workloads)
    await expectCell(w, { principal: ADMIN, action: 's3:PutObject', key: 'a', path: 'bucket', network: VIA_ENDPOINT }, false);
    await expectCell(w, { principal: ADMIN, action: 's3:PutObject', key: 'a', path: 'bucket', network: { vpc: OTHER_VPC, endpoint: OTHER_ENDPOINT } }, true);
  });

  test('the endpoint policy must allow BOTH the access point ARN and the bucket ARN', async () => {
    const apOnly = doc({ Sid: 'AccessPointOnly', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: apObjects('vpc-ap') });
    const d = await expectCell(world({ endpointPolicy: apOnly }), { principal: READER, action: 's3:GetObject', key: 'a', path: viaAp('vpc-ap'), network: VIA_ENDPOINT }, false);
    expect(d.legs.map((l) => [l.leg, l.result])).toEqual([['access-point', 'Allowed'], ['bucket', 'ImplicitlyDenied']]);
    expect(d.decidedBy).toMatch(/^bucket leg.*no Allow in endpoint policy/);
  });

  test('endpoint policies: {"AWS":"*"} becomes "*", statements for other principals are dropped', () => {
    const w2 = world();
    const bob = w2.principals.get(BOB)!;
    const out = endpointPolicyFor(doc(
      { Sid: 'Any', Effect: 'Allow', Principal: { AWS: '*' }, Action: 's3:GetObject', Resource: '*' },
      { Sid: 'Bob', Effect: 'Allow', Principal: { AWS: [BOB] }, Action: 's3:PutObject', Resource: '*' },
      { Sid: 'Account', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: 's3:ListBucket', Resource: '*' },
      { Sid: 'Reader', Effect: 'Allow', Principal: { AWS: READER }, Action: 's3:DeleteObject', Resource: '*' },
    ), bob, 'aws');
    expect(out.Statement.map((s: any) => [s.Sid, s.Principal])).toEqual([['Any', '*'], ['Bob', '*'], ['Account', '*']]);
  });

  test('a principal-scoped endpoint policy is evaluated per principal', async () => {
    const readerOnly = doc({ Sid: 'ReaderOnly', Effect: 'Allow', Principal: { AWS: { 'Fn::GetAtt': ['ReaderRole', 'Arn'] } }, Action: 's3:*', Resource: '*' });
    const w2 = world({ endpointPolicy: readerOnly });
    await expectCell(w2, { principal: READER, action: 's3:PutObject', key: 'a', path: viaAp('vpc-ap'), network: VIA_ENDPOINT }, true);
    await expectCell(w2, { principal: ADMIN, action: 's3:PutObject', key: 'a', path: viaAp('vpc-ap'), network: VIA_ENDPOINT }, false);
  });
});

describe('evaluate: access point condition keys in the bucket leg (the aliasing workaround)', () => {
  test('the trap: iam-simulate drops s3:DataAccessPointAccount for a bucket/object ARN', async () => {
    const response = await runSimulation({
      request: {
        principal: BOB,
        action: 's3:GetObject',
        resource: { resource: `${BUCKET_ARN}/k`, accountId: ACCT },
        contextVariables: { 's3:DataAccessPointAccount': ACCT },
      },
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: doc({ Effect: 'Allow', Principal: '*', Action: '*', Resource: `${BUCKET_ARN}/*`, Condition: { StringEquals: { 's3:DataAccessPointAccount': ACCT } } }),
    }, {});
    if (response.resultType !== 'single') throw new Error(response.resultType);
    expect(response.result.ignoredContextKeys).toEqual(['s3:DataAccessPointAccount']);
    expect(response.overallResult).toBe('ImplicitlyDenied'); // silently wrong without the workaround
  });

  test('the bucket policy condition on s3:DataAccessPointAccount decides the bucket leg', async () => {
    const req: AccessRequest = { principal: BOB, action: 's3:GetObject', key: 'Bob/report.txt', path: viaAp('bob-ap'), network: 'internet' };
    const good = await expectCell(world(), req, true);
    expect(good.legs[1].sids).toEqual(['DelegateToAccessPoints']);
    expect(good.legs[1].context).toMatchObject({ 'aws:PrincipalTag/xsim-s3-DataAccessPointAccount': ACCT });
    expect(good.legs[1].context).not.toHaveProperty('s3:DataAccessPointAccount');
    // delegate to another account's access points: Bob's identity policy covers only the access point ARN
    const wrong = await expectCell(world({ bucketPolicyStatements: [delegateToAccessPoints('111111111111')] }), req, false);
    expect(wrong).toMatchObject({ decision: 'denied: implicit', decidingLeg: 'bucket' });
    expect(wrong.legs[0].result).toBe('Allowed');
  });

  test('s3:DataAccessPointArn narrows the delegation to chosen access points', async () => {
    const w = world({
      bucketPolicyStatements: [{
        ...delegateToAccessPoints(),
        Condition: { StringLike: { 's3:DataAccessPointArn': `arn:aws:s3:us-east-1:${ACCT}:accesspoint/team-*` } },
      }],
    });
    await expectCell(w, { principal: ALICE, action: 's3:GetObject', key: 'x', path: viaAp('team-ap'), network: 'internet' }, true);
    await expectCell(w, { principal: BOB, action: 's3:GetObject', key: 'Bob/x', path: viaAp('bob-ap'), network: 'internet' }, false);
  });

  test('section 5 pattern: Deny direct bucket access with a Null test, exempting a named principal', async () => {
    const w = world({
      bucketPolicyStatements: [
        delegateToAccessPoints(),
        {
          Sid: 'DenyDirectAccess',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: bucketObjects,
          Condition: { Null: { 's3:DataAccessPointArn': 'true' }, ArnNotLike: { 'aws:PrincipalArn': [BREAK_GLASS] } },
        },
        {
          Sid: 'DenyNonVpcOrigin',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:PutObject',
          Resource: bucketObjects,
          Condition: { StringNotEquals: { 's3:AccessPointNetworkOrigin': 'VPC' }, ArnNotLike: { 'aws:PrincipalArn': [BREAK_GLASS] } },
        },
      ],
    });
    const direct = await expectCell(w, { principal: ADMIN, action: 's3:GetObject', key: 'Bob/x', path: 'bucket', network: 'internet' }, false);
    expect(direct).toMatchObject({ decision: 'denied: explicit', decidingLeg: 'bucket', decidingSids: ['DenyDirectAccess'] });
    // through an access point the key is present (aliased), so the Deny does not match
    await expectCell(w, { principal: ADMIN, action: 's3:GetObject', key: 'Bob/x', path: viaAp('team-ap'), network: 'internet' }, true);
    await expectCell(w, { principal: BREAK_GLASS, action: 's3:GetObject', key: 'Bob/x', path: 'bucket', network: 'internet' }, true);
    // s3:AccessPointNetworkOrigin is aliased too
    const put = await expectCell(w, { principal: ADMIN, action: 's3:PutObject', key: 'x', path: viaAp('team-ap'), network: 'internet' }, false);
    expect(put.decidingSids).toEqual(['DenyNonVpcOrigin']);
  });

  test('without aliasing, the dropped keys make evaluate() throw instead of answering wrongly', async () => {
    const req: AccessRequest = { principal: BOB, action: 's3:GetObject', key: 'Bob/report.txt', path: viaAp('bob-ap'), network: 'internet' };
    await expect(evaluate(world(), req, { aliasAccessPointKeys: false }))
      .rejects.toThrow(/ignored context keys \[s3:DataAccessPointArn, s3:DataAccessPointAccount, s3:AccessPointNetworkOrigin\] in the bucket leg/);
  });

  test('any context key the simulator ignores makes evaluate() throw', async () => {
    const req: AccessRequest = { principal: BOB, action: 's3:GetObject', key: 'Bob/a', path: viaAp('bob-ap'), network: 'internet', extraContext: { 'aws:NotARealKey': 'x' } };
    await expect(evaluate(world(), req)).rejects.toThrow(/ignored context keys \[aws:NotARealKey\] in the access-point leg/);
  });

  test('simulator validation errors throw (e.g. an object key on a bucket-level action)', async () => {
    await expect(evaluate(world(), { principal: BOB, action: 's3:ListBucket', key: 'Bob/a', path: viaAp('bob-ap'), network: 'internet' }))
      .rejects.toThrow(/iam-simulate rejected the .* leg[^]*no\.resource\.types/);
    await expect(evaluate(world(), { principal: 'arn:aws:iam::123456789012:user/nobody', action: 's3:GetObject', key: 'a', path: 'bucket', network: 'internet' }))
      .rejects.toThrow(/unknown principal/);
  });
});

describe('evaluate: SSE-KMS (docs/aws-rules.md section 6)', () => {
  const t: TemplateJson = {
    Resources: {
      Key: {
        Type: 'AWS::KMS::Key',
        Properties: { KeyPolicy: doc({ Sid: 'EnableIam', Effect: 'Allow', Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] } }, Action: 'kms:*', Resource: '*' }) },
      },
      B: {
        Type: 'AWS::S3::Bucket',
        Properties: {
          BucketName: 'kms-bucket',
          BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': ['Key', 'Arn'] } } }] },
        },
      },
      BP: { Type: 'AWS::S3::BucketPolicy', Properties: { Bucket: { Ref: 'B' }, PolicyDocument: doc({ ...delegateToAccessPoints(), Resource: ['arn:aws:s3:::kms-bucket', 'arn:aws:s3:::kms-bucket/*'] }) } },
      AP: { Type: 'AWS::S3::AccessPoint', Properties: { Bucket: { Ref: 'B' }, Name: 'kms-ap' } },
      Keyed: {
        Type: 'AWS::IAM::User',
        Properties: {
          UserName: 'keyed',
          Policies: [{
            PolicyName: 'p',
            PolicyDocument: doc(
              { Sid: 'Objects', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: apObjects('kms-ap') },
              {
                Sid: 'DecryptViaS3',
                Effect: 'Allow',
                Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
                Resource: { 'Fn::GetAtt': ['Key', 'Arn'] },
                Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' }, StringLike: { 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::kms-bucket/in/*' } },
              },
            ),
          }],
        },
      },
      Unkeyed: {
        Type: 'AWS::IAM::User',
        Properties: { UserName: 'unkeyed', Policies: [{ PolicyName: 'p', PolicyDocument: doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: apObjects('kms-ap') }) }] },
      },
    },
  };
  const w = buildWorld(t);
  const req = (user: string, key: string, action = 's3:GetObject'): AccessRequest => (
    { principal: `arn:aws:iam::${ACCT}:user/${user}`, action, key, path: viaAp('kms-ap'), network: 'internet', encrypted: true });

  test('download needs kms:Decrypt, upload kms:GenerateDataKey; the encryption context is the object ARN', async () => {
    const d = await expectCell(w, req('keyed', 'in/a'), true);
    expect(d.legs.map((l) => [l.leg, l.action])).toEqual([['access-point', 's3:GetObject'], ['bucket', 's3:GetObject'], ['kms', 'kms:Decrypt']]);
    expect(d.legs[2].sids).toEqual(['DecryptViaS3', 'EnableIam']);
    await expectCell(w, req('keyed', 'in/a', 's3:PutObject'), true);
    const outside = await expectCell(w, req('keyed', 'out/a'), false);
    expect(outside.decidingLeg).toBe('kms');
    const unkeyed = await expectCell(w, req('unkeyed', 'in/a'), false);
    expect(unkeyed.decidedBy).toMatch(/^kms leg \(kms:Decrypt on arn:aws:kms:us-east-1:123456789012:key\/Key\)/);
    await expectCell(w, { ...req('unkeyed', 'in/a'), encrypted: false }, true);
  });
});

describe('reporting and speed', () => {
  test('formatCell names principal, action, key, path, network, deciding leg and Sids', async () => {
    const d = await evaluate(world(), { principal: ADMIN, action: 's3:GetObject', key: 'Bob/x', path: viaAp('bob-ap'), network: VIA_ENDPOINT });
    const text = formatCell(d, true);
    expect(text).toContain('expected ALLOWED, got DENIED (denied: explicit)');
    expect(text).toContain(`principal:  ${ADMIN}`);
    expect(text).toContain('action:     s3:GetObject  key: "Bob/x"');
    expect(text).toContain('path:       access point bob-ap');
    expect(text).toContain(`network:    VPC ${VPC} via ${S3_ENDPOINT}`);
    expect(text).toContain('statements: OnlyBob');
    expect(text).toMatch(/\[access-point\] ExplicitlyDenied: s3:GetObject on arn:aws:s3:us-east-1:123456789012:accesspoint\/bob-ap\/object\/Bob\/x/);
  });

  test('evaluateMatrix collects readable failures', async () => {
    const cells: MatrixCell[] = [
      { request: { principal: BOB, action: 's3:GetObject', key: 'Bob/a', path: viaAp('bob-ap'), network: 'internet' }, expected: true },
      { request: { principal: BOB, action: 's3:GetObject', key: 'Alice/a', path: viaAp('bob-ap'), network: 'internet' }, expected: true },
    ];
    const m = await evaluateMatrix(world(), cells);
    expect(m.failures).toHaveLength(1);
    expect(m.failures[0]).toContain('key: "Alice/a"');
  });

  // Speed is a figure to read, not a threshold: a timed assertion fails on a busy runner.
  test('a large matrix of distinct cells decides every cell, and prints its speed', async () => {
    const n = Number(process.env.ACCESS_MODEL_PERF_CELLS ?? 2000);
    const w = world();
    const principals = [BOB, ALICE, READER, ADMIN, PARTNER, STRANGER];
    const actions = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'];
    const paths = [viaAp('bob-ap'), viaAp('team-ap'), viaAp('vpc-ap'), 'bucket' as const];
    const networks = ['internet' as const, VIA_ENDPOINT, { vpc: OTHER_VPC, endpoint: OTHER_ENDPOINT }];
    const cells: MatrixCell[] = [];
    for (let i = 0; i < n; i++) {
      cells.push({
        request: {
          principal: principals[i % principals.length],
          action: actions[Math.floor(i / 6) % actions.length],
          key: `${['Bob', 'shared', 'x'][i % 3]}/file-${i}.txt`, // distinct keys: no leg-cache hits
          path: paths[Math.floor(i / 18) % paths.length],
          network: networks[Math.floor(i / 72) % networks.length],
        },
        expected: false,
      });
    }
    const m = await evaluateMatrix(w, cells);
    const allowed = m.decisions.filter((d) => d.allowed).length;
    console.log(`access model: ${n} distinct cells in ${(m.totalMs / 1000).toFixed(2)} s = ${m.msPerCell.toFixed(3)} ms/cell (${allowed} allowed)`);
    expect(m.decisions).toHaveLength(n);
    expect(allowed).toBeGreaterThan(0);
    // every denial names the leg (or the network origin) that decided it
    expect(m.decisions.filter((d) => !d.allowed && d.decidingLeg === undefined)).toEqual([]);
  }, 120_000);
});

describe('harness extensions for matrices', () => {
  const PARTNER_ACCT = '222222222222';
  const ANALYST = `arn:aws:iam::${PARTNER_ACCT}:role/analyst`;
  /** The bucket account: a bucket whose policy delegates to the access points of `accounts`. */
  const bucketTemplate = (...accounts: string[]): TemplateJson => ({
    Resources: {
      SharedBucket1A2B3C4D: { Type: 'AWS::S3::Bucket' },
      SharedBucketPolicy5E6F: {
        Type: 'AWS::S3::BucketPolicy',
        Properties: { Bucket: { Ref: 'SharedBucket1A2B3C4D' }, PolicyDocument: doc(delegateToAccessPoints(accounts)) },
      },
    },
  });
  /** The partner account: an access point to that bucket, and a role allowed to read through it. */
  const partnerTemplate = (identityStatements: any[] = []): TemplateJson => ({
    Resources: {
      PartnerAccessPoint: { Type: 'AWS::S3::AccessPoint', Properties: { Bucket: BUCKET, BucketAccountId: ACCT, Name: 'partner-ap' } },
      Analyst: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: 'analyst',
          AssumeRolePolicyDocument: doc({ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }),
          Policies: [{ PolicyName: 'read', PolicyDocument: doc({ Sid: 'ReadThroughAccessPoint', Effect: 'Allow', Action: 's3:GetObject', Resource: apObjects('partner-ap') }, ...identityStatements) }],
        },
      },
    },
  });
  const crossWorld = (bucketAccounts: string[], identityStatements: any[] = []) => mergeWorlds(
    buildWorld(bucketTemplate(...bucketAccounts)),
    buildWorld(partnerTemplate(identityStatements), { account: PARTNER_ACCT }),
  );
  const read: AccessRequest = { principal: ANALYST, action: 's3:GetObject', key: 'k', path: viaAp('partner-ap'), network: 'internet' };

  test('mergeWorlds keeps the account of each world and refuses duplicates', () => {
    const w = crossWorld([PARTNER_ACCT]);
    expect(w.buckets.get(BUCKET)).toMatchObject({ account: ACCT });
    expect(w.accessPoints.get('partner-ap')).toMatchObject({ account: PARTNER_ACCT, bucketAccount: ACCT, arn: `arn:aws:s3:us-east-1:${PARTNER_ACCT}:accesspoint/partner-ap` });
    expect(w.principals.get(ANALYST)).toMatchObject({ account: PARTNER_ACCT });
    expect(() => mergeWorlds(world(), world())).toThrow(/bucket sharedbucket1a2b3c4d is in two of them/);
    expect(() => mergeWorlds(world(), buildWorld(bucketTemplate(), { region: 'eu-west-1' }))).toThrow(/cannot merge worlds of aws\/us-east-1 and aws\/eu-west-1/);
  });

  test('cross-account access point (docs/aws-rules.md section 7): the bucket policy alone decides the bucket leg', async () => {
    const d = await expectCell(crossWorld([PARTNER_ACCT]), read, true);
    expect(d.legs.map((l) => [l.leg, l.resourceAccount, l.result])).toEqual([['access-point', PARTNER_ACCT, 'Allowed'], ['bucket', ACCT, 'Allowed']]);
    expect(d.legs[1].sids).toEqual(['BucketPolicyDecides', 'DelegateToAccessPoints']);
    // not delegated: refused by the bucket leg
    const refused = await expectCell(crossWorld(['111111111111']), read, false);
    expect(refused).toMatchObject({ decision: 'denied: implicit', decidingLeg: 'bucket' });
    // an explicit Deny in the caller's identity policy still applies to the bucket
    const denied = await expectCell(crossWorld([PARTNER_ACCT], [{ Sid: 'NoBucket', Effect: 'Deny', Action: 's3:*', Resource: `${BUCKET_ARN}/*` }]), read, false);
    expect(denied).toMatchObject({ decision: 'denied: explicit', decidingLeg: 'bucket', decidingSids: ['NoBucket'] });
    // a world whose bucket is not the one the access point names is refused
    const wrongAccount = mergeWorlds(buildWorld(bucketTemplate(PARTNER_ACCT), { account: '444444444444' }), buildWorld(partnerTemplate(), { account: PARTNER_ACCT }));
    await expect(evaluate(wrongAccount, read)).rejects.toThrow(/is for bucket sharedbucket1a2b3c4d of account 123456789012, but the world's bucket .* is in account 444444444444/);
  });

  test('stopAtFirstDenial keeps the verdict and skips the legs after a denial', async () => {
    const w = world();
    const req: AccessRequest = { principal: ADMIN, action: 's3:GetObject', key: 'Bob/x', path: viaAp('bob-ap'), network: 'internet' };
    const full = await evaluate(w, req);
    const fast = await evaluate(w, req, { stopAtFirstDenial: true });
    expect([full.allowed, fast.allowed]).toEqual([false, false]);
    expect(full.legs.map((l) => l.leg)).toEqual(['access-point', 'bucket']);
    expect(fast.legs.map((l) => l.leg)).toEqual(['access-point']);
    expect(fast.decidingSids).toEqual(['OnlyBob']);
    const allowed = await evaluate(w, { ...req, principal: BOB }, { stopAtFirstDenial: true });
    expect(allowed.legs.map((l) => l.leg)).toEqual(['access-point', 'bucket']);
  });

  test('resolves log group ARNs (VPC flow logs)', () => {
    const w = world({
      extraResources: {
        Logs: { Type: 'AWS::Logs::LogGroup' },
        FlowLogRole: {
          Type: 'AWS::IAM::Role',
          Properties: {
            AssumeRolePolicyDocument: doc({ Effect: 'Allow', Principal: { Service: 'vpc-flow-logs.amazonaws.com' }, Action: 'sts:AssumeRole' }),
            Policies: [{ PolicyName: 'logs', PolicyDocument: doc({ Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: [{ 'Fn::GetAtt': ['Logs', 'Arn'] }, { Ref: 'Logs' }] }) }],
          },
        },
      },
    });
    expect(w.principals.get(`arn:aws:iam::${ACCT}:role/FlowLogRole`)!.policies[0].document.Statement[0].Resource)
      .toEqual([`arn:aws:logs:us-east-1:${ACCT}:log-group:Logs:*`, 'Logs']);
  });
});

describe('attacker model: resources and request shapes that are not in the template', () => {
  const MRAP = 'mfzwi23gnjvgw.mrap';
  const MRAP_ARN = `arn:aws:s3::${ACCT}:accesspoint/${MRAP}`;
  /** An admin's own access points: no policy, one per network origin, and a Multi-Region Access Point. */
  const attackerWorld = (bucketPolicyStatements?: any[]) => world({ bucketPolicyStatements }, {
    externalPrincipals: EXTERNALS,
    externalAccessPoints: [
      { name: 'evil-ap', bucket: BUCKET },
      { name: 'evil-vpc-ap', bucket: BUCKET, vpcId: OTHER_VPC },
      { name: MRAP, bucket: BUCKET, multiRegion: true },
    ],
  });
  const untrustedDeny = (condition: any) => ({
    Sid: 'DenyUntrusted', Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: bucketObjects, Condition: condition,
  });

  test('external access points get ARNs of their kind and no policy; a Multi-Region one has no Region in its ARN', () => {
    const w = attackerWorld();
    expect(w.accessPoints.get('evil-ap')).toMatchObject({ arn: `arn:aws:s3:us-east-1:${ACCT}:accesspoint/evil-ap`, networkOrigin: 'Internet', policy: undefined, bucket: BUCKET });
    expect(w.accessPoints.get('evil-vpc-ap')).toMatchObject({ networkOrigin: 'VPC', vpcId: OTHER_VPC });
    expect(w.accessPoints.get(MRAP)).toMatchObject({ arn: MRAP_ARN, multiRegion: true });
    expect(() => world({}, { externalAccessPoints: [{ name: 'bob-ap', bucket: BUCKET }] })).toThrow(/external access point bob-ap is already in the world/);
    expect(() => world({}, { externalAccessPoints: [{ name: 'no-alias', bucket: BUCKET, multiRegion: true }] })).toThrow(/name it by its alias/);
  });

  test('a same-account admin with s3:* reads through an access point of its own that has no policy (identity policy suffices)', async () => {
    const d = await expectCell(attackerWorld(), { principal: ADMIN, action: 's3:GetObject', key: 'Bob/x', path: viaAp('evil-ap'), network: 'internet' }, true);
    expect(d.legs.map((l) => [l.leg, l.resourcePolicy])).toEqual([['access-point', 'no access point policy'], ['bucket', 'bucket policy (sharedbucket1a2b3c4d)']]);
    // its VPC-origin access point takes requests through an endpoint of its VPC only
    await expectCell(attackerWorld(), { principal: ADMIN, action: 's3:GetObject', key: 'Bob/x', path: viaAp('evil-vpc-ap'), network: 'internet' }, false);
    await expectCell(attackerWorld(), { principal: ADMIN, action: 's3:GetObject', key: 'Bob/x', path: viaAp('evil-vpc-ap'), network: { vpc: OTHER_VPC, endpoint: OTHER_ENDPOINT } }, true);
  });

  test('a Multi-Region Access Point: its leg is simulated on a regional stand-in ARN, the bucket sees the real MRAP ARN', async () => {
    const d = await expectCell(attackerWorld(), { principal: ADMIN, action: 's3:GetObject', key: 'Bob/x', path: viaAp(MRAP), network: 'internet' }, true);
    expect(d.legs[0].resource).toBe(`arn:aws:s3:us-east-1:${ACCT}:accesspoint/${MRAP}/object/Bob/x`);
    expect(d.legs[0].context).toMatchObject({ 's3:DataAccessPointArn': MRAP_ARN, 's3:DataAccessPointAccount': ACCT });
    expect(d.legs[0].context).not.toHaveProperty('s3:AccessPointNetworkOrigin');
    expect(d.legs[1].context).toMatchObject({ 'aws:PrincipalTag/xsim-s3-DataAccessPointArn': MRAP_ARN });
    // its own policy is rewritten to the stand-in ARN, so a Deny in it still applies
    const denying = world({}, {
      externalPrincipals: EXTERNALS,
      externalAccessPoints: [{
        name: MRAP,
        bucket: BUCKET,
        multiRegion: true,
        policy: doc({ Sid: 'NoAdmin', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: `${MRAP_ARN}/object/*` }),
      }],
    });
    const denied = await expectCell(denying, { principal: ADMIN, action: 's3:GetObject', key: 'Bob/x', path: viaAp(MRAP), network: 'internet' }, false);
    expect(denied).toMatchObject({ decidingLeg: 'access-point', decidingSids: ['NoAdmin'] });
  });

  test('negated operators match when the key is absent: one StringNotLike on s3:DataAccessPointArn denies direct and untrusted paths', async () => {
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
    const w = attackerWorld([
      delegateToAccessPoints(),
      untrustedDeny({ StringNotLike: { 's3:DataAccessPointArn': `arn:aws:s3:us-east-1:${ACCT}:accesspoint/team-*` } }),
    ]);
    const get = (path: AccessRequest['path']): AccessRequest => ({ principal: ADMIN, action: 's3:GetObject', key: 'shared/x', path, network: 'internet' });
    for (const path of ['bucket' as const, viaAp('evil-ap'), viaAp(MRAP)]) {
      const d = await expectCell(w, get(path), false);
      expect(d).toMatchObject({ decision: 'denied: explicit', decidingLeg: 'bucket', decidingSids: ['DenyUntrusted'] });
    }
    await expectCell(w, get(viaAp('team-ap')), true);
    // the Null test of the key does not see the difference: every access point passes it
    const nullOnly = attackerWorld([delegateToAccessPoints(), untrustedDeny({ Null: { 's3:DataAccessPointArn': 'true' } })]);
    await expectCell(nullOnly, get(viaAp('evil-ap')), true);
    await expectCell(nullOnly, get(viaAp(MRAP)), true);
  });

  test('StringNotEquals on s3:DataAccessPointAccount: direct requests and other accounts\' access points are denied, own ones pass', async () => {
    const w = attackerWorld([delegateToAccessPoints(), untrustedDeny({ StringNotEquals: { 's3:DataAccessPointAccount': ACCT } })]);
    await expectCell(w, { principal: ADMIN, action: 's3:GetObject', key: 'x', path: 'bucket', network: 'internet' }, false);
    await expectCell(w, { principal: ADMIN, action: 's3:GetObject', key: 'x', path: viaAp('evil-ap'), network: 'internet' }, true);
    await expectCell(w, { principal: ADMIN, action: 's3:GetObject', key: 'x', path: viaAp(MRAP), network: 'internet' }, true);
    // another account's access point, even one the bucket delegates to, is denied by the account test
    const foreign = world({ bucketPolicyStatements: [delegateToAccessPoints([ACCT, OTHER]), untrustedDeny({ StringNotEquals: { 's3:DataAccessPointAccount': ACCT } })] }, {
      externalPrincipals: EXTERNALS,
      externalAccessPoints: [{ name: 'foreign-ap', account: OTHER, bucket: BUCKET }],
    });
    const viaForeign = await expectCell(foreign, { principal: PARTNER, action: 's3:GetObject', key: 'x', path: viaAp('foreign-ap'), network: 'internet' }, false);
    expect(viaForeign).toMatchObject({ decision: 'denied: explicit', decidingLeg: 'bucket', decidingSids: ['DenyUntrusted'] });
  });

  test('the console\'s listing shape: s3:prefix with s3:delimiter reaches the policies (no ignored key)', async () => {
    const w = world({}, { externalPrincipals: EXTERNALS });
    const withDelimiter = (listPrefix: string): AccessRequest => ({ principal: BOB, action: 's3:ListBucket', listPrefix, listDelimiter: '/', path: viaAp('bob-ap'), network: 'internet' });
    const root = await expectCell(w, withDelimiter(''), false);
    expect(root.legs[0].context).toMatchObject({ 's3:prefix': '', 's3:delimiter': '/' });
    await expectCell(w, withDelimiter('Bob/'), true);
    expect(formatCell(root)).toMatch(/prefix: "" {2}delimiter: "\/"/);
  });

  test('a copy is a read of the source AND a write of the destination, each through its own path', async () => {
    const w = world({}, { externalPrincipals: EXTERNALS });
    const copy = (sourceKey: string, destinationKey: string) => evaluateCopy(w, {
      principal: BOB,
      network: 'internet',
      source: { path: viaAp('bob-ap'), key: sourceKey },
      destination: { path: viaAp('bob-ap'), key: destinationKey },
    });
    expect((await copy('Bob/a', 'Bob/b')).allowed).toBe(true);
    const fromOther = await copy('app/secret', 'Bob/b');
    expect([fromOther.allowed, fromOther.read.allowed, fromOther.write.allowed]).toEqual([false, false, true]);
    expect(fromOther.read.request).toMatchObject({ action: 's3:GetObject', key: 'app/secret' });
    const toOther = await copy('Bob/a', 'app/x');
    expect([toOther.allowed, toOther.read.allowed, toOther.write.allowed]).toEqual([false, true, false]);
    expect(toOther.write.request).toMatchObject({ action: 's3:PutObject', key: 'app/x' });
  });
});
