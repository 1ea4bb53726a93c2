import { App, CfnParameter, Stack, Tags } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Access, SharedBucket, SharedBucketEncryption, SharedBucketProps, TenantAccessPoint, TenantAccessPointOptions } from '../src';
import { accessPointPolicyStatements, errorOf } from './helpers';
import { SESSION_TAG_GUARD_OPERATOR, sessionTagProblems, validateTenantTagValue } from '../src/tenant-validation';

const ACCOUNT = '123456789012';
const ENV = { account: ACCOUNT, region: 'us-east-1' };
const NAME = 'tenants';
const MEMBER_TAG = `tenant-access-point-${NAME}`;

function apArn(suffix = '') {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:us-east-1:${ACCOUNT}:accesspoint/${NAME}${suffix}`]] };
}

type Factory = (shared: SharedBucket, id: string, options: TenantAccessPointOptions) => TenantAccessPoint;

const FACTORIES: Array<[string, Factory]> = [
  ['new TenantAccessPoint', (shared, id, options) => new TenantAccessPoint(shared.node.scope!, id, { ...options, bucket: shared.bucket })],
  ['SharedBucket.addTenantAccessPoint', (shared, id, options) => shared.addTenantAccessPoint(id, options)],
];

function setup(sharedProps: SharedBucketProps = {}) {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: ENV });
  const shared = new SharedBucket(stack, 'Shared', sharedProps);
  return { app, stack, shared };
}

function tenantRole(stack: Stack, id: string, tag: string | undefined, assumedBy: iam.IPrincipal = new iam.AccountRootPrincipal()): iam.Role {
  const role = new iam.Role(stack, id, { assumedBy });
  if (tag !== undefined) Tags.of(role).add('tenant', tag);
  return role;
}

function managedPolicyStatements(template: Template): any[] {
  const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
  expect(policies).toHaveLength(1);
  return (policies[0] as any).Properties.PolicyDocument.Statement;
}

describe.each(FACTORIES)('%s', (_name, factory) => {
  test('one access point and one managed policy; the tenant gets the policy and the membership tag', () => {
    const { stack, shared } = setup();
    const tenants = factory(shared, 'Tenants', { accessPointName: NAME });
    const acme = tenantRole(stack, 'Acme', 'acme');
    tenants.addTenant(acme);
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::S3::AccessPoint', 1);
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 1);
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [{ Ref: stack.getLogicalId(tenants.policy.node.defaultChild as iam.CfnManagedPolicy) }],
      Tags: Match.arrayWith([{ Key: 'tenant', Value: 'acme' }, { Key: MEMBER_TAG, Value: 'true' }]),
    });
    expect(tenants.tenants).toEqual([acme]);
    expect(tenants.accessPointName).toBe(NAME);
    expect(tenants.tenantTag).toBe('tenant');
    expect(tenants.prefix).toBe('${aws:PrincipalTag/tenant}/');
    expect(tenants.access).toBe(Access.READ_WRITE);
  });
});

describe('TenantAccessPoint', () => {
  test('the grants name the folder by the tenant tag, literally (policy variables are not resolved by aws-cdk-lib)', () => {
    const { stack, shared } = setup();
    shared.addTenantAccessPoint('Tenants', { accessPointName: NAME, tenantTag: 'customer' }).addTenant(tenantRole(stack, 'Acme', undefined));
    Tags.of(stack.node.findChild('Acme')).add('customer', 'acme');
    const template = Template.fromStack(stack);
    expect(managedPolicyStatements(template)).toEqual([
      {
        Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:GetObjectVersion', 's3:ListMultipartUploadParts', 's3:PutObject'],
        Effect: 'Allow',
        Resource: apArn('/object/${aws:PrincipalTag/customer}/*'),
      },
      {
        Action: ['s3:ListBucket', 's3:ListBucketVersions'],
        Effect: 'Allow',
        Resource: apArn(),
        Condition: { StringLike: { 's3:prefix': ['${aws:PrincipalTag/customer}/', '${aws:PrincipalTag/customer}/*'] } },
      },
    ]);
    const statements = accessPointPolicyStatements(template);
    expect(statements.map(s => s.Sid)).toEqual(['DenyNonTenants', 'DenyMissingTenantTag', 'DenyUnsafeTenantTag', 'DenyOutsideFolder', 'DenyListingOutsideFolder']);
    expect(statements.every(s => s.Effect === 'Deny')).toBe(true);
    expect(statements[0].Condition).toEqual({ StringNotEquals: { [`aws:PrincipalTag/${MEMBER_TAG}`]: 'true' } });
    expect(statements[1].Condition).toEqual({ StringNotLike: { 'aws:PrincipalTag/customer': '?*' } });
    expect(statements[3].NotResource).toEqual([apArn(), apArn('/object/${aws:PrincipalTag/customer}/*')]);
    template.hasResourceProperties('AWS::S3::AccessPoint', { Policy: { Version: '2012-10-17' } });
  });

  test.each([
    [Access.READ, ['s3:GetObject', 's3:GetObjectVersion'], true],
    [Access.WRITE, ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'], false],
    [Access.READ_WRITE_DELETE, ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:GetObjectVersion', 's3:ListMultipartUploadParts', 's3:PutObject'], true],
  ])('access %s grants exactly its actions', (access, objectActions, lists) => {
    const { stack, shared } = setup();
    shared.addTenantAccessPoint('Tenants', { accessPointName: NAME, access }).addTenant(tenantRole(stack, 'Acme', 'acme'));
    const statements = managedPolicyStatements(Template.fromStack(stack));
    expect(statements[0].Action).toEqual(objectActions);
    expect(statements.some(s => JSON.stringify(s.Action) === JSON.stringify(['s3:ListBucket', 's3:ListBucketVersions']))).toBe(lists);
  });

  test('SSE-KMS: the shared policy also allows the bucket key', () => {
    const { stack, shared } = setup({ encryption: SharedBucketEncryption.KMS });
    shared.addTenantAccessPoint('Tenants', { accessPointName: NAME }).addTenant(tenantRole(stack, 'Acme', 'acme'));
    expect(managedPolicyStatements(Template.fromStack(stack))).toContainEqual({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [stack.getLogicalId(shared.encryptionKey!.node.defaultChild as any), 'Arn'] },
    });
  });

  test('O(1): the access point policy, the bucket policy and the resources beyond the roles do not grow with the tenants', () => {
    const synth = (n: number) => {
      const { stack, shared } = setup();
      const tenants = shared.addTenantAccessPoint('Tenants', { accessPointName: NAME });
      for (let i = 0; i < n; i++) tenants.addTenant(tenantRole(stack, `T${i}`, `t${i}`));
      return Template.fromStack(stack).toJSON();
    };
    const one = synth(1);
    const many = synth(60);
    const of = (t: any, type: string) => Object.values(t.Resources).filter((r: any) => r.Type === type) as any[];
    expect(of(many, 'AWS::S3::AccessPoint')[0].Properties.Policy).toEqual(of(one, 'AWS::S3::AccessPoint')[0].Properties.Policy);
    expect(of(many, 'AWS::S3::BucketPolicy')[0].Properties).toEqual(of(one, 'AWS::S3::BucketPolicy')[0].Properties);
    expect(of(many, 'AWS::IAM::ManagedPolicy')[0].Properties).toEqual(of(one, 'AWS::IAM::ManagedPolicy')[0].Properties);
    const nonRoles = (t: any) => Object.values(t.Resources).filter((r: any) => r.Type !== 'AWS::IAM::Role').length;
    expect(nonRoles(many)).toBe(nonRoles(one));
  });

  test('IAM users can be tenants', () => {
    const { stack, shared } = setup();
    const user = new iam.User(stack, 'Ann');
    Tags.of(user).add('tenant', 'ann');
    shared.addTenantAccessPoint('Tenants', { accessPointName: NAME }).addTenant(user);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::User', {
      ManagedPolicyArns: [{ Ref: Match.stringLikeRegexp('TenantPolicy') }],
      Tags: Match.arrayWith([{ Key: 'tenant', Value: 'ann' }, { Key: MEMBER_TAG, Value: 'true' }]),
    });
  });

  test('an imported role gets the policy attached from the policy side, and a warning to tag it and guard its trust policy', () => {
    const { stack, shared } = setup();
    const tenants = shared.addTenantAccessPoint('Tenants', { accessPointName: NAME });
    tenants.addTenant(iam.Role.fromRoleName(stack, 'Imported', 'acme-role'));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', { Roles: ['acme-role'] });
    Annotations.fromStack(stack).hasWarning('/Stack/Shared/Tenants', Match.stringLikeRegexp(`tenant=<tenant> and ${MEMBER_TAG}=true.*aws:TagKeys`));
  });

  test('a tenant may be added once; adding it again changes nothing', () => {
    const { stack, shared } = setup();
    const tenants = shared.addTenantAccessPoint('Tenants', { accessPointName: NAME });
    const acme = tenantRole(stack, 'Acme', 'acme');
    tenants.addTenant(acme);
    tenants.addTenant(acme);
    expect(tenants.tenants).toHaveLength(1);
    expect((stack.resolve((acme.node.defaultChild as iam.CfnRole).managedPolicyArns) as unknown[]).length).toBe(1);
  });

  describe('refused at synth', () => {
    test.each([
      ['aws:tenant', 'must not start with "aws:"'],
      ['ten*ant', 'may contain only letters'],
      ['', 'must be 1-128 characters long'],
    ])('tenantTag %j', (tenantTag, rule) => {
      const { shared } = setup();
      const message = errorOf(() => shared.addTenantAccessPoint('Tenants', { tenantTag }));
      expect(message).toContain("TenantAccessPoint at 'Stack/Shared/Tenants' has invalid props");
      expect(message).toContain(`tenantTag: "${tenantTag}" ${rule}`);
    });

    test('a grant made on the access point itself, which its policy would void', () => {
      const { stack, shared } = setup();
      const tenants = shared.addTenantAccessPoint('Tenants', { accessPointName: NAME });
      const auditor = new iam.Role(stack, 'Auditor', { assumedBy: new iam.AccountRootPrincipal() });
      const message = errorOf(() => tenants.accessPoint.grantRead(auditor, 'acme/'));
      expect(message).toContain('[Stack/Shared/Tenants/AccessPoint] cannot grant');
      expect(message).toContain('it admits only tenants, each in the folder named by its "tenant" tag. Add the principal with addTenant()');
    });

    test('an access point name only known at deploy time (it is part of the membership tag key)', () => {
      const { stack, shared } = setup();
      const name = new CfnParameter(stack, 'Name').valueAsString;
      expect(errorOf(() => shared.addTenantAccessPoint('Tenants', { accessPointName: name }))).toContain('accessPointName: must be known at synth time');
    });

    test('a group, and a role of another account', () => {
      const { stack, shared } = setup();
      const tenants = shared.addTenantAccessPoint('Tenants', { accessPointName: NAME });
      expect(errorOf(() => tenants.addTenant(new iam.Group(stack, 'Team')))).toContain('identity: Stack/Team is not an IAM role or user');
      const foreign = iam.Role.fromRoleArn(stack, 'Foreign', 'arn:aws:iam::999999999999:role/acme');
      expect(errorOf(() => tenants.addTenant(foreign))).toContain('is in account 999999999999, not the access point\'s: cross-account tenants are not supported');
    });

    test('a tenant without the tenant tag', () => {
      const { app, stack, shared } = setup();
      shared.addTenantAccessPoint('Tenants', { accessPointName: NAME }).addTenant(tenantRole(stack, 'Acme', undefined));
      expect(errorOf(() => app.synth())).toContain('tenant Stack/Acme has no "tenant" tag');
    });

    test.each([
      ['', 'is empty'],
      ['acme/eu', 'contains "/"'],
      ['acme/', 'contains "/"'],
      ['..', 'is a relative path segment'],
      ['acme*', 'has characters IAM refuses'],
      ['t?', 'has characters IAM refuses'],
    ])('a tenant tag value %j', (value, rule) => {
      const { app, stack, shared } = setup();
      shared.addTenantAccessPoint('Tenants', { accessPointName: NAME }).addTenant(tenantRole(stack, 'Acme', value));
      expect(errorOf(() => app.synth())).toContain(`the "tenant" tag of tenant Stack/Acme is "${value}", which ${rule}`);
    });

    test('a tenant whose membership tag was removed', () => {
      const { app, stack, shared } = setup();
      const acme = tenantRole(stack, 'Acme', 'acme');
      shared.addTenantAccessPoint('Tenants', { accessPointName: NAME }).addTenant(acme);
      Tags.of(acme).remove(MEMBER_TAG);
      expect(errorOf(() => app.synth())).toContain(`tenant Stack/Acme: its membership tag ${MEMBER_TAG} was removed or changed`);
    });

    test('a tenant role whose trust policy allows session tags (AssumeRole could pick any tenant)', () => {
      const { app, stack, shared } = setup();
      shared.addTenantAccessPoint('Tenants', { accessPointName: NAME })
        .addTenant(tenantRole(stack, 'Acme', 'acme', new iam.AccountRootPrincipal().withSessionTags()));
      const message = errorOf(() => app.synth());
      expect(message).toContain('tenant Stack/Acme: trust policy statement 0 allows sts:TagSession');
      expect(message).toContain(`{ "${SESSION_TAG_GUARD_OPERATOR}": { "aws:TagKeys": ["tenant", "${MEMBER_TAG}"] } }`);
    });
  });

  test('session tags are accepted when the trust policy keeps them away from both tags', () => {
    const { app, stack, shared } = setup();
    const guarded = new iam.AccountRootPrincipal().withSessionTags().withConditions({
      [SESSION_TAG_GUARD_OPERATOR]: { 'aws:TagKeys': ['tenant', MEMBER_TAG] },
    });
    shared.addTenantAccessPoint('Tenants', { accessPointName: NAME }).addTenant(tenantRole(stack, 'Acme', 'acme', guarded));
    expect(() => app.synth()).not.toThrow();
  });
});

describe('tenant checks (pure)', () => {
  const allow = (statement: object) => ({ Statement: [{ Effect: 'Allow', Principal: { AWS: 'x' }, ...statement }] });

  test.each([
    [{ Action: 'sts:TagSession' }, 1],
    [{ Action: ['sts:AssumeRole', 'STS:tagsession'] }, 1],
    [{ Action: 'sts:*' }, 1],
    [{ Action: '*' }, 1],
    [{ Action: 'sts:Tag*' }, 1],
    [{ NotAction: 'sts:AssumeRoleWithSAML' }, 1],
    [{ Action: 'sts:AssumeRole' }, 0],
    [{ NotAction: 'sts:TagSession' }, 0],
    [{ Action: 'sts:TagSession', Condition: { 'ForAllValues:StringNotEqualsIgnoreCase': { 'aws:TagKeys': ['TENANT', 'm'] } } }, 0],
    // Case-sensitive operators leave `TENANT` open: session tag keys override role tags whatever their case.
    [{ Action: 'sts:TagSession', Condition: { 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['tenant', 'm'] } } }, 1],
    [{ Action: 'sts:TagSession', Condition: { 'ForAllValues:StringNotEqualsIgnoreCase': { 'aws:TagKeys': 'tenant' } } }, 1],
  ])('trust statement %j: %d problem(s)', (statement, problems) => {
    expect(sessionTagProblems('role', allow(statement), ['tenant', 'm'])).toHaveLength(problems);
  });

  test('a Deny statement never counts as allowing session tags', () => {
    expect(sessionTagProblems('role', { Statement: [{ Effect: 'Deny', Action: 'sts:TagSession' }] }, ['tenant'])).toEqual([]);
  });

  test.each(['acme', 'Acme Corp', 'acme.corp', 'x@y=z', 't1', 'école'])('tenant tag value %j is accepted', value => {
    expect(validateTenantTagValue('tag', value)).toEqual([]);
  });
});
