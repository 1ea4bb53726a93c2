import * as fs from 'fs';
import * as path from 'path';
import { App, CfnParameter, Fn, Lazy, Stack, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AccessPoint, AccessPointProps, IAccessPoint, NetworkOrigin } from '../src';
import { accessPointPolicyStatements, errorOf } from './helpers';
import { validateAccessPointName } from '../src/validation';

const ACCOUNT = '123456789012';
const OTHER_ACCOUNT = '999999999999';
const ENV = { account: ACCOUNT, region: 'us-east-1' };
const NAME = 'my-ap';
const IMPORTED_ARN = `arn:aws:s3:us-east-1:${ACCOUNT}:accesspoint/imported-ap`;

/** The partition-aware ARN CDK renders for an access point of this stack (plus an optional suffix). */
function apArn(name: string = NAME, suffix = '') {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:us-east-1:${ACCOUNT}:accesspoint/${name}${suffix}`]] };
}

function setup(props: Partial<AccessPointProps> = {}, bucketProps: s3.BucketProps = {}) {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: ENV });
  const bucket = new s3.Bucket(stack, 'Bucket', bucketProps);
  const accessPoint = new AccessPoint(stack, 'AP', { bucket, accessPointName: NAME, ...props });
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
  return { app, stack, bucket, accessPoint, role };
}


/** An access point, and a role in another stack of the same app to grant. */
function granteeInAnotherStack() {
  const app = new App();
  const roles = new Stack(app, 'Roles', { env: ENV });
  const role = new iam.Role(roles, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
  const stack = new Stack(app, 'AccessPoints', { env: ENV });
  const accessPoint = new AccessPoint(stack, 'AP', { bucket: s3.Bucket.fromBucketName(stack, 'Bucket', 'shared'), accessPointName: NAME });
  return { app, roles, role, stack, accessPoint };
}

type GrantMethod = 'grantRead' | 'grantWrite' | 'grantReadWrite' | 'grantDelete' | 'grantList';

interface GrantCase {
  readonly method: GrantMethod;
  /** Object actions as CloudFormation renders them (a single action is a string). */
  readonly objectActions?: string | string[];
  /** List actions as CloudFormation renders them, when the grant lists. */
  readonly list?: string | string[];
  readonly kmsActions?: string | string[];
}

// The action lists of src/perms.ts, spelled out: a change there must show up here.
/** A level that reads lists versions too: whoever may read a version must be able to find its ID. */
const READ_LIST = ['s3:ListBucket', 's3:ListBucketVersions'];
const GRANTS: GrantCase[] = [
  { method: 'grantRead', objectActions: ['s3:GetObject', 's3:GetObjectVersion'], list: READ_LIST, kmsActions: 'kms:Decrypt' },
  {
    method: 'grantWrite',
    objectActions: ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'],
    kmsActions: ['kms:Decrypt', 'kms:GenerateDataKey'],
  },
  {
    method: 'grantReadWrite',
    objectActions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:GetObjectVersion', 's3:ListMultipartUploadParts', 's3:PutObject'],
    list: READ_LIST,
    kmsActions: ['kms:Decrypt', 'kms:GenerateDataKey'],
  },
  { method: 'grantDelete', objectActions: 's3:DeleteObject' },
  { method: 'grantList', list: 's3:ListBucket' },
];

/** The statements one grant writes, for an identity policy (no principal). */
function folderStatements(g: GrantCase, objectArn: unknown, listCondition: object | undefined): object[] {
  const statements: object[] = [];
  if (g.objectActions) statements.push({ Action: g.objectActions, Effect: 'Allow', Resource: objectArn });
  if (g.list) {
    statements.push(listCondition
      ? { Action: g.list, Effect: 'Allow', Resource: apArn(), Condition: listCondition }
      : { Action: g.list, Effect: 'Allow', Resource: apArn() });
  }
  return statements;
}

const BOB_LIST_CONDITION = { StringLike: { 's3:prefix': ['bob/', 'bob/*'] } };

describe('AccessPoint', () => {
  describe('resource', () => {
    test('creates an access point on the bucket with the given name and every public access block', () => {
      const { stack, bucket } = setup();
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::S3::AccessPoint', 1);
      template.hasResourceProperties('AWS::S3::AccessPoint', {
        Bucket: stack.resolve(bucket.bucketName),
        Name: NAME,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
        },
        VpcConfiguration: Match.absent(),
        BucketAccountId: Match.absent(),
      });
    });

    test('has Internet origin without a vpc', () => {
      const { accessPoint } = setup();
      expect(accessPoint.networkOrigin).toBe(NetworkOrigin.INTERNET);
    });

    test('accepts requests only from the given vpc', () => {
      // GIVEN
      const app = new App();
      const stack = new Stack(app, 'Stack', { env: ENV });
      const vpc = new ec2.Vpc(stack, 'Vpc', {
        maxAzs: 1, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      });

      // WHEN
      const accessPoint = new AccessPoint(stack, 'AP', { bucket: new s3.Bucket(stack, 'Bucket'), vpc });

      // THEN
      Template.fromStack(stack).hasResourceProperties('AWS::S3::AccessPoint', {
        VpcConfiguration: { VpcId: stack.resolve(vpc.vpcId) },
      });
      expect(accessPoint.networkOrigin).toBe(NetworkOrigin.VPC);
    });

    test('passes bucketAccountId through for an imported bucket whose account it does not know', () => {
      const stack = new Stack(new App(), 'Stack', { env: ENV });
      const bucket = s3.Bucket.fromBucketName(stack, 'Bucket', 'partner-bucket');
      new AccessPoint(stack, 'AP', { bucket, accessPointName: NAME, bucketAccountId: OTHER_ACCOUNT });
      Template.fromStack(stack).hasResourceProperties('AWS::S3::AccessPoint', { BucketAccountId: OTHER_ACCOUNT });
    });

    test('renders the given Block Public Access settings, unset ones as false', () => {
      const { stack } = setup({ blockPublicAccess: new s3.BlockPublicAccess({ blockPublicAcls: true, ignorePublicAcls: true }) });
      Template.fromStack(stack).hasResourceProperties('AWS::S3::AccessPoint', {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true, BlockPublicPolicy: false, IgnorePublicAcls: true, RestrictPublicBuckets: false,
        },
      });
    });

    test('node.defaultChild is the CfnAccessPoint', () => {
      const { accessPoint } = setup();
      expect(accessPoint.node.defaultChild).toBeInstanceOf(s3.CfnAccessPoint);
      expect(accessPoint.node.defaultChild!.node.id).toBe('Resource');
    });

    test('exposes its name, the bucket and the alias attribute', () => {
      const { stack, bucket, accessPoint } = setup();
      expect(accessPoint.accessPointName).toBe(NAME);
      expect(accessPoint.bucket).toBe(bucket);
      const cfn = accessPoint.node.defaultChild as s3.CfnAccessPoint;
      expect(stack.resolve(accessPoint.accessPointAlias)).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(cfn), 'Alias'] });
    });
  });

  describe('generated name', () => {
    function generatedName(id = 'AP'): string {
      const stack = new Stack(new App(), 'Stack', { env: ENV });
      return new AccessPoint(stack, id, { bucket: new s3.Bucket(stack, 'Bucket') }).accessPointName;
    }

    test('is a valid access point name of at most 50 characters', () => {
      const name = generatedName();
      expect(validateAccessPointName('accessPointName', name)).toEqual([]);
      expect(name.length).toBeLessThanOrEqual(50);
    });

    test('stays valid and within 50 characters for a deep path of long ids', () => {
      // GIVEN
      const stack = new Stack(new App(), 'Stack', { env: ENV });
      const parent = new Construct(stack, 'AVeryLongConstructIdThatKeepsGoing_WithUnderscores');

      // WHEN
      const accessPoint = new AccessPoint(parent, 'AnotherVeryLongConstructIdForTestingPurposes', { bucket: new s3.Bucket(stack, 'Bucket') });

      // THEN
      expect(validateAccessPointName('accessPointName', accessPoint.accessPointName)).toEqual([]);
      expect(accessPoint.accessPointName.length).toBeLessThanOrEqual(50);
    });

    test('is the same in two synths of the same app', () => {
      expect(generatedName()).toBe(generatedName());
    });

    test('differs for two access points', () => {
      // GIVEN
      const stack = new Stack(new App(), 'Stack', { env: ENV });
      const bucket = new s3.Bucket(stack, 'Bucket');

      // WHEN
      const first = new AccessPoint(stack, 'First', { bucket });
      const second = new AccessPoint(stack, 'Second', { bucket });

      // THEN
      expect(first.accessPointName).not.toBe(second.accessPointName);
      expect(generatedName('ap')).not.toBe(generatedName('AP'));
    });

    test('is rendered as Name', () => {
      const stack = new Stack(new App(), 'Stack', { env: ENV });
      const accessPoint = new AccessPoint(stack, 'AP', { bucket: new s3.Bucket(stack, 'Bucket') });
      Template.fromStack(stack).hasResourceProperties('AWS::S3::AccessPoint', { Name: accessPoint.accessPointName });
    });
  });

  describe('ARNs', () => {
    test('accessPointArn is partition-aware', () => {
      const { stack, accessPoint } = setup();
      const resolved = stack.resolve(accessPoint.accessPointArn);
      expect(resolved).toEqual(apArn());
      expect(JSON.stringify(resolved)).toContain(JSON.stringify({ Ref: 'AWS::Partition' }));
      expect(JSON.stringify(resolved)).not.toContain('arn:aws');
    });

    test('arnForObjects names objects through the access point', () => {
      const { stack, accessPoint } = setup();
      expect(stack.resolve(accessPoint.arnForObjects('bob/*'))).toEqual(apArn(NAME, '/object/bob/*'));
    });
  });

  describe('addToResourcePolicy', () => {
    test('renders no Policy while the policy is empty', () => {
      const { stack } = setup();
      Template.fromStack(stack).hasResourceProperties('AWS::S3::AccessPoint', { Policy: Match.absent() });
    });

    test('renders the statement into Policy and reports it added', () => {
      // GIVEN
      const { stack, accessPoint } = setup();

      // WHEN
      const result = accessPoint.addToResourcePolicy(new iam.PolicyStatement({
        principals: [new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/Reader`)],
        actions: ['s3:GetObject'],
        resources: [accessPoint.arnForObjects('public/*')],
      }));

      // THEN
      expect(result.statementAdded).toBe(true);
      expect(result.policyDependable).toBe(accessPoint.node.defaultChild);
      Template.fromStack(stack).hasResourceProperties('AWS::S3::AccessPoint', {
        Policy: {
          Version: '2012-10-17',
          Statement: [Match.objectEquals({
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/Reader` },
            Action: 's3:GetObject',
            Resource: apArn(NAME, '/object/public/*'),
          })],
        },
      });
    });

    test('every synthesis renders the policy as it is then, including grantees added after a synthesis', () => {
      const { app, stack, accessPoint } = setup();
      const reader = (name: string) => new iam.ArnPrincipal(`arn:aws:iam::222222222222:role/${name}`);
      accessPoint.grantRead(reader('First'), 'first/');
      // Template.fromStack would return the first synthesis again: synthesize anew each time.
      const principalsOf = () => accessPointPolicyStatements(Template.fromJSON(app.synth({ force: true }).getStackByName(stack.stackName).template))
        .map(s => s.Principal.AWS);
      expect(principalsOf()).toEqual([reader('First').arn, reader('First').arn]);
      accessPoint.grantRead(reader('Second'), 'second/');
      accessPoint.policy.addStatements(new iam.PolicyStatement({ principals: [reader('Third')], actions: ['s3:GetObject'], resources: [accessPoint.arnForObjects('third/*')] }));
      expect(principalsOf()).toEqual([reader('First').arn, reader('First').arn, reader('Second').arn, reader('Second').arn, reader('Third').arn]);
    });

    test('a synthesis without validation renders what is there then: no resolution of an earlier validation is reused', () => {
      // resolved before any synthesis collected references: the grantee of the other stack is not an export yet
      const { app, role, accessPoint } = granteeInAnotherStack();
      const statement = new iam.PolicyStatement({ principals: [role], actions: ['s3:GetObject'], resources: [accessPoint.arnForObjects('r/*')] });
      accessPoint.addToResourcePolicy(statement);
      expect(accessPoint.node.validate()).toEqual([]);
      const policyOf = (assembly: { getStackByName(name: string): { template: any } }) =>
        accessPointPolicyStatements(Template.fromJSON(assembly.getStackByName('AccessPoints').template));
      expect(policyOf(app.synth({ skipValidation: true }))[0].Principal.AWS).toEqual({ 'Fn::ImportValue': expect.stringMatching(/^Roles:ExportsOutputFnGetAttReader/) });

      // a statement changed in place, and a token whose value moved, after a validated synthesis
      let folder = 'first/';
      accessPoint.addToResourcePolicy(new iam.PolicyStatement({
        principals: [new iam.ArnPrincipal('arn:aws:iam::222222222222:role/Other')],
        actions: ['s3:GetObject'],
        resources: [Lazy.uncachedString({ produce: () => accessPoint.arnForObjects(`${folder}*`) })],
      }));
      app.synth({ force: true });
      statement.addActions('s3:GetObjectVersion');
      folder = 'second/';
      const [changed, moved] = policyOf(app.synth({ force: true, skipValidation: true }));
      expect(changed.Action).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
      expect(JSON.stringify(moved.Resource)).toContain('/object/second/*');
    });

    test('a grantee of another stack is named through an export, in the template and in the tree', () => {
      const { app, roles, role, stack, accessPoint } = granteeInAnotherStack();
      accessPoint.addToResourcePolicy(new iam.PolicyStatement({ principals: [role], actions: ['s3:GetObject'], resources: [accessPoint.arnForObjects('r/*')] }));
      const assembly = app.synth();
      const [statement] = accessPointPolicyStatements(Template.fromStack(stack));
      expect(statement.Principal.AWS['Fn::ImportValue']).toMatch(/^Roles:ExportsOutputFnGetAttReader\w+Arn\w+$/);
      expect(Object.keys(Template.fromStack(roles).findOutputs('*'))).toEqual([expect.stringMatching(/^ExportsOutputFnGetAttReader/)]);
      const tree = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'tree.json'), 'utf-8'));
      const props = tree.tree.children.AccessPoints.children.AP.children.Resource.attributes['aws:cdk:cloudformation:props'];
      expect(props.policy.Statement[0].Principal.AWS).toEqual(statement.Principal.AWS);
    });

    test('fails if a statement has no principal', () => {
      const { app, accessPoint } = setup();
      accessPoint.addToResourcePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [accessPoint.arnForObjects('*')] }));
      expect(() => app.synth()).toThrow(/principal/i);
    });
  });

  describe('grants', () => {
    describe.each(GRANTS)('$method', (g) => {
      test('gives a role of the same account exactly its actions on the folder, through the access point', () => {
        // GIVEN
        const { stack, accessPoint, role } = setup();

        // WHEN
        accessPoint[g.method](role, 'bob/');

        // THEN
        const template = Template.fromStack(stack);
        template.hasResourceProperties('AWS::IAM::Policy', {
          Roles: [stack.resolve(role.roleName)],
          PolicyDocument: {
            Statement: folderStatements(g, apArn(NAME, '/object/bob/*'), BOB_LIST_CONDITION).map(s => Match.objectEquals(s)),
          },
        });
      });

      test('writes no access point policy for a role of the same account', () => {
        const { stack, accessPoint, role } = setup();
        accessPoint[g.method](role, 'bob/');
        Template.fromStack(stack).hasResourceProperties('AWS::S3::AccessPoint', { Policy: Match.absent() });
      });

      test('appends "/" to a prefix without one', () => {
        const { stack, accessPoint, role } = setup();
        accessPoint[g.method](role, 'bob');
        Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
          PolicyDocument: {
            Statement: folderStatements(g, apArn(NAME, '/object/bob/*'), BOB_LIST_CONDITION).map(s => Match.objectEquals(s)),
          },
        });
      });

      test('AccessPoint.ALL_KEYS grants every object and an unconditioned list', () => {
        const { stack, accessPoint, role } = setup();
        accessPoint[g.method](role, AccessPoint.ALL_KEYS);
        Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
          PolicyDocument: {
            Statement: folderStatements(g, apArn(NAME, '/object/*'), undefined).map(s => Match.objectEquals(s)),
          },
        });
      });

      test('returns a successful iam.Grant', () => {
        const { accessPoint, role } = setup();
        const grant = accessPoint[g.method](role, 'bob/');
        expect(grant).toBeInstanceOf(iam.Grant);
        expect(grant.success).toBe(true);
      });

      test('returns a successful iam.Grant for a principal of another account', () => {
        const { accessPoint } = setup();
        const grant = accessPoint[g.method](new iam.AccountPrincipal(OTHER_ACCOUNT), 'bob/');
        expect(grant.success).toBe(true);
        expect(grant.resourceStatements.length).toBeGreaterThan(0);
      });

      test('fails if the key prefix is missing, naming the construct and keyPrefix', () => {
        const { accessPoint, role } = setup();
        const message = errorOf(() => accessPoint[g.method](role));
        expect(message).toContain("'Stack/AP'");
        expect(message).toContain('keyPrefix: missing');
        expect(message).toContain('AccessPoint.ALL_KEYS');
      });

      test('adds the bucket key actions of a KMS bucket', () => {
        // GIVEN
        const { stack, accessPoint, role, bucket } = setup({}, { encryption: s3.BucketEncryption.KMS });

        // WHEN
        accessPoint[g.method](role, 'bob/');

        // THEN
        const template = Template.fromStack(stack);
        const kmsStatement = { Action: g.kmsActions, Effect: 'Allow', Resource: stack.resolve(bucket.encryptionKey!.keyArn) };
        if (g.kmsActions) {
          template.hasResourceProperties('AWS::IAM::Policy', {
            Roles: [stack.resolve(role.roleName)],
            PolicyDocument: { Statement: Match.arrayWith([Match.objectEquals(kmsStatement)]) },
          });
        } else {
          expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('kms:');
        }
      });
    });

    test('grantReadWrite never grants delete', () => {
      const { stack, accessPoint, role } = setup();
      accessPoint.grantReadWrite(role, 'bob/');
      expect(JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'))).not.toMatch(/Delete/);
    });

    test('grantDelete grants no permanent deletion of versions', () => {
      const { stack, accessPoint, role } = setup();
      accessPoint.grantDelete(role, 'bob/');
      expect(JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'))).not.toContain('s3:DeleteObjectVersion');
    });

    describe('key prefixes', () => {
      test.each([
        ['"*/"', '*/', 'must not contain "*" or "?"'],
        ['"bob*"', 'bob*', 'must not contain "*" or "?"'],
        ['"b?b"', 'b?b', 'must not contain "*" or "?"'],
        ['"bob/*"', 'bob/*', 'must not contain "*" or "?"'],
        ['"${x}"', '${x}', 'must not contain "${"'],
        ['"/abs"', '/abs', 'must not start with "/"'],
        ['empty', '', 'must name a folder'],
        ['1,025 ASCII bytes', 'a'.repeat(1025), 'must be at most 1024 bytes (it has 1025)'],
        ['513 two-byte characters', 'é'.repeat(513), 'must be at most 1024 bytes (it has 1026)'],
      ])('fails if the key prefix is %s', (_, prefix, rule) => {
        // A lone "*" is AccessPoint.ALL_KEYS, the explicit way to grant every key (tested above).
        const { accessPoint, role } = setup();
        const message = errorOf(() => accessPoint.grantRead(role, prefix));
        expect(message).toContain("AccessPoint grant at 'Stack/AP' has invalid props");
        expect(message).toContain(`keyPrefix: "${prefix}" ${rule}`);
      });

      test('accepts a token prefix as a folder', () => {
        const { stack, accessPoint, role } = setup();
        const folder = new CfnParameter(stack, 'Folder').valueAsString;
        accessPoint.grantRead(role, folder);
        Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
          PolicyDocument: {
            Statement: Match.arrayWith([Match.objectLike({
              Action: ['s3:GetObject', 's3:GetObjectVersion'],
              Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:us-east-1:${ACCOUNT}:accesspoint/${NAME}/object/`, { Ref: 'Folder' }, '/*']] },
            })]),
          },
        });
      });
    });

    describe('principals of another account', () => {
      const PRINCIPALS: Array<[string, () => iam.IPrincipal]> = [
        ['an AccountPrincipal', () => new iam.AccountPrincipal(OTHER_ACCOUNT)],
        ['an ArnPrincipal', () => new iam.ArnPrincipal(`arn:aws:iam::${OTHER_ACCOUNT}:role/Other`)],
      ];

      test.each(PRINCIPALS)('grantRead to %s writes the access point policy, keeping the s3:prefix condition on ListBucket', (_, makePrincipal) => {
        // GIVEN
        const { stack, accessPoint } = setup();
        const principal = makePrincipal();

        // WHEN
        accessPoint.grantRead(principal, 'bob/');

        // THEN
        // aws-cdk-lib's Grant drops conditions on the resource side; without this one the
        // principal could list the whole bucket.
        const principalJson = { AWS: stack.resolve(principal.policyFragment.principalJson).AWS[0] };
        Template.fromStack(stack).hasResourceProperties('AWS::S3::AccessPoint', {
          Policy: {
            Statement: [
              Match.objectEquals({
                Effect: 'Allow', Principal: principalJson, Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: apArn(NAME, '/object/bob/*'),
              }),
              Match.objectEquals({
                Effect: 'Allow', Principal: principalJson, Action: READ_LIST, Resource: apArn(), Condition: BOB_LIST_CONDITION,
              }),
            ],
          },
        });
      });

      test('the ListBucket statement of a cross-account grant is never unconditioned', () => {
        const { stack, accessPoint } = setup();
        accessPoint.grantList(new iam.AccountPrincipal(OTHER_ACCOUNT), 'bob/');
        const list = accessPointPolicyStatements(Template.fromStack(stack)).filter(s => s.Action === 's3:ListBucket');
        expect(list).toHaveLength(1);
        expect(list[0].Condition).toEqual(BOB_LIST_CONDITION);
      });

      test('grantWrite to another account writes only object actions into the access point policy', () => {
        const { stack, accessPoint } = setup();
        accessPoint.grantWrite(new iam.ArnPrincipal(`arn:aws:iam::${OTHER_ACCOUNT}:role/Other`), 'bob/');
        expect(accessPointPolicyStatements(Template.fromStack(stack))).toEqual([{
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:role/Other` },
          Action: ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'],
          Resource: apArn(NAME, '/object/bob/*'),
        }]);
      });

      test('a role of another account gets the statements on both sides', () => {
        // GIVEN
        const app = new App();
        const stack = new Stack(app, 'Stack', { env: ENV });
        const otherStack = new Stack(app, 'Other', { env: { account: OTHER_ACCOUNT, region: 'us-east-1' } });
        const accessPoint = new AccessPoint(stack, 'AP', { bucket: new s3.Bucket(stack, 'Bucket'), accessPointName: NAME });
        const role = new iam.Role(otherStack, 'Role', { roleName: 'other-role', assumedBy: new iam.AccountRootPrincipal() });

        // WHEN
        accessPoint.grantRead(role, 'bob/');

        // THEN
        Template.fromStack(otherStack).hasResourceProperties('AWS::IAM::Policy', {
          PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: READ_LIST, Condition: BOB_LIST_CONDITION })]) },
        });
        Template.fromStack(stack).hasResourceProperties('AWS::S3::AccessPoint', {
          Policy: {
            Statement: Match.arrayWith([Match.objectLike({
              Principal: { AWS: Match.anyValue() }, Action: READ_LIST, Condition: BOB_LIST_CONDITION,
            })]),
          },
        });
      });

      test('adds the bucket key actions for a principal of another account too', () => {
        const { stack, accessPoint } = setup({}, { encryption: s3.BucketEncryption.KMS });
        accessPoint.grantWrite(new iam.AccountPrincipal(OTHER_ACCOUNT), 'bob/');
        Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
          KeyPolicy: {
            Statement: Match.arrayWith([Match.objectLike({
              Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
              Principal: { AWS: stack.resolve(new iam.AccountPrincipal(OTHER_ACCOUNT).arn) },
            })]),
          },
        });
      });
    });
  });

  describe('principals S3 would refuse in the access point policy', () => {
    test('fails if a group of another account would be named', () => {
      const { accessPoint, stack } = setup();
      const group = iam.Group.fromGroupArn(stack, 'Team', 'arn:aws:iam::999999999999:group/team');
      expect(() => accessPoint.grantRead(group, 'team/')).toThrow(/\[Stack\/AP\] cannot grant .* IAM groups cannot be principals in a resource policy/);
    });

    test('fails if anyone would be named, which would make the access point public', () => {
      const { accessPoint } = setup();
      expect(() => accessPoint.grantRead(new iam.AnyPrincipal(), 'pub/')).toThrow(/\[Stack\/AP\] cannot grant .* it would make the access point public/);
    });
  });

  describe('imports', () => {
    function importSetup(attrs?: { alias?: string; kmsBucket?: boolean }) {
      const stack = new Stack(new App(), 'Stack', { env: ENV });
      const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
      const bucket = attrs?.kmsBucket ? new s3.Bucket(stack, 'Bucket', { encryption: s3.BucketEncryption.KMS }) : undefined;
      const imported: IAccessPoint = attrs
        ? AccessPoint.fromAccessPointAttributes(stack, 'Imported', { accessPointArn: IMPORTED_ARN, accessPointAlias: attrs.alias, bucket })
        : AccessPoint.fromAccessPointArn(stack, 'Imported', IMPORTED_ARN);
      return { stack, role, bucket, imported };
    }

    test('fromAccessPointArn parses the name and the environment', () => {
      const { imported } = importSetup();
      expect(imported.accessPointName).toBe('imported-ap');
      expect(imported.accessPointArn).toBe(IMPORTED_ARN);
      expect(imported.env.account).toBe(ACCOUNT);
      expect(imported.env.region).toBe('us-east-1');
      expect(imported.networkOrigin).toBe(NetworkOrigin.INTERNET);
      expect(imported.bucket).toBeUndefined();
    });

    test('parses the environment of an access point in another account and Region', () => {
      const stack = new Stack(new App(), 'Stack', { env: ENV });
      const imported = AccessPoint.fromAccessPointArn(stack, 'Imported', `arn:aws:s3:eu-west-1:${OTHER_ACCOUNT}:accesspoint/far-away`);
      expect(imported.env.account).toBe(OTHER_ACCOUNT);
      expect(imported.env.region).toBe('eu-west-1');
      expect(imported.accessPointName).toBe('far-away');
    });

    test('grants to a role of the same account write its identity policy', () => {
      // GIVEN
      const { stack, role, imported } = importSetup();

      // WHEN
      const grant = imported.grantRead(role, 'bob/');

      // THEN
      expect(grant.success).toBe(true);
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        Roles: [stack.resolve(role.roleName)],
        PolicyDocument: {
          Statement: [
            Match.objectEquals({ Action: ['s3:GetObject', 's3:GetObjectVersion'], Effect: 'Allow', Resource: `${IMPORTED_ARN}/object/bob/*` }),
            Match.objectEquals({ Action: READ_LIST, Effect: 'Allow', Resource: IMPORTED_ARN, Condition: BOB_LIST_CONDITION }),
          ],
        },
      });
    });

    test('addToResourcePolicy reports that nothing was added', () => {
      const { imported } = importSetup();
      const result = imported.addToResourcePolicy(new iam.PolicyStatement({
        principals: [new iam.AccountPrincipal(OTHER_ACCOUNT)], actions: ['s3:GetObject'], resources: [imported.arnForObjects('*')],
      }));
      expect(result.statementAdded).toBe(false);
    });

    test.each([
      ['an AccountPrincipal', () => new iam.AccountPrincipal(OTHER_ACCOUNT)],
      ['an ArnPrincipal', () => new iam.ArnPrincipal(`arn:aws:iam::${OTHER_ACCOUNT}:role/Other`)],
    ])('fails if a grant to %s of another account needs the imported access point policy', (_, makePrincipal) => {
      // The imported access point's policy is managed elsewhere: dropping the statement silently
      // would leave a grant that does not work.
      const { imported } = importSetup();
      expect(() => imported.grantRead(makePrincipal(), 'bob/')).toThrow(/\[Stack\/Imported\] cannot grant .* this access point is imported/);
    });

    test.each([
      ['Fn.importValue', (_stack: Stack) => Fn.importValue('ApArn'), { 'Fn::ImportValue': 'ApArn' }],
      ['a CfnParameter', (stack: Stack) => new CfnParameter(stack, 'ApArn').valueAsString, { Ref: 'ApArn' }],
    ])('fromAccessPointArn accepts a token ARN from %s; the name is a token', (_, makeArn, rendered) => {
      // GIVEN
      const stack = new Stack(new App(), 'Stack', { env: ENV });
      const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });

      // WHEN
      const imported = AccessPoint.fromAccessPointArn(stack, 'Imported', makeArn(stack));
      imported.grantRead(role, 'bob/');

      // THEN
      expect(Token.isUnresolved(imported.accessPointName)).toBe(true);
      expect(stack.resolve(imported.accessPointName)).toEqual({ 'Fn::Select': [1, { 'Fn::Split': ['/', rendered] }] });
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        Roles: [stack.resolve(role.roleName)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: { 'Fn::Join': ['', [rendered, '/object/bob/*']] } }),
            Match.objectLike({ Action: READ_LIST, Resource: rendered, Condition: BOB_LIST_CONDITION }),
          ]),
        },
      });
    });

    test('fails if the ARN is not an access point ARN', () => {
      const stack = new Stack(new App(), 'Stack', { env: ENV });
      const message = errorOf(() => AccessPoint.fromAccessPointArn(stack, 'Imported', 'arn:aws:s3:::bucket'));
      expect(message).toContain('[Stack/Imported] accessPointArn: "arn:aws:s3:::bucket" is not an S3 access point ARN');
    });

    test('fails if the ARN is of another service', () => {
      const stack = new Stack(new App(), 'Stack', { env: ENV });
      expect(() => AccessPoint.fromAccessPointArn(stack, 'Imported', `arn:aws:s3-object-lambda:us-east-1:${ACCOUNT}:accesspoint/olap`))
        .toThrow(/accessPointArn: .* is not an S3 access point ARN/);
    });

    test('fails if accessPointAlias is read from an import without one', () => {
      const { imported } = importSetup();
      expect(() => imported.accessPointAlias).toThrow('[Stack/Imported] accessPointAlias is unknown: pass it to AccessPoint.fromAccessPointAttributes');
    });

    test('fromAccessPointAttributes returns the given alias', () => {
      const { imported } = importSetup({ alias: 'imported-ap-abcdefgh1234567890-s3alias' });
      expect(imported.accessPointAlias).toBe('imported-ap-abcdefgh1234567890-s3alias');
    });

    test('fromAccessPointAttributes keeps the network origin', () => {
      const stack = new Stack(new App(), 'Stack', { env: ENV });
      const imported = AccessPoint.fromAccessPointAttributes(stack, 'Imported', { accessPointArn: IMPORTED_ARN, networkOrigin: NetworkOrigin.VPC });
      expect(imported.networkOrigin).toBe(NetworkOrigin.VPC);
    });

    test('fromAccessPointAttributes with a KMS bucket adds the key actions to grants', () => {
      // GIVEN
      const { stack, role, bucket, imported } = importSetup({ kmsBucket: true });

      // WHEN
      imported.grantWrite(role, 'bob/');

      // THEN
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        Roles: [stack.resolve(role.roleName)],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectEquals({
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: stack.resolve(bucket!.encryptionKey!.keyArn),
          })]),
        },
      });
    });
  });

  describe('name', () => {
    const LENGTH_RULE = (n: number) => `must be 3-50 characters long (it has ${n})`;
    const CHARS_RULE = 'may contain only lowercase letters, digits and "-" (no "_", ".", uppercase or spaces)';
    const ENDS_RULE = 'must start and end with a lowercase letter or digit';
    const ALIAS_RULE = 'must not end with "-s3alias" or "-ext-s3alias" (reserved for access point aliases)';

    test.each([
      ['is too short', 'ab', LENGTH_RULE(2)],
      ['is too long (51 characters)', 'a'.repeat(51), LENGTH_RULE(51)],
      ['has uppercase letters', 'My-ap', CHARS_RULE],
      ['contains "_"', 'my_ap', CHARS_RULE],
      ['contains "."', 'my.ap', CHARS_RULE],
      ['starts with "-"', '-my-ap', ENDS_RULE],
      ['ends with "-"', 'my-ap-', ENDS_RULE],
      ['ends with "-s3alias"', 'my-s3alias', ALIAS_RULE],
      ['ends with "-ext-s3alias"', 'my-ext-s3alias', ALIAS_RULE],
    ])('fails if the name %s', (_, name, rule) => {
      const message = errorOf(() => setup({ accessPointName: name }));
      expect(message).toContain("AccessPoint at 'Stack/AP' has invalid props");
      expect(message).toContain(`accessPointName: "${name}" ${rule}`);
    });

    test('lists every problem of one name', () => {
      const message = errorOf(() => setup({ accessPointName: '-A' }));
      expect(message).toContain(LENGTH_RULE(2));
      expect(message).toContain(CHARS_RULE);
      expect(message).toContain(ENDS_RULE);
    });

    test('accepts names of 3 and 50 characters', () => {
      expect(() => setup({ accessPointName: 'a1b' })).not.toThrow();
      expect(() => setup({ accessPointName: 'a'.repeat(50) })).not.toThrow();
    });

    test('accepts a token name', () => {
      const stack = new Stack(new App(), 'Stack', { env: ENV });
      const name = new CfnParameter(stack, 'Name').valueAsString;
      new AccessPoint(stack, 'AP', { bucket: new s3.Bucket(stack, 'Bucket'), accessPointName: name });
      Template.fromStack(stack).hasResourceProperties('AWS::S3::AccessPoint', { Name: { Ref: 'Name' } });
    });

    test('fails if two access points in the same account and Region share a name, naming the first', () => {
      // GIVEN
      const stack = new Stack(new App(), 'Stack', { env: ENV });
      const bucket = new s3.Bucket(stack, 'Bucket');
      new AccessPoint(stack, 'First', { bucket, accessPointName: 'shared-ap' });

      // WHEN
      const message = errorOf(() => new AccessPoint(stack, 'Second', { bucket, accessPointName: 'shared-ap' }));

      // THEN
      expect(message).toContain("AccessPoint at 'Stack/Second' has invalid props");
      expect(message).toContain('accessPointName: "shared-ap" is already used by Stack/First');
    });

    test('fails if two stacks of the same account and Region use one name', () => {
      const app = new App();
      const first = new Stack(app, 'First', { env: ENV });
      const second = new Stack(app, 'Second', { env: ENV });
      new AccessPoint(first, 'AP', { bucket: new s3.Bucket(first, 'Bucket'), accessPointName: 'shared-ap' });
      expect(() => new AccessPoint(second, 'AP', { bucket: new s3.Bucket(second, 'Bucket'), accessPointName: 'shared-ap' }))
        .toThrow(/is already used by First\/AP/);
    });

    test('allows one name in two Regions', () => {
      const app = new App();
      const east = new Stack(app, 'East', { env: ENV });
      const west = new Stack(app, 'West', { env: { account: ACCOUNT, region: 'us-west-2' } });
      new AccessPoint(east, 'AP', { bucket: new s3.Bucket(east, 'Bucket'), accessPointName: 'shared-ap' });
      expect(() => new AccessPoint(west, 'AP', { bucket: new s3.Bucket(west, 'Bucket'), accessPointName: 'shared-ap' })).not.toThrow();
    });
  });

  test('a fully configured access point with a cross-account grant matches the snapshot', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const bucket = new s3.Bucket(stack, 'Bucket', { encryption: s3.BucketEncryption.KMS });
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-12345678', availabilityZones: ['us-east-1a'] });
    const accessPoint = new AccessPoint(stack, 'AP', {
      bucket, vpc, accessPointName: 'analytics', bucketAccountId: ACCOUNT, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });

    // WHEN
    accessPoint.grantReadWrite(role, 'reports/');
    accessPoint.grantRead(new iam.ArnPrincipal(`arn:aws:iam::${OTHER_ACCOUNT}:role/Auditor`), 'reports/');

    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::S3::AccessPoint', {
      Name: 'analytics',
      VpcConfiguration: { VpcId: 'vpc-12345678' },
      Policy: { Statement: Match.arrayWith([Match.objectLike({ Action: READ_LIST, Condition: { StringLike: { 's3:prefix': ['reports/', 'reports/*'] } } })]) },
    });
    expect(template.toJSON()).toMatchSnapshot();
  });
});
