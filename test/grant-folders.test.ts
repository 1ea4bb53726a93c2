/**
 * Grants on many folders: `grantFolders(grantee, folders, access)` writes one object statement and
 * one list statement however many folders there are. The statements are checked with Template
 * assertions; what they allow is proven with the access model (test/access-model), against
 * expectations written here from AWS's rules: an identity policy on the access point's ARNs, and a
 * bucket policy that delegates to access points of its account
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Access, AccessPoint, SharedBucket, SharedBucketEncryption } from '../src';
import { AccessRequest, buildWorld, evaluate, PolicyDocument } from './access-model';
import { checkMatrix, describeFailures, ExpectedCell } from './access-model/matrix';
import { accessPointPolicyStatements, errorOf } from './helpers';

const ACCOUNT = '123456789012';
const PARTNER_ACCOUNT = '999999999999';
const ENV = { account: ACCOUNT, region: 'us-east-1' };
const AP = 'teams';
const S3_STAR: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };

const ROLE = `arn:aws:iam::${ACCOUNT}:role/Reader`;
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/Admin`;
const FOREIGN_ADMIN = `arn:aws:iam::${PARTNER_ACCOUNT}:role/ForeignAdmin`;
const PARTNER = `arn:aws:iam::${PARTNER_ACCOUNT}:role/Partner`;

/** Thirty folders, given with a duplicate (`a` and `a/`) and a folder inside another (`a/sub/`). */
const FOLDERS = ['a', 'c/', ...Array.from({ length: 28 }, (_, i) => `f${String(i).padStart(2, '0')}/`)];
const GIVEN = [...FOLDERS, 'a/', 'a/sub/'];
const NORMALIZED = ['a/', ...FOLDERS.slice(1)];

function setup(grant: (ap: AccessPoint, role: iam.IRole, stack: Stack) => void) {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: ENV });
  const shared = new SharedBucket(stack, 'Shared', { encryption: SharedBucketEncryption.KMS });
  const ap = new AccessPoint(stack, 'AP', { bucket: shared.bucket, accessPointName: AP });
  const role = new iam.Role(stack, 'Reader', { roleName: 'Reader', assumedBy: new iam.AccountRootPrincipal() });
  grant(ap, role, stack);
  return Template.fromStack(stack);
}

/** The statements of the role's default policy. */
function roleStatements(template: Template): any[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^Reader') }] } }));
  expect(policies).toHaveLength(1);
  return (policies[0] as any).Properties.PolicyDocument.Statement;
}

const apArn = (suffix = '') => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:us-east-1:${ACCOUNT}:accesspoint/${AP}${suffix}`]] });

describe('grantFolders', () => {
  test('thirty folders are two statements (plus the key), where thirty grantRead calls are sixty', () => {
    const template = setup((ap, role) => ap.grantFolders(role, GIVEN, Access.READ));
    const statements = roleStatements(template);
    expect(statements).toHaveLength(3);
    expect(statements).toEqual([
      { Action: ['s3:GetObject', 's3:GetObjectVersion'], Effect: 'Allow', Resource: NORMALIZED.map(f => apArn(`/object/${f}*`)) },
      { Action: ['s3:ListBucket', 's3:ListBucketVersions'], Effect: 'Allow', Resource: apArn(), Condition: { StringLike: { 's3:prefix': NORMALIZED.flatMap(f => [f, `${f}*`]) } } },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^SharedBucketKey/), 'Arn'] } },
    ]);

    template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);

    // one grantRead per folder: two statements each, which overflow the role's inline policy
    const oneByOne = setup((ap, role) => NORMALIZED.forEach(f => ap.grantRead(role, f)));
    const everyStatement = ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']
      .flatMap(type => Object.values(oneByOne.findResources(type)))
      .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);
    expect(everyStatement.filter(s => String(s.Action).startsWith('s3:'))).toHaveLength(60);
    expect(Object.keys(oneByOne.findResources('AWS::IAM::ManagedPolicy')).length).toBeGreaterThan(0);
  });

  test('each access level maps to its actions; a single folder renders like grantRead', () => {
    const write = roleStatements(setup((ap, role) => ap.grantFolders(role, ['x/', 'y/'], Access.WRITE)));
    expect(write.map(s => s.Action)).toEqual([['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'], ['kms:Decrypt', 'kms:GenerateDataKey']]);
    const rwd = roleStatements(setup((ap, role) => ap.grantFolders(role, ['x/'], Access.READ_WRITE_DELETE)));
    expect(rwd[0].Action).toContain('s3:DeleteObject');
    const one = roleStatements(setup((ap, role) => ap.grantFolders(role, ['x'], Access.READ)));
    const viaGrantRead = roleStatements(setup((ap, role) => ap.grantRead(role, 'x')));
    expect(one).toEqual(viaGrantRead);
  });

  test('a grantee of another account gets one object and one list statement in the access point policy, conditions kept', () => {
    const template = setup((ap, _role, stack) => ap.grantFolders(iam.Role.fromRoleArn(stack, 'Partner', PARTNER), ['a/', 'b/'], Access.READ));
    const statements = accessPointPolicyStatements(template);
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatchObject({ Principal: { AWS: PARTNER }, Resource: [apArn('/object/a/*'), apArn('/object/b/*')] });
    expect(statements[1]).toMatchObject({ Principal: { AWS: PARTNER }, Resource: apArn(), Condition: { StringLike: { 's3:prefix': ['a/', 'a/*', 'b/', 'b/*'] } } });
  });

  test.each([
    [[], /folders: must name at least one folder/],
    [['ok/', ''], /folders\[1\]: "" must name a folder/],
    [['ok/', 'x*'], /folders\[1\]: "x\*" must not contain "\*" or "\?"/],
    [['/abs'], /folders\[0\]: "\/abs" must not start with "\/"/],
    [['${aws:username}/'], /folders\[0\]: PER_USER_FOLDER needs IAM users/],
    [['ok/', '*'], /folders\[1\]: "\*" \(AccessPoint.ALL_KEYS\) grants every key/],
  ])('refuses %j, naming the construct and the folder', (folders, message) => {
    const error = errorOf(() => setup((ap, role) => ap.grantFolders(role, folders, Access.READ)));
    expect(error).toMatch(/AccessPoint grant at 'Stack\/AP' has invalid props/);
    expect(error).toMatch(message);
  });

  describe('access model', () => {
    const KEYS = ['a/x', 'a/sub/x', 'a/', 'c/x', 'f00/x', 'f27/x', 'a2/x', 'ab/x', 'a', 'b/x', 'f28/x', 'root.txt'];
    const PREFIXES = [undefined, 'a/', 'a/sub/', 'f27/', 'a', 'a2/', 'ab/', 'b/', 'f2'];
    const OBJECT_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:DeleteObject'];
    const inFolder = (name: string | undefined) => name !== undefined && NORMALIZED.some(f => name.startsWith(f));

    function requests(principal: string, path: AccessRequest['path']): AccessRequest[] {
      return [
        ...OBJECT_ACTIONS.flatMap(action => KEYS.map(key => ({ principal, action, key, path, network: 'internet' as const }))),
        ...PREFIXES.map(listPrefix => ({ principal, action: 's3:ListBucket', listPrefix, path, network: 'internet' as const })),
      ];
    }

    /** READ on the thirty folders: get and list inside them only, nothing else anywhere. */
    const readsGrantedFolders = (r: AccessRequest) => r.action === 's3:ListBucket'
      ? inFolder(r.listPrefix)
      : ['s3:GetObject', 's3:GetObjectVersion'].includes(r.action) && inFolder(r.key);

    test('the role reads and lists each granted folder through the access point, and nothing else, by any path', async () => {
      const template = setup((ap, role) => ap.grantFolders(role, GIVEN, Access.READ));
      const world = buildWorld(template.toJSON(), {
        account: ACCOUNT,
        externalPrincipals: [{ arn: ADMIN, policies: { S3: S3_STAR } }, { arn: FOREIGN_ADMIN, policies: { S3: S3_STAR } }],
      });
      const through = { accessPoint: AP };
      const cells: ExpectedCell[] = [
        ...requests(ROLE, through).map(request => ({ request, expected: { allowed: readsGrantedFolders(request) } })),
        // its grant names the access point only: directly on the bucket it has nothing
        ...requests(ROLE, 'bucket').map(request => ({ request, expected: { allowed: false } })),
        // a plain AccessPoint is not exclusive: a same-account admin's own s3:* suffices (AWS's rule)
        ...requests(ADMIN, through).map(request => ({ request, expected: { allowed: true } })),
        // another account's admin is named by no resource policy
        ...requests(FOREIGN_ADMIN, through).map(request => ({ request, expected: { allowed: false } })),
      ];
      const report = await checkMatrix(world, cells);
      expect(report.evaluated).toBe(4 * (OBJECT_ACTIONS.length * KEYS.length + PREFIXES.length));
      expect(report.allowed).toBe(cells.filter(c => c.expected.allowed).length);
      expect(describeFailures('grantFolders', report)).toBe('grantFolders: every cell as expected');

      // SSE-KMS: the download also passes the key leg
      const encrypted = await evaluate(world, { principal: ROLE, action: 's3:GetObject', key: 'f27/x', path: through, network: 'internet', encrypted: true });
      expect(encrypted.legs.map(l => [l.leg, l.result])).toEqual([['access-point', 'Allowed'], ['bucket', 'Allowed'], ['kms', 'Allowed']]);
    }, 120_000);

    test('a partner role of another account reaches the granted folders through the access point policy only', async () => {
      const template = setup((ap, _role, stack) => ap.grantFolders(iam.Role.fromRoleArn(stack, 'Partner', PARTNER), GIVEN, Access.READ_WRITE));
      // the partner account's own policy lets the role use S3: the access point policy decides
      const world = buildWorld(template.toJSON(), { account: ACCOUNT, externalPrincipals: [{ arn: PARTNER, policies: { S3: S3_STAR } }] });
      const readWrite = (r: AccessRequest) => r.action === 's3:ListBucket'
        ? inFolder(r.listPrefix)
        : r.action !== 's3:DeleteObject' && inFolder(r.key);
      const cells: ExpectedCell[] = [
        ...requests(PARTNER, { accessPoint: AP }).map(request => ({ request, expected: { allowed: readWrite(request) } })),
        ...requests(PARTNER, 'bucket').map(request => ({ request, expected: { allowed: false } })),
      ];
      const report = await checkMatrix(world, cells);
      expect(report.evaluated).toBe(2 * (OBJECT_ACTIONS.length * KEYS.length + PREFIXES.length));
      expect(report.allowed).toBeGreaterThan(0);
      expect(describeFailures('partner', report)).toBe('partner: every cell as expected');
    }, 120_000);
  });
});
