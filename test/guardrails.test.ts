/**
 * AccessPointGuardrails as a construct: what it synthesizes (organization policies, assembly files),
 * what it refuses, its size budget, and cdk-nag. Who can do what with the policies is proven with the
 * access model in guardrails-access.test.ts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AccessPointDelegation, AccessPointGuardrails, AccessPointGuardrailsProps, SharedBucket } from '../src';
import { errorOf } from './helpers';

const MEMBER = '111122223333';
const MANAGEMENT = '999988887777';
const DEPLOY = `arn:aws:iam::${MEMBER}:role/cdk-hnb659fds-cfn-exec-role-${MEMBER}-eu-west-1`;

function newApp(): App {
  return new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'guardrails-')) });
}

/** A management-account stack that attaches the guardrails of a member account's bucket. */
function managementStack(props: Partial<AccessPointGuardrailsProps> = {}, app = newApp()) {
  const stack = new Stack(app, 'Management', { env: { account: MANAGEMENT, region: 'us-east-1' } });
  const bucket = s3.Bucket.fromBucketAttributes(stack, 'Shared', { bucketName: 'shared-data', account: MEMBER, region: 'eu-west-1' });
  const guardrails = new AccessPointGuardrails(stack, 'Guardrails', {
    bucket,
    administrators: [new iam.ArnPrincipal(DEPLOY)],
    accessPointNamePattern: 'tenant-*',
    tenantTag: 'tenant',
    targetIds: ['ou-abcd-12345678'],
    ...props,
  });
  return { app, stack, guardrails };
}

describe('organization policies', () => {
  test('targetIds: one SCP and one RCP, attached to the targets, naming the bucket\'s account (not the management account\'s)', () => {
    const { stack } = managementStack();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Organizations::Policy', 2);
    template.hasResourceProperties('AWS::Organizations::Policy', {
      Type: 'SERVICE_CONTROL_POLICY',
      Name: 'access-point-guardrails-shared-data-scp',
      TargetIds: ['ou-abcd-12345678'],
      Content: {
        Version: '2012-10-17',
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'DenyCreateTrustedAccessPoint',
          Effect: 'Deny',
          Action: 's3:CreateAccessPoint',
          Resource: `arn:aws:s3:*:${MEMBER}:accesspoint/tenant-*`,
          Condition: { ArnNotLike: { 'aws:PrincipalArn': [DEPLOY] } },
        })]),
      },
    });
    template.hasResourceProperties('AWS::Organizations::Policy', {
      Type: 'RESOURCE_CONTROL_POLICY',
      Name: 'access-point-guardrails-shared-data-rcp',
      TargetIds: ['ou-abcd-12345678'],
      Content: {
        Version: '2012-10-17',
        Statement: [Match.objectLike({
          Sid: 'DenyDataOutsideTrustedAccessPoints',
          Effect: 'Deny',
          Principal: '*',
          Action: Match.arrayWith(['s3:GetObject*', 's3:ListBucket*', 's3:PutObject*']),
          Resource: ['arn:aws:s3:::shared-data', 'arn:aws:s3:::shared-data/*'],
          Condition: {
            StringNotLike: { 's3:DataAccessPointArn': `arn:aws:s3:*:${MEMBER}:accesspoint/tenant-*` },
            ArnNotLike: { 'aws:PrincipalArn': [DEPLOY] },
            BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
          },
        })],
      },
    });
  });

  test('follow the grammar of their type: SCP statements Deny without Principal, RCP statements Deny with Principal "*"', () => {
    const { stack, guardrails } = managementStack();
    const scp = stack.resolve(guardrails.serviceControlPolicy.toJSON());
    const rcp = stack.resolve(guardrails.resourceControlPolicy.toJSON());
    expect(scp.Statement.map((s: any) => s.Sid)).toEqual([
      'DenyCreateTrustedAccessPoint', 'DenyTrustedAccessPointChanges', 'DenyMultiRegionAccessPoints', 'DenyBucketAccessChanges', 'DenyExemptPrincipalTakeover', 'DenyTenantTagChanges',
    ]);
    for (const statement of scp.Statement) {
      expect(statement.Effect).toBe('Deny');
      expect(statement).not.toHaveProperty('Principal');
      expect(statement).not.toHaveProperty('NotPrincipal');
    }
    for (const statement of rcp.Statement) {
      expect(statement.Effect).toBe('Deny');
      // RCPs accept only the string "*" here, not CDK's {"AWS": "*"}.
      expect(statement.Principal).toBe('*');
    }
  });

  test('without tenantTag, tags are left alone', () => {
    const { stack, guardrails } = managementStack({ tenantTag: undefined });
    const sids = stack.resolve(guardrails.serviceControlPolicy.toJSON()).Statement.map((s: any) => s.Sid);
    expect(sids).not.toContain('DenyTenantTagChanges');
    expect(sids).toHaveLength(5);
  });

  test('without targetIds: no AWS::Organizations::Policy, the documents are properties', () => {
    const { stack, guardrails } = managementStack({ targetIds: undefined });
    Template.fromStack(stack).resourceCountIs('AWS::Organizations::Policy', 0);
    expect(stack.resolve(guardrails.resourceControlPolicy.toJSON()).Statement).toHaveLength(1);
  });

  test('in the bucket\'s own stack: the documents name the literal bucket name, not a Ref', () => {
    const app = newApp();
    const stack = new Stack(app, 'Member', { env: { account: MEMBER, region: 'eu-west-1' } });
    const shared = new SharedBucket(stack, 'Shared', { bucketName: 'member-shared', delegation: AccessPointDelegation.accessPoints('tenant-*') });
    const guardrails = new AccessPointGuardrails(stack, 'Guardrails', { bucket: shared.bucket, administrators: [new iam.ArnPrincipal(DEPLOY)], accessPointNamePattern: 'tenant-*' });
    const rcp = JSON.stringify(stack.resolve(guardrails.resourceControlPolicy.toJSON()));
    expect(rcp).toContain('"arn:aws:s3:::member-shared/*"');
    expect(rcp).not.toMatch(/"(Ref|Fn::)/);
  });
});

describe('protectedFunctions', () => {
  const READER_ARN = `arn:aws:lambda:eu-west-1:${MEMBER}:function:shared-app-reader`;
  const READER_ROLE_ARN = `arn:aws:iam::${MEMBER}:role/shared/app-reader`;
  const importedReader = (stack: Stack) => lambda.Function.fromFunctionAttributes(stack, 'Reader', {
    functionArn: READER_ARN,
    role: iam.Role.fromRoleArn(stack, 'ReaderRole', READER_ROLE_ARN),
  });

  test('an imported reader: one SCP statement on its function and its role, sparing administrators', () => {
    const app = newApp();
    const { stack, guardrails } = managementStack({ protectedFunctions: [importedReader(new Stack(app, 'Names'))] }, app);
    const statements = stack.resolve(guardrails.serviceControlPolicy.toJSON()).Statement;
    expect(statements.find((s: any) => s.Sid === 'DenyProtectedFunctionChanges')).toEqual({
      Sid: 'DenyProtectedFunctionChanges',
      Effect: 'Deny',
      Action: ['lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration', 'iam:PassRole', 'iam:UpdateAssumeRolePolicy'],
      Resource: [READER_ARN, READER_ROLE_ARN],
      Condition: { ArnNotLike: { 'aws:PrincipalArn': [DEPLOY] } },
    });
  });

  test('without protectedFunctions, no statement on functions or roles', () => {
    const { stack, guardrails } = managementStack();
    const json = JSON.stringify(stack.resolve(guardrails.serviceControlPolicy.toJSON()));
    expect(json).not.toContain('DenyProtectedFunctionChanges');
    expect(json).not.toMatch(/lambda:|iam:PassRole/);
  });

  test('refuses a function whose execution role is unknown', () => {
    const app = newApp();
    const names = new Stack(app, 'Names');
    const noRole = lambda.Function.fromFunctionArn(names, 'NoRole', READER_ARN);
    const message = errorOf(() => managementStack({ protectedFunctions: [noRole] }, app));
    expect(message).toContain("AccessPointGuardrails at 'Management/Guardrails' has invalid props");
    expect(message).toContain('protectedFunctions[0]: the execution role of Names/NoRole is unknown');
    expect(message).toContain('fromFunctionAttributes');
  });

  /** The bucket's own stack with a VpcAccessPoint and its reader, and the guardrails. */
  function memberStackWithReader(protect: boolean) {
    const app = newApp();
    const stack = new Stack(app, 'Member', { env: { account: MEMBER, region: 'eu-west-1' } });
    const shared = new SharedBucket(stack, 'Shared', { bucketName: 'member-shared' });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const vpcAccessPoint = shared.addVpcAccessPoint('App', { vpc, prefix: 'app', accessPointName: 'app-ap' });
    const guardrails = new AccessPointGuardrails(stack, 'Guardrails', {
      bucket: shared.bucket,
      administrators: [new iam.ArnPrincipal(DEPLOY)],
      protectedFunctions: protect ? [vpcAccessPoint.readerFunction!] : undefined,
    });
    app.synth();
    return { stack, guardrails, reader: vpcAccessPoint.readerFunction as lambda.Function };
  }

  test('the reader of a VpcAccessPoint in the same stack: its function and role ARNs, resolved at deploy time', () => {
    const { stack, guardrails, reader } = memberStackWithReader(true);
    const statement = stack.resolve(guardrails.serviceControlPolicy.toJSON()).Statement.find((s: any) => s.Sid === 'DenyProtectedFunctionChanges');
    const readerId = stack.getLogicalId(reader.node.defaultChild as lambda.CfnFunction);
    // The role the function runs as, as the template wires it (not as the construct claims).
    const roleId = Template.fromStack(stack).toJSON().Resources[readerId].Properties.Role['Fn::GetAtt'][0];
    expect(statement.Resource).toEqual([{ 'Fn::GetAtt': [readerId, 'Arn'] }, { 'Fn::GetAtt': [roleId, 'Arn'] }]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('is not in protectedFunctions'))).toEqual([]);
  });

  test('warns, naming the VpcAccessPoint, when a reader on the guarded bucket is not protected', () => {
    const { stack } = memberStackWithReader(false);
    Annotations.fromStack(stack).hasWarning('/Member/Guardrails', Match.stringLikeRegexp('The reader of Member/Shared/App is not in protectedFunctions'));
  });
});

describe('cloud assembly files', () => {
  test('written at the assembly root, literal JSON, the same as the properties, and the same on every synth', () => {
    const first = managementStack({ targetIds: undefined });
    const second = managementStack({ targetIds: undefined });
    const files = [first, second].map(({ app, guardrails }) => {
      const dir = app.synth().directory;
      return ['scp', 'rcp'].map(kind => fs.readFileSync(path.join(dir, `${guardrails.assemblyFileName}.${kind}.json`), 'utf8'));
    });
    expect(first.guardrails.assemblyFileName).toBe('guardrails-Management-Guardrails');
    expect(files[0]).toEqual(files[1]);
    expect(JSON.parse(files[0][0])).toEqual(first.stack.resolve(first.guardrails.serviceControlPolicy.toJSON()));
    expect(JSON.parse(files[0][1])).toEqual(first.stack.resolve(first.guardrails.resourceControlPolicy.toJSON()));
    expect(files[0].join('')).not.toMatch(/"(Ref|Fn::)/);
  });

  test('warns when the documents can only be known at deploy time (a generated bucket name)', () => {
    const app = newApp();
    const stack = new Stack(app, 'Member', { env: { account: MEMBER, region: 'eu-west-1' } });
    const shared = new SharedBucket(stack, 'Shared');
    new AccessPointGuardrails(stack, 'Guardrails', { bucket: shared.bucket, administrators: [new iam.ArnPrincipal(DEPLOY)] });
    app.synth();
    Annotations.fromStack(stack).hasWarning('/Member/Guardrails', Match.stringLikeRegexp('hold CloudFormation intrinsics'));
  });

  test('no warning when every value is literal', () => {
    const { app, stack } = managementStack();
    app.synth();
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('guardrailsNotLiteral|intrinsics'))).toEqual([]);
  });
});

describe('validation', () => {
  test('refuses a bucket whose account is unknown at synth time', () => {
    const app = newApp();
    const stack = new Stack(app, 'Agnostic');
    const shared = new SharedBucket(stack, 'Shared', { bucketName: 'agnostic-shared' });
    const message = errorOf(() => new AccessPointGuardrails(stack, 'Guardrails', { bucket: shared.bucket, administrators: [new iam.ArnPrincipal(DEPLOY)] }));
    expect(message).toContain("AccessPointGuardrails at 'Agnostic/Guardrails' has invalid props");
    expect(message).toContain('bucket: its account is only known at deploy time');
  });

  test.each<[string, Partial<AccessPointGuardrailsProps>, string]>([
    ['no administrator', { administrators: [] }, 'administrators: name at least one principal'],
    ['a principal without an ARN', { administrators: [new iam.ServicePrincipal('cloudformation.amazonaws.com')] }, 'administrators[0]: cannot tell the ARN'],
    ['a direct-access principal without an ARN', { directAccessPrincipals: [new iam.ServicePrincipal('replication.s3.amazonaws.com')] }, 'directAccessPrincipals[0]: cannot tell the ARN'],
    ['a pattern with capitals', { accessPointNamePattern: 'Tenant-*' }, 'accessPointNamePattern: "Tenant-*" may contain only'],
    ['a pattern of wildcards only', { accessPointNamePattern: '*' }, 'must not be only wildcards'],
    ['a pattern and accounts', { accessPointAccounts: ['444455556666'] }, 'accessPointAccounts: cannot be combined with accessPointNamePattern'],
    ['a malformed account', { accessPointNamePattern: undefined, accessPointAccounts: ['1234'] }, 'accessPointAccounts: "1234" is not a 12-digit AWS account ID'],
    ['a malformed tag key', { tenantTag: 'tenant!' }, 'tenantTag: "tenant!" is not a valid IAM tag key'],
    ['empty targetIds', { targetIds: [] }, 'targetIds: empty'],
  ])('refuses %s', (_name, props, expected) => {
    const message = errorOf(() => managementStack(props));
    expect(message).toContain("AccessPointGuardrails at 'Management/Guardrails' has invalid props");
    expect(message).toContain(expected);
  });

  test('accepts trusted partner accounts without a pattern, in the RCP\'s account condition', () => {
    const { stack, guardrails } = managementStack({ accessPointNamePattern: undefined, accessPointAccounts: ['444455556666'] });
    const rcp = stack.resolve(guardrails.resourceControlPolicy.toJSON());
    expect(rcp.Statement[0].Condition.StringNotEquals).toEqual({ 's3:DataAccessPointAccount': [MEMBER, '444455556666'] });
  });
});

describe('size budget (5,120 characters per SCP or RCP)', () => {
  const roles = (n: number) => Array.from({ length: n }, (_, i) => new iam.ArnPrincipal(`arn:aws:iam::${MEMBER}:role/platform/administrator-number-${i}`));

  test('a typical set of administrators fits', () => {
    // Each administrator ARN appears in every SCP statement, and once more as a protected resource.
    const { app } = managementStack({ administrators: roles(6) });
    expect(() => app.synth()).not.toThrow();
  });

  test('three administrators and four protected functions (readers in the same stack, named by Fn::GetAtt) fit', () => {
    const app = newApp();
    const stack = new Stack(app, 'Member', { env: { account: MEMBER, region: 'eu-west-1' } });
    const shared = new SharedBucket(stack, 'Shared', { bucketName: 'member-shared' });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const readers = [0, 1, 2, 3].map(i => shared.addVpcAccessPoint(`App${i}`, { vpc, prefix: `app${i}`, accessPointName: `app-${i}` }).readerFunction!);
    new AccessPointGuardrails(stack, 'Guardrails', { bucket: shared.bucket, administrators: roles(3), tenantTag: 'tenant', protectedFunctions: readers });
    expect(() => app.synth()).not.toThrow();
  });

  test('too many protected functions overflow the SCP, naming the prop', () => {
    const app = newApp();
    const names = new Stack(app, 'Names');
    const functions = Array.from({ length: 40 }, (_, i) => lambda.Function.fromFunctionAttributes(names, `Fn${i}`, {
      functionArn: `arn:aws:lambda:eu-west-1:${MEMBER}:function:reader-of-a-vpc-access-point-${i}`,
      role: iam.Role.fromRoleArn(names, `Role${i}`, `arn:aws:iam::${MEMBER}:role/reader-of-a-vpc-access-point-${i}`),
    }));
    const { app: synthApp } = managementStack({ protectedFunctions: functions }, app);
    expect(() => synthApp.synth()).toThrow(/the service control policy is about [\d,]+ characters, over the 5,120 AWS allows: .*protectedFunctions/);
  });

  test('too many administrators fail at synth, naming the policy and the fix', () => {
    // Each administrator ARN appears in every SCP statement: 30 of them overflow the SCP.
    const { app } = managementStack({ administrators: roles(30) });
    expect(() => app.synth()).toThrow(/the service control policy is about [\d,]+ characters, over the 5,120 AWS allows: list fewer administrators/);
  });

  test('too many direct-access principals overflow the RCP', () => {
    const { app } = managementStack({ directAccessPrincipals: roles(80) });
    expect(() => app.synth()).toThrow(/the resource control policy is about [\d,]+ characters, over the 5,120 AWS allows/);
  });
});

describe('cdk-nag', () => {
  test('AwsSolutions reports nothing on a management stack with the guardrails', () => {
    const { app, stack } = managementStack();
    Aspects.of(stack).add(new AwsSolutionsChecks({ verbose: true }));
    app.synth();
    const findings = [
      ...Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-')),
      ...Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-')),
    ];
    expect(findings.map(f => `${f.id}: ${String(f.entry.data).slice(0, 120)}`)).toEqual([]);
  });
});
