/**
 * Access matrices: every principal x action x key (or list prefix) x path x network of an app,
 * evaluated with the IAM access model (test/access-model) and compared cell by cell with an
 * EXPECTED TABLE written here in plain terms (docs/access-levels.md, README; docs/aws-rules.md sections 2, 4, 5, 7).
 * The expectations are never read from the synthesized policies: a cell that disagrees is a bug in
 * the constructs (or in the model), and each matrix reports every disagreeing cell at once.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ScenarioStack } from '../examples/scenario';
import { Access, AccessPoint, AccessPointDelegation, SharedBucket, SharedBucketProps, UserAccessPoint } from '../src';
import { AccessRequest, buildWorld, evaluate, ExternalPrincipal, mergeWorlds, PolicyDocument, World } from './access-model';
import { AccessPointActions, accessPointActions, checkMatrix, describeFailures, ExpectedCell, Expectation, MatrixReport } from './access-model/matrix';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const ENV = { account: ACCOUNT, region: REGION };
const S3_STAR: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };

/** Bucket-level actions whose requests carry a prefix (`s3:prefix` in the Service Authorization Reference). */
const PREFIX_ACTIONS = new Set(['s3:ListBucket', 's3:ListBucketVersions']);

// ---- the access model, in plain terms ---------------------------------------------------------------

/** "get": read an object or one of its versions. */
const GET = ['s3:GetObject', 's3:GetObjectVersion'];
/**
 * "list": list keys, and their versions. The user's intent: whoever may read a version
 * (s3:GetObjectVersion) must be able to find its version ID, so every level that reads also lists
 * versions, limited to the same folder as the keys (issue 11).
 */
const LIST = ['s3:ListBucket', 's3:ListBucketVersions'];
/** "put": upload, including multipart uploads (UploadPart is s3:PutObject), listing their parts and aborting them. */
const PUT = ['s3:PutObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'];
/** Access levels (docs/access-levels.md): READ = get + list; READ_WRITE = get + list + put, no delete. */
const READ = { object: GET, list: LIST };
const READ_WRITE = { object: [...GET, ...PUT], list: LIST };
type Level = typeof READ;

/** What a request names: an action and a key (object-level) or a list prefix (bucket-level, optional). */
interface Target {
  readonly action: string;
  readonly key?: string;
  readonly prefix?: string;
}

/** Does `level` on `folder` cover the request? Keys under the folder (the folder key itself too), listings of prefixes inside it. */
function within(level: Level, folder: string, t: Target): boolean {
  if (t.key !== undefined) return level.object.includes(t.action) && t.key.startsWith(folder);
  return level.list.includes(t.action) && t.prefix !== undefined && t.prefix.startsWith(folder);
}

const ALLOW: Expectation = { allowed: true };
const DENY: Expectation = { allowed: false };
const allowIf = (allowed: boolean): Expectation => (allowed ? ALLOW : DENY);

/**
 * Actions `denyDirectAccess` denies directly on the bucket ("object and list actions"): every
 * object-level action and every listing. Reads of the bucket's configuration (GetBucketAcl,
 * GetBucketPolicy, ...) are not data and stay allowed, like bucket-policy management.
 */
function isDataAction(actions: AccessPointActions, action: string): boolean {
  return actions.object.includes(action) || action.startsWith('s3:ListBucket');
}

/** Object actions x keys, and bucket-level actions x prefixes (the prefix-less ones once). */
function targets(actions: AccessPointActions, keys: readonly string[], prefixes: ReadonlyArray<string | undefined>, bucketPath: boolean): Target[] {
  const out: Target[] = [];
  for (const action of actions.object) {
    for (const key of keys) out.push({ action, key });
  }
  for (const action of [...actions.bucket, ...(bucketPath ? actions.bucketOnly : [])]) {
    for (const prefix of PREFIX_ACTIONS.has(action) ? prefixes : [undefined]) out.push({ action, prefix });
  }
  return out;
}

async function expectMatrix(name: string, world: World, cells: ExpectedCell[], expectedCount: number): Promise<MatrixReport> {
  const report = await checkMatrix(world, cells);
  // a matrix must never silently evaluate nothing (or less than designed)
  expect(report.evaluated).toBe(expectedCount);
  expect(report.allowed).toBeGreaterThan(0);
  expect(describeFailures(name, report)).toBe(`${name}: every cell as expected`);
  return report;
}

// ---- matrices 1 and 2: the scenario ----------------------------------------------------------------

const SCENARIO_BUCKET = 'access-point-test';
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/Admin`;
const NOBODY = `arn:aws:iam::${ACCOUNT}:user/NoS3Rights`;
const FOREIGN_ADMIN = 'arn:aws:iam::999999999999:role/ForeignAdmin';

const SCENARIO_KEYS = ['Bob/a.txt', 'Bob/', 'app/a.txt', 'app/', 'root.txt', 'Bob2/x', 'Bobby/x', 'app2/x'];
const SCENARIO_PREFIXES = [undefined, 'Bob/', 'Bob/sub/', 'Bob', 'Bobby/', 'Bob2/', 'app/', 'app/sub/', 'app', 'app2/'];

type Who = 'bob' | 'reader' | 'admin' | 'nobody' | 'foreign';
type ScenarioPath = 'bob' | 'app' | 'bucket';
type ScenarioNetwork = 'internet' | 'vpc';

interface ScenarioCell extends Target {
  readonly who: Who;
  readonly path: ScenarioPath;
  readonly network: ScenarioNetwork;
}

interface ScenarioModel {
  readonly denyDirectAccess: boolean;
  /** Principals named in directAccessPrincipals. */
  readonly exempt: readonly Who[];
}

/**
 * The scenario's access model (README, docs/access-levels.md; docs/aws-rules.md sections 2, 4, 5):
 *  - Bob gets, lists and puts (no delete) keys under Bob/ through his access point, from the
 *    internet. His access point is exclusive: nobody else uses it, not even an admin with s3:*.
 *  - The reader function gets and lists keys under app/ through the VPC access point, from the VPC.
 *    That access point serves its reader (and consumers) only: "every identity reaches data only
 *    through its own access point" (docs/access-levels.md).
 *  - The VPC access point takes requests only through an endpoint in its VPC (section 4); the endpoint
 *    policy is an allow-list: from the VPC only reads and lists of app/, on the VPC access point or on
 *    the bucket, get through, whoever asks.
 *  - Directly on the bucket only an identity policy can grant (the bucket policy delegates to access
 *    points): the same-account admin may do anything; with denyDirectAccess no data action, unless it
 *    is one of directAccessPrincipals (section 5).
 *  - An identity without S3 rights, and a principal of another account (even with s3:*), reach nothing.
 */
function scenarioExpectation(model: ScenarioModel, actions: AccessPointActions, c: ScenarioCell): Expectation {
  if (c.path === 'app' && c.network !== 'vpc') return { allowed: false, decidingLeg: 'network-origin' };
  if (c.network === 'vpc' && !(c.path !== 'bob' && within(READ, 'app/', c))) return DENY;
  switch (c.path) {
    case 'bob': return allowIf(c.who === 'bob' && within(READ_WRITE, 'Bob/', c));
    case 'app': return allowIf(c.who === 'reader' && within(READ, 'app/', c));
    case 'bucket':
      if (c.who !== 'admin') return DENY;
      return allowIf(!model.denyDirectAccess || model.exempt.includes('admin') || !isDataAction(actions, c.action));
  }
}

const SCENARIO_WHO: readonly Who[] = ['bob', 'reader', 'admin', 'nobody', 'foreign'];

/** principals x paths x networks x (object actions x keys + bucket-level actions x prefixes). */
function scenarioCells(actions: AccessPointActions): ScenarioCell[] {
  const cells: ScenarioCell[] = [];
  for (const who of SCENARIO_WHO) {
    for (const path of ['bob', 'app', 'bucket'] as const) {
      for (const network of ['internet', 'vpc'] as const) {
        for (const t of targets(actions, SCENARIO_KEYS, SCENARIO_PREFIXES, path === 'bucket')) cells.push({ ...t, who, path, network });
      }
    }
  }
  return cells;
}

/** 5 principals x 3 paths x 2 networks x (object actions x 8 keys + 2 listings x 10 prefixes + other bucket-level actions), + bucket-only actions on the bucket. */
function scenarioCellCount(actions: AccessPointActions): number {
  const perPathAndNetwork = actions.object.length * SCENARIO_KEYS.length
    + PREFIX_ACTIONS.size * SCENARIO_PREFIXES.length
    + (actions.bucket.length - PREFIX_ACTIONS.size);
  return SCENARIO_WHO.length * 2 * (3 * perPathAndNetwork + actions.bucketOnly.length);
}

interface ScenarioWorld {
  readonly world: World;
  readonly principals: Record<Who, string>;
  readonly vpc: { readonly vpc: string; readonly endpoint: string };
}

/** The parts of a scenario stack the matrix needs. */
interface ScenarioParts {
  readonly stack: Stack;
  readonly readerRole: iam.IRole;
}

function scenarioWorld(parts: ScenarioParts): ScenarioWorld {
  const world = buildWorld(Template.fromStack(parts.stack).toJSON(), {
    account: ACCOUNT,
    region: REGION,
    externalPrincipals: [
      { arn: ADMIN, policies: { AdminS3: S3_STAR } },
      { arn: NOBODY },
      { arn: FOREIGN_ADMIN, policies: { ForeignS3: S3_STAR } },
    ],
  });
  const endpoints = [...world.endpoints.values()].filter(e => e.isS3);
  expect(endpoints).toHaveLength(1);
  return {
    world,
    principals: {
      bob: `arn:aws:iam::${ACCOUNT}:user/Bob`,
      reader: `arn:aws:iam::${ACCOUNT}:role/${parts.stack.getLogicalId(parts.readerRole.node.defaultChild as iam.CfnRole)}`,
      admin: ADMIN,
      nobody: NOBODY,
      foreign: FOREIGN_ADMIN,
    },
    vpc: { vpc: endpoints[0].vpcId, endpoint: endpoints[0].id },
  };
}

function scenarioRequest(w: ScenarioWorld, c: ScenarioCell): AccessRequest {
  const paths = { bob: { accessPoint: 'bob-access-point-test' }, app: { accessPoint: 'app-vpc-access-point-test' }, bucket: 'bucket' as const };
  return {
    principal: w.principals[c.who],
    action: c.action,
    key: c.key,
    listPrefix: c.prefix,
    path: paths[c.path],
    bucket: c.path === 'bucket' ? SCENARIO_BUCKET : undefined,
    network: c.network === 'vpc' ? w.vpc : 'internet',
  };
}

function scenarioMatrix(w: ScenarioWorld, model: ScenarioModel, actions: AccessPointActions): ExpectedCell[] {
  return scenarioCells(actions).map(c => ({ request: scenarioRequest(w, c), expected: scenarioExpectation(model, actions, c) }));
}

function scenarioStack(props: { denyDirectAccess?: boolean } = {}): ScenarioParts {
  const stack = new ScenarioStack(new App(), 'Scenario', { env: ENV, bucketName: SCENARIO_BUCKET, ...props });
  return { stack, readerRole: stack.app.readerFunction!.role! };
}

/** Named zones instead of a lookup, as in ScenarioStack. */
class ScenarioLikeStack extends Stack {
  public get availabilityZones(): string[] {
    return [`${this.region}a`, `${this.region}b`];
  }
}

/**
 * The access-relevant part of examples/scenario.ts, with SharedBucket props the example does not
 * expose (directAccessPrincipals). Checked against ScenarioStack below so it cannot drift.
 */
function scenarioLikeStack(shared: SharedBucketProps): ScenarioParts {
  // the same stack id as scenarioStack(): the same logical IDs, endpoint IDs and names
  const stack = new ScenarioLikeStack(new App(), 'Scenario', { env: ENV });
  const bucket = new SharedBucket(stack, 'AliceBucket', { bucketName: SCENARIO_BUCKET, ...shared });
  const bob = new iam.User(stack, 'Bob', { userName: 'Bob' });
  bucket.addUserAccessPoint('BobAccessPoint', { identity: bob, accessPointName: 'bob-access-point-test', access: Access.READ_WRITE, consoleAccess: true });
  const vpc = new ec2.Vpc(stack, 'AppVpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const app = bucket.addVpcAccessPoint('AppAccessPoint', { vpc, prefix: 'app/', accessPointName: 'app-vpc-access-point-test' });
  return { stack, readerRole: app.readerFunction!.role! };
}

/** What decides access in a world: policies of access points, endpoints, principals and buckets (by content). */
function accessRelevant(w: ScenarioWorld) {
  const policiesOf = (arn: string) => w.world.principals.get(arn)!.policies.map(p => p.document);
  const principals = Object.fromEntries(Object.entries(w.principals).map(([who, arn]) => [who, policiesOf(arn)]));
  return {
    accessPoints: [...w.world.accessPoints.values()].map(ap => ({ ...ap, logicalId: undefined })),
    endpoints: [...w.world.endpoints.values()],
    principals,
    bucketPolicy: w.world.buckets.get(SCENARIO_BUCKET)!.policy,
  };
}

// ---- matrix 3: twenty tenants and a per-user-folder group ----------------------------------------

const TENANT_BUCKET = 'tenants-shared-bucket';
const TENANTS = Array.from({ length: 20 }, (_, i) => `tenant-${String(i).padStart(2, '0')}`);
const MEMBERS = ['member-a', 'member-b'];
const TENANT_VPC = { vpc: 'vpc-tenants', endpoint: 'vpce-tenants' };
/** Representative object actions of each kind: the exclusive Deny's action coverage is matrix 1's job. */
const TENANT_OBJECT_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'];

/** A tenant (even: IAM role, odd: IAM user) or a member of the group. */
interface TenantCell extends Target {
  readonly who: string;
  /** A tenant's name (its access point), 'members' (the group's access point) or 'bucket'. */
  readonly path: string;
  readonly network: 'internet' | 'vpc';
}

const folderOf = (who: string) => `${who}/`;
const ownPathOf = (who: string) => (MEMBERS.includes(who) ? 'members' : who);
const neighbourOf = (who: string) => (MEMBERS.includes(who)
  ? MEMBERS[(MEMBERS.indexOf(who) + 1) % MEMBERS.length]
  : TENANTS[(TENANTS.indexOf(who) + 1) % TENANTS.length]);
const pathFolders = (path: string) => (path === 'bucket' ? [] : path === 'members' ? MEMBERS.map(folderOf) : [folderOf(path)]);

/**
 * Each tenant gets, lists and puts (no delete) keys under its own folder through its own access
 * point, from any network; each group member likewise under `<its user name>/` through the group's
 * access point. Nothing else: no other folder, no other access point, not the bucket directly.
 */
function tenantExpectation(c: TenantCell): Expectation {
  return allowIf(c.path === ownPathOf(c.who) && within(READ_WRITE, folderOf(c.who), c));
}

/**
 * For each principal and path: get/put/delete a key in, and list, the principal's own folder, the
 * folder(s) the path serves and a neighbour's folder; a sibling folder (`tenant-010/` next to
 * `tenant-01/`) through the principal's own access point; a listing without prefix.
 */
function tenantCells(whos: readonly string[], paths: readonly string[]): TenantCell[] {
  const cells: TenantCell[] = [];
  for (const who of whos) {
    for (const path of paths) {
      const folders = [...new Set([folderOf(who), ...pathFolders(path), folderOf(neighbourOf(who))])];
      const keys = folders.map(f => `${f}a.txt`);
      if (path === ownPathOf(who)) keys.push(`${who}0/a.txt`);
      for (const network of ['internet', 'vpc'] as const) {
        for (const action of TENANT_OBJECT_ACTIONS) {
          for (const key of keys) cells.push({ who, path, network, action, key });
        }
        for (const prefix of [undefined, ...folders]) cells.push({ who, path, network, action: 's3:ListBucket', prefix });
      }
    }
  }
  return cells;
}

function tenantStack(options: { group: boolean }): Stack {
  const stack = new Stack(new App(), 'Tenants', { env: ENV });
  const shared = new SharedBucket(stack, 'Shared', { bucketName: TENANT_BUCKET });
  TENANTS.forEach((name, i) => {
    if (i % 2 === 0) {
      const role = new iam.Role(stack, `Role-${name}`, { roleName: name, assumedBy: new iam.AccountRootPrincipal() });
      shared.addUserAccessPoint(`AccessPoint-${name}`, { identity: role, prefix: `${name}/`, accessPointName: name });
    } else {
      // the folder defaults to the user's name
      const user = new iam.User(stack, `User-${name}`, { userName: name });
      shared.addUserAccessPoint(`AccessPoint-${name}`, { identity: user, accessPointName: name });
    }
  });
  if (!options.group) return stack;
  const group = new iam.Group(stack, 'Members', { groupName: 'members' });
  MEMBERS.forEach(name => new iam.User(stack, `User-${name}`, { userName: name, groups: [group] }));
  shared.addUserAccessPoint('MembersAccessPoint', { identity: group, prefix: UserAccessPoint.PER_USER_FOLDER, accessPointName: 'members' });
  return stack;
}

function tenantRequest(c: TenantCell): AccessRequest {
  const kind = MEMBERS.includes(c.who) || TENANTS.indexOf(c.who) % 2 === 1 ? 'user' : 'role';
  return {
    principal: `arn:aws:iam::${ACCOUNT}:${kind}/${c.who}`,
    action: c.action,
    key: c.key,
    listPrefix: c.prefix,
    path: c.path === 'bucket' ? 'bucket' : { accessPoint: c.path },
    bucket: c.path === 'bucket' ? TENANT_BUCKET : undefined,
    network: c.network === 'vpc' ? TENANT_VPC : 'internet',
  };
}

// ---- matrix 4: a cross-account access point ---------------------------------------------------------

const PARTNER_ACCOUNT = '222222222222';
const THIRD_ACCOUNT = '333333333333';
const PARTNER_AP = 'partner-access-point';
const THIRD_AP = 'third-access-point';
const ANALYST = `arn:aws:iam::${PARTNER_ACCOUNT}:role/analyst`;
const PARTNER_ADMIN = `arn:aws:iam::${PARTNER_ACCOUNT}:role/PartnerAdmin`;
const INTRUDER = `arn:aws:iam::${THIRD_ACCOUNT}:role/intruder`;
const BUCKET_ADMIN = ADMIN;

const CROSS_KEYS = ['partner/a.txt', 'partner/', 'other/a.txt', 'root.txt', 'partner2/x'];
const CROSS_PREFIXES = [undefined, 'partner/', 'partner/sub/', 'partner', 'other/'];

type CrossWho = 'analyst' | 'partnerAdmin' | 'intruder' | 'bucketAdmin';
type CrossPath = 'partner' | 'third' | 'bucket';

interface CrossCell extends Target {
  readonly who: CrossWho;
  readonly path: CrossPath;
}

/**
 * The bucket (account 123456789012) delegates to its own account's and to account 222222222222's
 * access points (AccessPointDelegation.accounts). The partner's access point grants its analyst role
 * read on partner/ (docs/aws-rules.md section 7: the bucket policy decides bucket access; section 2: each
 * leg by normal IAM logic):
 *  - the analyst reads (gets and lists) partner/ through the partner's access point; nothing else, and
 *    nothing through any other path;
 *  - an admin of the partner account with s3:* passes the partner's access point (its policy has no
 *    Deny, section 2), and the bucket trusts that account's access points with READ only (the
 *    default of AccessPointDelegation.accounts): it may get and list any key through it, nothing
 *    else (no put, no delete, no version deletion, no retention);
 *  - a third account's access point is not delegated: whatever its own policy grants, the bucket leg
 *    refuses it;
 *  - the bucket account's admin uses the bucket directly (identity policy, same account), but not the
 *    partner's access points, whose policy does not name it (cross-account, section 2).
 */
function crossExpectation(c: CrossCell): Expectation {
  switch (c.path) {
    case 'partner':
      if (c.who === 'analyst') return allowIf(within(READ, 'partner/', c));
      return allowIf(c.who === 'partnerAdmin' && (c.key !== undefined ? READ.object.includes(c.action) : READ.list.includes(c.action)));
    case 'third':
      if (c.who === 'intruder' && within(READ, 'partner/', c)) return { allowed: false, decidingLeg: 'bucket' };
      return DENY;
    case 'bucket':
      return allowIf(c.who === 'bucketAdmin');
  }
}

const CROSS_WHO: readonly CrossWho[] = ['analyst', 'partnerAdmin', 'intruder', 'bucketAdmin'];

function crossCells(actions: AccessPointActions): CrossCell[] {
  const cells: CrossCell[] = [];
  for (const who of CROSS_WHO) {
    for (const path of ['partner', 'third', 'bucket'] as const) {
      for (const t of targets(actions, CROSS_KEYS, CROSS_PREFIXES, path === 'bucket')) cells.push({ ...t, who, path });
    }
  }
  return cells;
}

function crossRequest(c: CrossCell): AccessRequest {
  const principals: Record<CrossWho, string> = { analyst: ANALYST, partnerAdmin: PARTNER_ADMIN, intruder: INTRUDER, bucketAdmin: BUCKET_ADMIN };
  const paths = { partner: { accessPoint: PARTNER_AP }, third: { accessPoint: THIRD_AP }, bucket: 'bucket' as const };
  return { principal: principals[c.who], action: c.action, key: c.key, listPrefix: c.prefix, path: paths[c.path], network: 'internet' };
}

/** A stack of `account` with an access point to the shared bucket of ACCOUNT, granting `roleName` read on partner/. */
function accessPointAccountStack(account: string, accessPointName: string, roleName: string): Stack {
  const stack = new Stack(new App(), `AccessPoints${account}`, { env: { account, region: REGION } });
  const bucket = s3.Bucket.fromBucketAttributes(stack, 'SharedBucket', { bucketName: SCENARIO_BUCKET, account: ACCOUNT, region: REGION });
  const accessPoint = new AccessPoint(stack, 'AccessPoint', { bucket, bucketAccountId: ACCOUNT, accessPointName });
  const role = new iam.Role(stack, 'Role', { roleName, assumedBy: new iam.AccountRootPrincipal() });
  accessPoint.grantRead(role, 'partner/');
  return stack;
}

function crossAccountWorld(): World {
  const bucketStack = new Stack(new App(), 'BucketAccount', { env: ENV });
  new SharedBucket(bucketStack, 'Shared', { bucketName: SCENARIO_BUCKET, delegation: AccessPointDelegation.accounts([PARTNER_ACCOUNT]) });
  const world = (stack: Stack, account: string, externalPrincipals: ExternalPrincipal[] = []) =>
    buildWorld(Template.fromStack(stack).toJSON(), { account, region: REGION, externalPrincipals });
  return mergeWorlds(
    world(bucketStack, ACCOUNT, [{ arn: BUCKET_ADMIN, policies: { AdminS3: S3_STAR } }]),
    world(accessPointAccountStack(PARTNER_ACCOUNT, PARTNER_AP, 'analyst'), PARTNER_ACCOUNT, [{ arn: PARTNER_ADMIN, policies: { PartnerS3: S3_STAR } }]),
    world(accessPointAccountStack(THIRD_ACCOUNT, THIRD_AP, 'intruder'), THIRD_ACCOUNT),
  );
}

// ---------------------------------------------------------------------------------------------------

/** Per test: synthesis plus thousands of simulations (the whole file stays well under a minute). */
const MATRIX_TIMEOUT = 60_000;

describe('access matrix', () => {
  let actions: AccessPointActions;
  beforeAll(async () => {
    actions = await accessPointActions();
  });

  test('the actions are the data plane of access points: object-level and bucket-level, nothing that manages', () => {
    expect(actions.object).toEqual(expect.arrayContaining([
      's3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:AbortMultipartUpload',
      's3:ListMultipartUploadParts', 's3:RestoreObject', 's3:PutObjectAcl', 's3:PutObjectRetention', 's3:GetObjectAttributes',
    ]));
    expect(actions.bucket).toEqual(['s3:GetBucketAcl', 's3:GetBucketCORS', 's3:GetBucketLocation', 's3:GetBucketNotification', 's3:GetBucketPolicy', 's3:ListBucket', 's3:ListBucketVersions']);
    expect(actions.bucketOnly).toEqual(['s3:ListBucketMultipartUploads']);
    for (const excluded of ['s3:PutBucketPolicy', 's3:CreateAccessPoint', 's3:PutAccessPointPolicy', 's3:GetAccessPoint', 's3:ReplicateObject', 's3:ListAllMyBuckets', 's3:TagResource', 's3:BypassGovernanceRetention']) {
      expect(actions.excluded.has(excluded)).toBe(true);
    }
    // the cell counts below depend on these sizes: a new S3 action shows up here first
    expect([actions.object.length, actions.bucket.length, actions.bucketOnly.length]).toEqual([33, 7, 1]);
  });

  describe('the scenario (examples/scenario.ts)', () => {
    test('Bob, the reader, an admin, an identity without S3 rights and another account: each cell as documented', async () => {
      const w = scenarioWorld(scenarioStack());
      await expectMatrix('scenario', w.world, scenarioMatrix(w, { denyDirectAccess: false, exempt: [] }, actions), 8680);
      expect(scenarioCellCount(actions)).toBe(8680);
    }, MATRIX_TIMEOUT);
  });

  describe('the scenario with denyDirectAccess (exclusive access points)', () => {
    test('the scenario stand-in used for directAccessPrincipals matches examples/scenario.ts', () => {
      const real = scenarioWorld(scenarioStack({ denyDirectAccess: true }));
      const standIn = scenarioWorld(scenarioLikeStack({ denyDirectAccess: true }));
      expect(accessRelevant(standIn)).toEqual(accessRelevant(real));
    }, MATRIX_TIMEOUT);

    test('the admin reaches no data at all', async () => {
      const w = scenarioWorld(scenarioStack({ denyDirectAccess: true }));
      await expectMatrix('denyDirectAccess', w.world, scenarioMatrix(w, { denyDirectAccess: true, exempt: [] }, actions), 8680);
    }, MATRIX_TIMEOUT);

    test('an admin in directAccessPrincipals reaches the bucket directly, but still not through an exclusive access point', async () => {
      const w = scenarioWorld(scenarioLikeStack({ denyDirectAccess: true, directAccessPrincipals: [new iam.ArnPrincipal(ADMIN)] }));
      await expectMatrix('denyDirectAccess, admin exempt', w.world, scenarioMatrix(w, { denyDirectAccess: true, exempt: ['admin'] }, actions), 8680);
    }, MATRIX_TIMEOUT);
  });

  describe('twenty tenants and a PER_USER_FOLDER group', () => {
    const tenantWorld = (stack: Stack) => buildWorld(Template.fromStack(stack).toJSON(), {
      account: ACCOUNT,
      region: REGION,
      // a VPC whose S3 endpoint has the default (full access) policy
      externalEndpoints: [{ id: TENANT_VPC.endpoint, vpcId: TENANT_VPC.vpc }],
    });
    const matrix = (cells: TenantCell[]) => cells.map(c => ({ request: tenantRequest(c), expected: tenantExpectation(c) }));

    test('no tenant reaches another tenant\'s folder by any path, network or action', async () => {
      const world = tenantWorld(tenantStack({ group: false }));
      // 20 tenants x 2 networks x (own access point 12 + neighbour's 9 + 18 others x 13 + bucket 9)
      await expectMatrix('tenants', world, matrix(tenantCells(TENANTS, [...TENANTS, 'bucket'])), 10560);
    }, MATRIX_TIMEOUT);

    test('each group member reaches only its own folder, and no tenant the members\' folders', async () => {
      const world = tenantWorld(tenantStack({ group: true }));
      const cells = [...tenantCells(MEMBERS, [...TENANTS, 'members', 'bucket']), ...tenantCells(TENANTS, ['members'])];
      // members: 2 x 2 networks x (own 12 + 20 tenants x 13 + bucket 9); tenants at the members' access point: 20 x 2 x 17
      await expectMatrix('members', world, matrix(cells), 1804);
    }, MATRIX_TIMEOUT);
  });

  describe('an IAM user outside the PER_USER_FOLDER group', () => {
    test("with s3:* reaches no member's folder through the group's access point, only a folder of its own name", async () => {
      // A group's members cannot be named in a policy, so the principal deny spares every IAM user
      // of the account; the folder confinement keeps such a user out of the members' folders.
      const outsider = `arn:aws:iam::${ACCOUNT}:user/outsider`;
      const world = buildWorld(Template.fromStack(tenantStack({ group: true })).toJSON(), {
        account: ACCOUNT, region: REGION, externalPrincipals: [{ arn: outsider, policies: { S3: S3_STAR } }],
      });
      const cells: ExpectedCell[] = [];
      for (const folder of [...MEMBERS.map(folderOf), 'outsider/', '']) {
        for (const action of [...TENANT_OBJECT_ACTIONS, 's3:ListBucket']) {
          const target = action === 's3:ListBucket' ? { listPrefix: folder } : { key: `${folder}a.txt` };
          cells.push({
            request: { principal: outsider, action, path: { accessPoint: 'members' }, network: 'internet', ...target },
            expected: allowIf(folder === 'outsider/'),
          });
        }
      }
      await expectMatrix('outsider', world, cells, 16);
    }, MATRIX_TIMEOUT);
  });

  describe('a cross-account access point', () => {
    test('the partner reads its folder through its access point; an undelegated account is refused by the bucket', async () => {
      const world = crossAccountWorld();
      const cells = crossCells(actions).map(c => ({ request: crossRequest(c), expected: crossExpectation(c) }));
      // 4 principals x 3 paths x (object actions x 5 keys + 2 listings x 5 prefixes + other bucket-level actions), + bucket-only actions on the bucket
      await expectMatrix('cross-account', world, cells, 2164);
      // the bucket leg of the analyst's read is decided by the delegation to the partner's account
      const read = await evaluate(world, crossRequest({ who: 'analyst', path: 'partner', action: 's3:GetObject', key: 'partner/a.txt' }));
      expect(read.legs.map(l => [l.leg, l.resourceAccount, l.result])).toEqual([['access-point', PARTNER_ACCOUNT, 'Allowed'], ['bucket', ACCOUNT, 'Allowed']]);
      expect(read.legs[1].sids).toContain('DelegateToPartnerAccessPoints');
    }, MATRIX_TIMEOUT);
  });
});
