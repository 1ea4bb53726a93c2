import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Access, SharedBucket, SharedBucketEncryption, SharedBucketProps, UserAccessPoint, UserAccessPointOptions } from '../src';
import { accessPointPolicyStatements, errorOf } from './helpers';

const ACCOUNT = '123456789012';
const ENV = { account: ACCOUNT, region: 'us-east-1' };
const NAME = 'bob-ap';

/** The partition-aware ARN of the access point NAME (plus an optional suffix). */
function apArn(suffix = '') {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:us-east-1:${ACCOUNT}:accesspoint/${NAME}${suffix}`]] };
}

const ACCOUNT_ROOT = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${ACCOUNT}:root`]] };
const ALL_USERS_OF_ACCOUNT = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${ACCOUNT}:user/*`]] };

type Factory = (shared: SharedBucket, id: string, options: UserAccessPointOptions) => UserAccessPoint;

const FACTORIES: Array<[string, Factory]> = [
  ['new UserAccessPoint', (shared, id, options) => new UserAccessPoint(shared.node.scope!, id, { ...options, bucket: shared.bucket })],
  ['SharedBucket.addUserAccessPoint', (shared, id, options) => shared.addUserAccessPoint(id, options)],
];

function setup(sharedProps: SharedBucketProps = {}) {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: ENV });
  const shared = new SharedBucket(stack, 'Shared', sharedProps);
  const bob = new iam.User(stack, 'Bob', { userName: 'Bob' });
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
  const group = new iam.Group(stack, 'Team');
  return { app, stack, shared, bob, role, group };
}


function identityPolicyStatements(template: Template): any[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy'));
  expect(policies).toHaveLength(1);
  return (policies[0] as any).Properties.PolicyDocument.Statement;
}

// The action lists of src/perms.ts, as CloudFormation renders them.
const OBJECT_ACTIONS: Record<Access, string | string[]> = {
  [Access.READ]: ['s3:GetObject', 's3:GetObjectVersion'],
  [Access.WRITE]: ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'],
  [Access.READ_WRITE]: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:GetObjectVersion', 's3:ListMultipartUploadParts', 's3:PutObject'],
  [Access.READ_WRITE_DELETE]: [
    's3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:GetObjectVersion', 's3:ListMultipartUploadParts', 's3:PutObject',
  ],
};
const LISTS: Record<Access, boolean> = { READ: true, WRITE: false, READ_WRITE: true, READ_WRITE_DELETE: true };
/** Every level that reads lists keys and their versions (whoever may read a version must find its ID). */
const LIST_ACTIONS = ['s3:ListBucket', 's3:ListBucketVersions'];

/** The allow statements of a folder grant; with `principal` for the access point policy, without for the identity's. */
function folderStatements(access: Access, folder: string, principal?: unknown): object[] {
  const withPrincipal = (s: object) => (principal === undefined ? s : { ...s, Principal: { AWS: principal } });
  const statements = [withPrincipal({ Action: OBJECT_ACTIONS[access], Effect: 'Allow', Resource: apArn(`/object/${folder}*`) })];
  if (LISTS[access]) {
    statements.push(withPrincipal({
      Action: LIST_ACTIONS, Effect: 'Allow', Resource: apArn(), Condition: { StringLike: { 's3:prefix': [folder, `${folder}*`] } },
    }));
  }
  return statements;
}

describe('UserAccessPoint', () => {
  describe.each(FACTORIES)('created with %s', (_, make) => {
    test('gives an IAM user without a prefix the folder named after the user', () => {
      const { shared, bob } = setup();
      const uap = make(shared, 'BobAccess', { identity: bob, accessPointName: NAME });
      expect(uap.prefix).toBe('Bob/');
      expect(uap.identity).toBe(bob);
      expect(uap.access).toBe(Access.READ_WRITE);
      expect(uap.accessPoint.accessPointName).toBe(NAME);
    });

    test('creates an access point on the shared bucket with every public access block', () => {
      const { stack, shared, bob } = setup();
      make(shared, 'BobAccess', { identity: bob, accessPointName: NAME });
      Template.fromStack(stack).hasResourceProperties('AWS::S3::AccessPoint', {
        Bucket: stack.resolve(shared.bucket.bucketName),
        Name: NAME,
        VpcConfiguration: Match.absent(),
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      });
    });

    test('the access point policy allows the user on its folder and lists it with s3:prefix', () => {
      // GIVEN
      const { stack, shared, bob } = setup();

      // WHEN
      make(shared, 'BobAccess', { identity: bob, accessPointName: NAME });

      // THEN
      Template.fromStack(stack).hasResourceProperties('AWS::S3::AccessPoint', {
        Policy: {
          Statement: Match.arrayWith(folderStatements(Access.READ_WRITE, 'Bob/', stack.resolve(bob.userArn)).map(s => Match.objectEquals(s))),
        },
      });
    });

    test("the user's policy allows the access point ARNs only, never the bucket's", () => {
      // GIVEN
      const { stack, shared, bob } = setup();

      // WHEN
      make(shared, 'BobAccess', { identity: bob, accessPointName: NAME });

      // THEN
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::IAM::Policy', {
        Users: [stack.resolve(bob.userName)],
        PolicyDocument: { Statement: folderStatements(Access.READ_WRITE, 'Bob/').map(s => Match.objectEquals(s)) },
      });
      const bucketArn = JSON.stringify(stack.resolve(shared.bucket.bucketArn));
      for (const statement of identityPolicyStatements(template)) {
        expect(JSON.stringify(statement)).not.toContain(bucketArn);
        expect(JSON.stringify(statement)).not.toContain(':s3:::');
        expect(JSON.stringify(statement.Resource)).toContain(`accesspoint/${NAME}`);
      }
    });
  });

  test('SharedBucket.addUserAccessPoint lists the access point in accessPoints', () => {
    const { shared, bob, role } = setup();
    const first = shared.addUserAccessPoint('BobAccess', { identity: bob });
    const second = shared.addUserAccessPoint('RoleAccess', { identity: role, prefix: 'jobs/' });
    expect(shared.accessPoints).toEqual([first.accessPoint, second.accessPoint]);
  });

  test('new UserAccessPoint on a SharedBucket\'s bucket is listed in its accessPoints too', () => {
    const { stack, shared, bob } = setup();
    const bobAccess = new UserAccessPoint(stack, 'BobAccess', { bucket: shared.bucket, identity: bob });
    expect(shared.accessPoints).toEqual([bobAccess.accessPoint]);
  });

  describe('access', () => {
    test.each([Access.READ, Access.WRITE, Access.READ_WRITE, Access.READ_WRITE_DELETE])('%s grants exactly its actions on both policies', (access) => {
      // GIVEN
      const { stack, shared, bob } = setup();

      // WHEN
      shared.addUserAccessPoint('BobAccess', { identity: bob, accessPointName: NAME, access, exclusive: false });

      // THEN
      const template = Template.fromStack(stack);
      expect(accessPointPolicyStatements(template)).toEqual(folderStatements(access, 'Bob/', stack.resolve(bob.userArn)));
      expect(identityPolicyStatements(template)).toEqual(folderStatements(access, 'Bob/'));
    });

    test('is READ_WRITE by default, without delete', () => {
      const { stack, shared, bob } = setup();
      shared.addUserAccessPoint('BobAccess', { identity: bob, accessPointName: NAME, exclusive: false });
      const template = Template.fromStack(stack);
      expect(identityPolicyStatements(template)).toEqual(folderStatements(Access.READ_WRITE, 'Bob/'));
      expect(JSON.stringify(template.toJSON())).not.toContain('s3:DeleteObject"');
    });

    test('READ_WRITE_DELETE never deletes versions permanently', () => {
      const { stack, shared, bob } = setup();
      shared.addUserAccessPoint('BobAccess', { identity: bob, access: Access.READ_WRITE_DELETE, exclusive: false });
      expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toContain('s3:DeleteObjectVersion');
    });
  });

  describe('role', () => {
    test('names the role ARN as principal of the access point policy', () => {
      // GIVEN
      const { stack, shared, role } = setup();

      // WHEN
      shared.addUserAccessPoint('RoleAccess', { identity: role, prefix: 'jobs/', accessPointName: NAME });

      // THEN
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::S3::AccessPoint', {
        Policy: {
          Statement: Match.arrayWith(folderStatements(Access.READ_WRITE, 'jobs/', stack.resolve(role.roleArn)).map(s => Match.objectEquals(s))),
        },
      });
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [stack.resolve(role.roleName)],
        PolicyDocument: { Statement: folderStatements(Access.READ_WRITE, 'jobs/').map(s => Match.objectEquals(s)) },
      });
    });

    test('fails if no prefix is given for a role', () => {
      const { shared, role } = setup();
      const message = errorOf(() => shared.addUserAccessPoint('RoleAccess', { identity: role }));
      expect(message).toContain("UserAccessPoint at 'Stack/Shared/RoleAccess' has invalid props");
      expect(message).toContain('prefix: required unless the identity is an IAM user whose name is known at synth time');
    });

    test('fails if no prefix is given for a user whose name is a token', () => {
      const { stack, shared } = setup();
      const user = new iam.User(stack, 'Someone', { userName: new CfnParameter(stack, 'UserName').valueAsString });
      const message = errorOf(() => shared.addUserAccessPoint('SomeoneAccess', { identity: user }));
      expect(message).toContain("UserAccessPoint at 'Stack/Shared/SomeoneAccess' has invalid props");
      expect(message).toContain('prefix: required unless the identity is an IAM user whose name is known at synth time');
    });

    test('fails if no prefix is given for a user without a name', () => {
      const { stack, shared } = setup();
      const user = new iam.User(stack, 'Nameless');
      expect(() => shared.addUserAccessPoint('NamelessAccess', { identity: user })).toThrow(/prefix: required/);
    });

    test('uses the name of an imported user as folder', () => {
      const { stack, shared } = setup();
      const alice = iam.User.fromUserName(stack, 'Alice', 'alice');
      expect(shared.addUserAccessPoint('AliceAccess', { identity: alice }).prefix).toBe('alice/');
    });
  });

  describe('group', () => {
    test('names the account in the access point policy and writes the statements into the group policy', () => {
      // GIVEN
      const { stack, shared, group } = setup();

      // WHEN
      shared.addUserAccessPoint('TeamAccess', { identity: group, prefix: 'team/', accessPointName: NAME });

      // THEN
      // A group cannot be a principal: the account is named, the group's policy decides.
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::S3::AccessPoint', {
        Policy: { Statement: Match.arrayWith(folderStatements(Access.READ_WRITE, 'team/', ACCOUNT_ROOT).map(s => Match.objectEquals(s))) },
      });
      template.hasResourceProperties('AWS::IAM::Policy', {
        Groups: [stack.resolve(group.groupName)],
        PolicyDocument: { Statement: folderStatements(Access.READ_WRITE, 'team/').map(s => Match.objectEquals(s)) },
      });
    });

    test('fails if no prefix is given for a group', () => {
      const { shared, group } = setup();
      expect(() => shared.addUserAccessPoint('TeamAccess', { identity: group })).toThrow(/TeamAccess' has invalid props:\n {2}- prefix: required/);
    });
  });

  describe('exclusive', () => {
    // Every data action and the bucket reads S3 serves through an access point; no management action.
    const DENIED_ACTIONS = [
      's3:AbortMultipartUpload', 's3:BypassGovernanceRetention', 's3:DeleteObject*', 's3:GetBucketAcl', 's3:GetBucketCORS',
      's3:GetBucketLocation', 's3:GetBucketNotification', 's3:GetBucketPolicy', 's3:GetObject*', 's3:ListBucket*',
      's3:ListMultipartUploadParts', 's3:ListObjectAnnotations', 's3:ListObjectVersionAnnotations', 's3:ObjectOwnerOverrideToBucketOwner',
      's3:PutObject*', 's3:Replicate*', 's3:RestoreObject', 's3:UpdateObjectEncryption',
    ];

    function denyStatement(operator: string, allowedArn: unknown) {
      return {
        Sid: 'DenyOtherPrincipals',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: DENIED_ACTIONS,
        Resource: [apArn(), apArn('/object/*')],
        Condition: { [operator]: { 'aws:PrincipalArn': [allowedArn] } },
      };
    }

    test('denies every other principal the data actions at the access point by default', () => {
      // GIVEN
      const { stack, shared, bob } = setup();

      // WHEN
      shared.addUserAccessPoint('BobAccess', { identity: bob, accessPointName: NAME });

      // THEN
      Template.fromStack(stack).hasResourceProperties('AWS::S3::AccessPoint', {
        Policy: { Statement: Match.arrayWith([Match.objectEquals(denyStatement('ArnNotLike', stack.resolve(bob.userArn)))]) },
      });
    });

    test('a grantee added after a synthesis is spared in the next one', () => {
      const { app, stack, shared, bob, role } = setup();
      const uap = shared.addUserAccessPoint('BobAccess', { identity: bob, accessPointName: NAME });
      const sparedIn = () => accessPointPolicyStatements(Template.fromJSON(app.synth({ force: true }).getStackByName(stack.stackName).template))
        .find(s => s.Sid === 'DenyOtherPrincipals').Condition.ArnNotLike['aws:PrincipalArn'];
      expect(sparedIn()).toEqual([stack.resolve(bob.userArn)]);
      uap.accessPoint.grantRead(role, 'jobs/');
      expect(sparedIn()).toEqual([stack.resolve(bob.userArn), stack.resolve(role.roleArn)]);
    });

    test('never denies s3:* or access point management', () => {
      // A Deny on s3:* would also block CloudFormation from updating the access point policy.
      const { stack, shared, bob } = setup();
      shared.addUserAccessPoint('BobAccess', { identity: bob, accessPointName: NAME });
      const deny = accessPointPolicyStatements(Template.fromStack(stack)).filter(s => s.Effect === 'Deny');
      expect(deny).toHaveLength(1);
      expect(deny[0].Action).toEqual(DENIED_ACTIONS);
      expect(deny[0].Action).not.toContain('s3:*');
      expect(deny[0].Action).not.toContain('s3:PutAccessPointPolicy');
      expect(deny[0].NotPrincipal).toBeUndefined();
    });

    test('matches a role by its ARN, so its sessions keep working', () => {
      const { stack, shared, role } = setup();
      shared.addUserAccessPoint('RoleAccess', { identity: role, prefix: 'jobs/', accessPointName: NAME });
      Template.fromStack(stack).hasResourceProperties('AWS::S3::AccessPoint', {
        Policy: { Statement: Match.arrayWith([Match.objectEquals(denyStatement('ArnNotLike', stack.resolve(role.roleArn)))]) },
      });
    });

    test('for a group, denies every principal that is not an IAM user of the account', () => {
      const { stack, shared, group } = setup();
      shared.addUserAccessPoint('TeamAccess', { identity: group, prefix: 'team/', accessPointName: NAME });
      const deny = accessPointPolicyStatements(Template.fromStack(stack)).find(s => s.Sid === 'DenyOtherPrincipals');
      expect(deny).toEqual(denyStatement('ArnNotLike', ALL_USERS_OF_ACCOUNT));
    });

    test('for a group, also confines everyone to the folder, since IAM users outside the group pass the principal deny', () => {
      const { stack, shared, group } = setup();
      shared.addUserAccessPoint('TeamAccess', { identity: group, prefix: 'team/', accessPointName: NAME });
      const statements = accessPointPolicyStatements(Template.fromStack(stack));
      expect(statements.find(s => s.Sid === 'DenyOutsideFolder')).toMatchObject({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        NotResource: [stack.resolve(apArn()), stack.resolve(apArn('/object/team/*'))],
      });
      expect(statements.find(s => s.Sid === 'DenyOutsideFolder').Action).toEqual(expect.arrayContaining(['s3:GetObject*', 's3:PutObject*', 's3:DeleteObject*']));
      expect(statements.find(s => s.Sid === 'DenyListingOutsideFolder')).toMatchObject({
        Effect: 'Deny',
        Action: 's3:ListBucket*',
        Condition: { StringNotLike: { 's3:prefix': ['team/', 'team/*'] } },
      });
    });

    test('does not confine a user or a role, whom the principal deny already names', () => {
      const { stack, shared, bob } = setup();
      shared.addUserAccessPoint('BobAccess', { identity: bob, accessPointName: NAME });
      expect(accessPointPolicyStatements(Template.fromStack(stack)).map(s => s.Sid)).not.toContain('DenyOutsideFolder');
    });

    test('exclusive: false writes no deny', () => {
      const { stack, shared, bob } = setup();
      shared.addUserAccessPoint('BobAccess', { identity: bob, accessPointName: NAME, exclusive: false });
      const statements = accessPointPolicyStatements(Template.fromStack(stack));
      expect(statements.length).toBeGreaterThan(0);
      expect(statements.filter(s => s.Effect === 'Deny')).toEqual([]);
    });
  });

  describe('PER_USER_FOLDER', () => {
    const HOME = '${aws:username}/';

    test('gives an IAM user the folder named after the user, by policy variable', () => {
      // GIVEN
      const { stack, shared, bob } = setup();

      // WHEN
      const uap = shared.addUserAccessPoint('BobAccess', { identity: bob, prefix: UserAccessPoint.PER_USER_FOLDER, accessPointName: NAME });

      // THEN
      expect(uap.prefix).toBe(HOME);
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::IAM::Policy', {
        Users: [stack.resolve(bob.userName)],
        PolicyDocument: { Version: '2012-10-17', Statement: folderStatements(Access.READ_WRITE, HOME).map(s => Match.objectEquals(s)) },
      });
      template.hasResourceProperties('AWS::S3::AccessPoint', {
        Policy: { Statement: Match.arrayWith(folderStatements(Access.READ_WRITE, HOME, stack.resolve(bob.userArn)).map(s => Match.objectEquals(s))) },
      });
    });

    test('gives each member of a group a home folder', () => {
      // GIVEN
      const { stack, shared, group } = setup();

      // WHEN
      shared.addUserAccessPoint('TeamAccess', { identity: group, prefix: UserAccessPoint.PER_USER_FOLDER, accessPointName: NAME });

      // THEN
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::IAM::Policy', {
        Groups: [stack.resolve(group.groupName)],
        PolicyDocument: {
          Statement: [
            Match.objectLike({ Resource: apArn('/object/${aws:username}/*') }),
            Match.objectLike({ Action: LIST_ACTIONS, Condition: { StringLike: { 's3:prefix': ['${aws:username}/', '${aws:username}/*'] } } }),
          ],
        },
      });
      template.hasResourceProperties('AWS::S3::AccessPoint', {
        Policy: { Statement: Match.arrayWith(folderStatements(Access.READ_WRITE, HOME, ACCOUNT_ROOT).map(s => Match.objectEquals(s))) },
      });
    });

    test('fails for a role, which has no aws:username', () => {
      const { shared, role } = setup();
      const message = errorOf(() => shared.addUserAccessPoint('RoleAccess', { identity: role, prefix: UserAccessPoint.PER_USER_FOLDER }));
      expect(message).toContain("UserAccessPoint at 'Stack/Shared/RoleAccess' has invalid props");
      expect(message).toContain('prefix: PER_USER_FOLDER needs IAM users (aws:username exists only for IAM users)');
    });
  });

  describe('consoleAccess', () => {
    test('lets the identity find the access point in the console', () => {
      // GIVEN
      const { stack, shared, bob } = setup();

      // WHEN
      shared.addUserAccessPoint('BobAccess', { identity: bob, accessPointName: NAME, consoleAccess: true });

      // THEN
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        Users: [stack.resolve(bob.userName)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectEquals({ Action: ['s3:ListAccessPoints', 's3:ListAllMyBuckets'], Effect: 'Allow', Resource: '*' }),
            Match.objectEquals({
              Action: 's3:GetAccessPoint', Effect: 'Allow', Resource: '*', Condition: { StringEquals: { 's3:DataAccessPointArn': apArn() } },
            }),
          ]),
        },
      });
    });

    test('is off by default', () => {
      const { stack, shared, bob } = setup();
      shared.addUserAccessPoint('BobAccess', { identity: bob, accessPointName: NAME });
      const policies = JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
      expect(policies).not.toMatch(/s3:ListAllMyBuckets|s3:ListAccessPoints|s3:GetAccessPoint/);
      expect(policies).not.toContain('"*"');
    });
  });

  describe('encryption', () => {
    test.each([
      [Access.READ_WRITE, ['kms:Decrypt', 'kms:GenerateDataKey']],
      [Access.WRITE, ['kms:Decrypt', 'kms:GenerateDataKey']],
      [Access.READ, 'kms:Decrypt'],
    ])('%s on a KMS SharedBucket gets %j on the bucket key', (access, kmsActions) => {
      // GIVEN
      const { stack, shared, bob } = setup({ encryption: SharedBucketEncryption.KMS });

      // WHEN
      shared.addUserAccessPoint('BobAccess', { identity: bob, accessPointName: NAME, access });

      // THEN
      const kms = identityPolicyStatements(Template.fromStack(stack)).filter(s => JSON.stringify(s.Action).includes('kms:'));
      expect(kms).toEqual([{ Action: kmsActions, Effect: 'Allow', Resource: stack.resolve(shared.encryptionKey!.keyArn) }]);
    });

    test('adds no KMS actions for an S3-managed bucket', () => {
      const { stack, shared, bob } = setup();
      shared.addUserAccessPoint('BobAccess', { identity: bob, accessPointName: NAME });
      expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toContain('kms:');
    });
  });

  describe('prefix', () => {
    test('appends "/" to a prefix without one', () => {
      const { stack, shared, bob } = setup();
      const uap = shared.addUserAccessPoint('BobAccess', { identity: bob, prefix: 'reports', accessPointName: NAME, exclusive: false });
      expect(uap.prefix).toBe('reports/');
      expect(identityPolicyStatements(Template.fromStack(stack))).toEqual(folderStatements(Access.READ_WRITE, 'reports/'));
    });

    test('an explicit prefix replaces the user name', () => {
      const { shared, bob } = setup();
      expect(shared.addUserAccessPoint('BobAccess', { identity: bob, prefix: 'shared/reports/' }).prefix).toBe('shared/reports/');
    });

    test.each([
      ['contains "*"', 'bob*', 'must not contain "*" or "?": in a policy they are wildcards and would widen the grant'],
      ['is "*"', '*', 'must not contain "*" or "?"'],
      ['contains "?"', 'b?b/', 'must not contain "*" or "?"'],
      ['contains "${"', '${aws:userid}/', 'must not contain "${": it would be read as a policy variable'],
      ['starts with "/"', '/bob/', 'must not start with "/" (S3 keys have no leading slash)'],
      ['has a ".." segment', 'bob/../alice/', 'must not have a ".." segment'],
      ['is empty', '', 'must name a folder (an empty prefix would grant the whole bucket)'],
      ['is "/"', '/', 'must name a folder'],
      ['is longer than 1,024 bytes', 'a'.repeat(1025), 'must be at most 1024 bytes (it has 1025)'],
    ])('fails if the prefix %s', (_, prefix, rule) => {
      const { shared, bob } = setup();
      const message = errorOf(() => shared.addUserAccessPoint('BobAccess', { identity: bob, prefix }));
      expect(message).toContain("UserAccessPoint at 'Stack/Shared/BobAccess' has invalid props");
      expect(message).toContain(`prefix: "${prefix}" ${rule}`);
    });

    test('warns that a token prefix cannot be checked at synth time', () => {
      const { stack, shared, role } = setup();
      shared.addUserAccessPoint('RoleAccess', { identity: role, prefix: new CfnParameter(stack, 'Folder').valueAsString, accessPointName: NAME });
      Annotations.fromStack(stack).hasWarning('/Stack/Shared/RoleAccess', Match.stringLikeRegexp('prefix: the folder is only known at deploy time'));
    });

    test('says what a token prefix must hold: a folder name without a trailing "/"', () => {
      const { stack, shared, role } = setup();
      shared.addUserAccessPoint('RoleAccess', { identity: role, prefix: new CfnParameter(stack, 'Folder').valueAsString, accessPointName: NAME });
      Annotations.fromStack(stack).hasWarning('/Stack/Shared/RoleAccess', Match.stringLikeRegexp(
        'a "/" is appended, so "bob/" would become "bob//". Pass a CfnParameter that holds the folder name without a trailing "/", '
        + 'with allowedPattern \\^\\[\\^\\*\\?\\$/\\]\\+\\(/\\[\\^\\*\\?\\$/\\]\\+\\)\\*\\$',
      ));
    });

    test.each([
      ['the documented allowedPattern', { allowedPattern: '^[^*?$/]+(/[^*?$/]+)*$' }],
      ['a stricter allowedPattern', { allowedPattern: '^[a-z0-9-]+$' }],
      ['allowedValues that are all folder names', { allowedValues: ['alice', 'bob', 'team/alpha'] }],
    ])('does not warn when the parameter has %s', (_, constraints) => {
      const { stack, shared, role } = setup();
      const folder = new CfnParameter(stack, 'Folder', constraints).valueAsString;
      shared.addUserAccessPoint('RoleAccess', { identity: role, prefix: folder, accessPointName: NAME });
      shared.addUserAccessPoint('RoleAccessWithSlash', { identity: role, prefix: `${folder}/`, accessPointName: 'bob-ap-2' });
      Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('cdk-shared-bucket:unresolvedPrefix'));
    });

    test.each([
      ['the old advice, which lets "bob/" through', { allowedPattern: '^[^*?$]+$' }],
      ['a pattern that lets "*" through', { allowedPattern: '^[!-~]+$' }],
      ['a pattern it cannot read', { allowedPattern: '^(?!x)[a-z]+$' }],
      ['allowedValues with a trailing "/"', { allowedValues: ['alice', 'bob/'] }],
      ['allowedValues with a wildcard', { allowedValues: ['alice', 'b*'] }],
      ['no constraint', {}],
    ])('keeps warning when the parameter has %s', (_, constraints) => {
      const { stack, shared, role } = setup();
      const folder = new CfnParameter(stack, 'Folder', constraints).valueAsString;
      shared.addUserAccessPoint('RoleAccess', { identity: role, prefix: folder, accessPointName: NAME });
      Annotations.fromStack(stack).hasWarning('/Stack/Shared/RoleAccess', Match.stringLikeRegexp('cdk-shared-bucket:unresolvedPrefix'));
    });

    test('keeps warning when the parameter is only part of the prefix', () => {
      const { stack, shared, role } = setup();
      const folder = new CfnParameter(stack, 'Folder', { allowedPattern: '^[a-z]+$' }).valueAsString;
      shared.addUserAccessPoint('RoleAccess', { identity: role, prefix: `teams/${folder}`, accessPointName: NAME });
      Annotations.fromStack(stack).hasWarning('/Stack/Shared/RoleAccess', Match.stringLikeRegexp('cdk-shared-bucket:unresolvedPrefix'));
    });

    test('accepts a token prefix and renders it as a folder', () => {
      // GIVEN
      const { stack, shared, role } = setup();
      const folder = new CfnParameter(stack, 'Folder').valueAsString;

      // WHEN
      shared.addUserAccessPoint('RoleAccess', { identity: role, prefix: folder, accessPointName: NAME, exclusive: false });

      // THEN
      const objects = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:us-east-1:${ACCOUNT}:accesspoint/${NAME}/object/`, { Ref: 'Folder' }, '/*']] };
      const listCondition = {
        StringLike: { 's3:prefix': [{ 'Fn::Join': ['', [{ Ref: 'Folder' }, '/']] }, { 'Fn::Join': ['', [{ Ref: 'Folder' }, '/*']] }] },
      };
      expect(identityPolicyStatements(Template.fromStack(stack))).toEqual([
        { Action: OBJECT_ACTIONS[Access.READ_WRITE], Effect: 'Allow', Resource: objects },
        { Action: LIST_ACTIONS, Effect: 'Allow', Resource: apArn(), Condition: listCondition },
      ]);
    });
  });

  describe('snapshots', () => {
    test("Bob's access point on a SharedBucket matches the snapshot", () => {
      // Only what the snapshot is about: no other identities.
      const stack = new Stack(new App(), 'Stack', { env: ENV });
      const shared = new SharedBucket(stack, 'Shared', { encryption: SharedBucketEncryption.KMS });
      const bob = new iam.User(stack, 'Bob', { userName: 'Bob' });
      shared.addUserAccessPoint('BobAccess', { identity: bob, accessPointName: NAME, consoleAccess: true });
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::S3::AccessPoint', 1);
      template.hasResourceProperties('AWS::S3::AccessPoint', { Policy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'DenyOtherPrincipals' })]) } });
      expect(template.toJSON()).toMatchSnapshot();
    });

    test('a group with PER_USER_FOLDER matches the snapshot', () => {
      const stack = new Stack(new App(), 'Stack', { env: ENV });
      const shared = new SharedBucket(stack, 'Shared');
      const group = new iam.Group(stack, 'Team');
      shared.addUserAccessPoint('TeamAccess', { identity: group, prefix: UserAccessPoint.PER_USER_FOLDER, accessPointName: 'team-homes', access: Access.READ_WRITE_DELETE });
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::IAM::Policy', {
        Groups: [stack.resolve(group.groupName)],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['s3:DeleteObject']) })]) },
      });
      expect(template.toJSON()).toMatchSnapshot();
    });
  });
});
