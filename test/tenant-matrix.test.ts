/**
 * The TenantAccessPoint matrix: 100 tenant roles that differ only in their `tenant` tag, plus a
 * tenant whose own policy allows `s3:*`, evaluated with the IAM access model (test/access-model)
 * against an expected table written here in plain terms (README "Many tenants: TenantAccessPoint"):
 *
 *  - a tenant tagged T gets, lists and puts (no delete) under `T/` through the access point, and
 *    nothing else: not the root, not another tenant's folder, not a folder whose name starts with T
 *    (`t1` against `t10/`, `acme` against `acme-corp/`), not the bucket directly;
 *  - nobody else reaches anything through it: an admin with `s3:*`, a role without the tag, a role
 *    tagged but not added (even with the tenants' policy attached by hand), another account's admin
 *    carrying both tags, and members whose tag cannot name a folder of their own (empty, `/` inside,
 *    `.`, `..`; and `*`, `?`, which IAM refuses as tag values, see
 *    https://docs.aws.amazon.com/IAM/latest/APIReference/API_Tag.html).
 */
import { App, Stack, Tags } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Access, SharedBucket, TenantAccessPoint } from '../src';
import { AccessRequest, buildWorld, PolicyDocument, World } from './access-model';
import { AccessPointActions, accessPointActions, checkMatrix, describeFailures, ExpectedCell } from './access-model/matrix';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const AP = 'tenants';
const S3_STAR: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };

/** Bucket-level actions whose requests carry a prefix (`s3:prefix` in the Service Authorization Reference). */
const PREFIX_ACTIONS = new Set(['s3:ListBucket', 's3:ListBucketVersions']);

/**
 * READ_WRITE in plain terms: get an object or a version, upload (multipart too), list keys and
 * their versions (whoever may read a version must find its ID: docs/access-levels.md). No delete.
 */
const TENANT_OBJECT_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'];
const TENANT_LIST_ACTIONS = ['s3:ListBucket', 's3:ListBucketVersions'];

/**
 * 100 tenant names, with names that are prefixes of each other (t1, t10, t100; a, ac, acme,
 * acme-corp) and names that differ only in case (acme, Acme: S3 keys are case-sensitive).
 */
const SPECIAL = ['t1', 't10', 't100', 't11', 'a', 'ac', 'acme', 'acme-corp', 'Acme', 'acme.corp', 'acme corp', 'x@y=z'];
const TENANTS = [...SPECIAL, ...Array.from({ length: 100 - SPECIAL.length }, (_, i) => `tenant-${i + 2}`)];
/** Tenants whose every data action is checked on their own, other, root and sibling keys and prefixes. */
const FOCUS = ['t1', 't10', 'acme', 'acme-corp', 'Acme', 'a'];
/** A tenant whose own identity policy also allows `s3:*`: the access point still confines it. */
const ADMIN_TENANT = 'ops';

const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const tenantRoleName = (i: number) => `tenant-role-${i}`;

type Target = { readonly action: string; readonly key?: string; readonly prefix?: string };

/** What a tenant tagged `tag` may do (the expected table; never read from the policies). */
function tenantMay(tag: string, t: Target): boolean {
  const folder = `${tag}/`;
  if (t.key !== undefined) return TENANT_OBJECT_ACTIONS.includes(t.action) && t.key.startsWith(folder);
  return TENANT_LIST_ACTIONS.includes(t.action) && t.prefix !== undefined && t.prefix.startsWith(folder);
}

/**
 * The tenant whose own identity policy allows `s3:*`: the access point confines it to its folder,
 * where its own policy decides (anything, there); outside, nothing. Reads of the bucket's
 * configuration carry no key and stay its own policy's business, as for any access point.
 */
function adminTenantMay(tag: string, t: Target): boolean {
  if (t.key !== undefined) return t.key.startsWith(`${tag}/`);
  if (t.action.startsWith('s3:ListBucket')) return t.prefix !== undefined && t.prefix.startsWith(`${tag}/`);
  return true;
}

/** Another tenant's folder, a sibling whose name starts with the tenant's, the root. */
function keysOf(tag: string, other: string): string[] {
  return [`${tag}/report.csv`, `${tag}/deep/a.txt`, `${tag}/`, `${other}/report.csv`, 'report.csv', tag, `${tag}0/report.csv`, `${tag}-corp/x`];
}

function prefixesOf(tag: string, other: string): Array<string | undefined> {
  return [`${tag}/`, `${tag}/deep/`, `${other}/`, undefined, '', tag, `${tag}0/`];
}

function targets(
  actions: AccessPointActions, objectActions: readonly string[], bucketActions: readonly string[],
  keys: string[], prefixes: Array<string | undefined>,
): Target[] {
  const out: Target[] = [];
  for (const action of objectActions) for (const key of keys) out.push({ action, key });
  for (const action of bucketActions) {
    for (const prefix of PREFIX_ACTIONS.has(action) ? prefixes : [undefined]) out.push({ action, prefix });
  }
  expect(objectActions.every(a => actions.object.includes(a))).toBe(true);
  return out;
}

interface TenantApp {
  readonly world: World;
  readonly tenants: TenantAccessPoint;
}

function buildApp(): { stack: Stack; tenants: TenantAccessPoint } {
  const app = new App();
  const stack = new Stack(app, 'Tenants', { env: { account: ACCOUNT, region: REGION } });
  const shared = new SharedBucket(stack, 'Shared');
  const tenants = shared.addTenantAccessPoint('Tenants', { accessPointName: AP, access: Access.READ_WRITE });
  TENANTS.forEach((tag, i) => {
    const role = new iam.Role(stack, `Tenant${i}`, { assumedBy: new iam.AccountRootPrincipal(), roleName: tenantRoleName(i) });
    Tags.of(role).add('tenant', tag);
    tenants.addTenant(role);
  });
  const ops = new iam.Role(stack, 'Ops', { assumedBy: new iam.AccountRootPrincipal(), roleName: 'ops' });
  ops.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
  Tags.of(ops).add('tenant', ADMIN_TENANT);
  tenants.addTenant(ops);

  // Not tenants: without the tag; tagged t1 with the tenants' policy attached by hand, but not added.
  const untagged = new iam.Role(stack, 'Untagged', { assumedBy: new iam.AccountRootPrincipal(), roleName: 'untagged' });
  untagged.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
  const taggedNotAdded = new iam.Role(stack, 'TaggedNotAdded', { assumedBy: new iam.AccountRootPrincipal(), roleName: 'tagged-not-added' });
  taggedNotAdded.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
  taggedNotAdded.addManagedPolicy(tenants.policy);
  Tags.of(taggedNotAdded).add('tenant', 't1');
  return { stack, tenants };
}

/** Members whose tenant tag is unusable; IAM refuses `*` and `?` in tag values, the model gets them anyway. */
const BAD_TAGS: Record<string, string> = {
  'bad-empty': '', 'bad-nested': 't1/x', 'bad-trailing': 't1/', 'bad-dot': '.', 'bad-dotdot': '..', 'bad-star': '*', 'bad-question': 't?',
};

function tenantWorld(): TenantApp {
  const { stack, tenants } = buildApp();
  const template = Template.fromStack(stack).toJSON();
  // The tenants' managed policy as the world resolves it, for principals outside the template.
  const probe = buildWorld(template, { account: ACCOUNT, region: REGION });
  const tenantPolicy = probe.principals.get(roleArn(tenantRoleName(0)))!.policies.find(p => p.source.startsWith('AWS::IAM::ManagedPolicy'))!.document;
  const member = { [tenants.memberTagKey]: TenantAccessPoint.MEMBER_TAG_VALUE };
  const world = buildWorld(template, {
    account: ACCOUNT,
    region: REGION,
    externalPrincipals: [
      { arn: roleArn('Admin'), policies: { AdminS3: S3_STAR } },
      { arn: roleArn('AdminTaggedT1'), policies: { AdminS3: S3_STAR }, tags: { tenant: 't1' } },
      { arn: roleArn('MemberWithoutTenantTag'), policies: { Tenant: tenantPolicy, AdminS3: S3_STAR }, tags: member },
      { arn: 'arn:aws:iam::999999999999:role/ForeignTenant', policies: { Tenant: tenantPolicy, AdminS3: S3_STAR }, tags: { ...member, tenant: 't1' } },
      ...Object.entries(BAD_TAGS).map(([name, tag]) => ({
        arn: roleArn(name), policies: { Tenant: tenantPolicy, AdminS3: S3_STAR }, tags: { ...member, tenant: tag },
      })),
    ],
  });
  return { world, tenants };
}

function request(principal: string, t: Target, path: AccessRequest['path'] = { accessPoint: AP }): AccessRequest {
  return { principal, action: t.action, key: t.key, listPrefix: t.prefix, path, network: 'internet' };
}

describe('TenantAccessPoint matrix', () => {
  let w: TenantApp;
  let actions: AccessPointActions;
  const reports: string[] = [];

  beforeAll(async () => {
    w = tenantWorld();
    actions = await accessPointActions();
  });

  afterAll(() => {
    // The matrix sizes, for the report in the test log.
    // eslint-disable-next-line no-console
    console.log(reports.join('\n'));
  });

  async function expectCells(name: string, cells: ExpectedCell[], expectAllowed: boolean): Promise<void> {
    const report = await checkMatrix(w.world, cells);
    reports.push(`${name}: ${report.evaluated} cells, ${report.allowed} allowed, ${Math.round(report.ms)} ms`);
    expect(report.evaluated).toBe(cells.length);
    expect(cells.length).toBeGreaterThan(0);
    expect(describeFailures(name, report)).toBe(`${name}: every cell as expected`);
    if (expectAllowed) expect(report.allowed).toBeGreaterThan(0);
    else expect(report.allowed).toBe(0);
  }

  test('every tenant: every data action on its own folder and on another tenant\'s', async () => {
    const cells: ExpectedCell[] = [];
    TENANTS.forEach((tag, i) => {
      const other = TENANTS[(i + 1) % TENANTS.length];
      const keys = [`${tag}/report.csv`, `${other}/report.csv`];
      const prefixes = [`${tag}/`, `${other}/`];
      for (const t of targets(actions, actions.object, actions.bucket, keys, prefixes)) {
        cells.push({ request: request(roleArn(tenantRoleName(i)), t), expected: { allowed: tenantMay(tag, t) } });
      }
    });
    await expectCells('100 tenants x every data action x own/other folder', cells, true);
  }, 120_000);

  test('every tenant: get and list on the root, siblings whose name starts with its own, and the bucket directly', async () => {
    const cells: ExpectedCell[] = [];
    TENANTS.forEach((tag, i) => {
      const other = TENANTS[(i + 7) % TENANTS.length];
      const principal = roleArn(tenantRoleName(i));
      for (const t of targets(actions, ['s3:GetObject'], ['s3:ListBucket'], keysOf(tag, other), prefixesOf(tag, other))) {
        cells.push({ request: request(principal, t), expected: { allowed: tenantMay(tag, t) } });
      }
      // Tenants have no grant on the bucket itself: only through the access point.
      for (const key of [`${tag}/report.csv`]) {
        cells.push({ request: request(principal, { action: 's3:GetObject', key }, 'bucket'), expected: { allowed: false } });
      }
    });
    await expectCells('100 tenants x get/list x root, sibling and nested keys and prefixes', cells, true);
  }, 120_000);

  test('tenants whose names are prefixes of each other, or differ in case: every data action on every key and prefix', async () => {
    const cells: ExpectedCell[] = [];
    [...FOCUS, ADMIN_TENANT].forEach((tag, i, all) => {
      const admin = tag === ADMIN_TENANT;
      const principal = admin ? roleArn('ops') : roleArn(tenantRoleName(TENANTS.indexOf(tag)));
      const other = all[(i + 1) % all.length];
      for (const t of targets(actions, actions.object, actions.bucket, keysOf(tag, other), prefixesOf(tag, other))) {
        cells.push({ request: request(principal, t), expected: { allowed: admin ? adminTenantMay(tag, t) : tenantMay(tag, t) } });
      }
    });
    await expectCells('focus tenants (t1, t10, acme, acme-corp, Acme, a) and the s3:* tenant x every data action x own, other, root, sibling keys', cells, true);
  }, 120_000);

  test('nobody else: admins, untagged, tagged-but-not-added, another account, unusable tags', async () => {
    const outsiders = [
      'Admin', 'AdminTaggedT1', 'untagged', 'tagged-not-added', 'MemberWithoutTenantTag', ...Object.keys(BAD_TAGS),
    ].map(roleArn);
    outsiders.push('arn:aws:iam::999999999999:role/ForeignTenant');
    const keys = ['t1/report.csv', 't1/x/report.csv', '/report.csv', '../report.csv', 'report.csv'];
    const prefixes = ['t1/', 't1/x/', '/', '../', undefined];
    const cells: ExpectedCell[] = [];
    for (const principal of outsiders) {
      for (const t of targets(actions, actions.object, actions.bucket, keys, prefixes)) {
        cells.push({ request: request(principal, t), expected: { allowed: false, decidingLeg: 'access-point' } });
      }
    }
    await expectCells('outsiders x every data action x tenant, root and escaping keys', cells, false);
  }, 120_000);

  test('the world carries each role\'s tags from its template, and refuses the keys the harness reserves', () => {
    expect(w.world.principals.get(roleArn(tenantRoleName(TENANTS.indexOf('acme-corp'))))!.tags).toEqual({ tenant: 'acme-corp', [w.tenants.memberTagKey]: 'true' });
    expect(w.world.principals.get(roleArn('untagged'))!.tags).toEqual({});
    expect(() => buildWorld({ Resources: {} }, { externalPrincipals: [{ arn: roleArn('x'), tags: { 'xsim-s3-DataAccessPointArn': 'a' } }] }))
      .toThrow(/tags starting with "xsim-" are reserved/);
  });

  test('the policies that make this true do not grow with the tenants', () => {
    const ap = w.world.accessPoints.get(AP)!;
    expect(JSON.stringify(ap.policy).length).toBeLessThan(6_000);
    const tenantPolicies = new Set([...w.world.principals.values()].flatMap(p => p.policies.filter(x => x.source.startsWith('AWS::IAM::ManagedPolicy')).map(x => x.name)));
    expect(tenantPolicies.size).toBe(1);
  });
});
