/**
 * Attacker matrices: principals and resources that are NOT in the template, evaluated with the IAM
 * access model (test/access-model) against the synthesized policies, and compared cell by cell
 * with expectations written here from AWS's rules and the user's intent (docs/security-model.md).
 *
 * The attacker model:
 *  - a same-account admin with `s3:*` who has created access points of its own, without a policy:
 *    Internet origin, VPC origin (in a VPC of its own, and in the application's VPC), names inside
 *    and outside a delegation pattern, and a Multi-Region Access Point (MRAP) over the bucket;
 *  - a partner-account admin with `s3:*` behind the partner's own access points, and a partner
 *    access point whose policy lets the bucket account's admin through;
 *  - an IAM user outside a group whose access point names the group;
 *  - whoever runs code as the reader function's role (`lambda:UpdateFunctionCode` on the reader,
 *    or `iam:PassRole` of its role to a function of their own): a session of that role;
 *  - the S3 console's request shape (`s3:prefix` with `s3:delimiter` `/`);
 *  - CopyObject / UploadPartCopy across folders: S3 authorizes a read (`s3:GetObject`) of the
 *    source key and a write (`s3:PutObject`) of the destination key, each through its own path;
 *    both must be allowed (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html,
 *    https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html).
 *
 * What iam-simulate cannot express, and how it is modelled (see test/access-model/evaluate.ts):
 *  - an MRAP ARN (`arn:aws:s3::ACCOUNT:accesspoint/ALIAS.mrap`, no Region) has no resource type in
 *    iam-simulate: the MRAP leg is simulated on the same ARN with the Region filled in. ASSUMED from
 *    https://docs.aws.amazon.com/AmazonS3/latest/userguide/MultiRegionAccessPointPermissions.html
 *    (whose example bucket policy delegates with `s3:DataAccessPointArn` = the MRAP ARN): the
 *    bucket policy sees the MRAP ARN in `s3:DataAccessPointArn` and its owner in
 *    `s3:DataAccessPointAccount`; it has no `s3:AccessPointNetworkOrigin`; a same-account identity
 *    policy suffices on both legs ("For same account requests, only the underlying IAM policy ...
 *    is required"). MRAP requests are modelled from the internet only.
 *  - running code as another principal (UpdateFunctionCode, PassRole) is not an S3 request: it is
 *    modelled as a request by a session of the reader's role.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ScenarioStack } from '../examples/scenario';
import { Access, AccessPoint, AccessPointDelegation, SharedBucket } from '../src';
import { AccessRequest, buildWorld, evaluate, evaluateCopy, ExternalAccessPoint, mergeWorlds, PolicyDocument, World } from './access-model';
import { AccessPointActions, accessPointActions, checkMatrix, describeFailures, ExpectedCell, Expectation } from './access-model/matrix';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const ENV = { account: ACCOUNT, region: REGION };
const S3_STAR: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/Admin`;
const BUCKET = 'access-point-test';
const MRAP = 'mfzwi23gnjvgw.mrap';
/** A VPC of the admin's own, whose S3 endpoint has the default (full access) policy. */
const ADMIN_VPC = { vpc: 'vpc-admin', endpoint: 'vpce-admin' };
/** Listings whose requests carry a prefix. */
const LISTINGS = ['s3:ListBucket', 's3:ListBucketVersions'];

const ALLOW: Expectation = { allowed: true };
const DENY: Expectation = { allowed: false };
const allowIf = (allowed: boolean): Expectation => (allowed ? ALLOW : DENY);

/** An access level in plain terms (README, "Access levels"): object actions, and listing actions. */
interface Level {
  readonly object: readonly string[];
  readonly list: readonly string[];
}
const GET = ['s3:GetObject', 's3:GetObjectVersion'];
const PUT = ['s3:PutObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'];
/** Whoever may read a version must find its ID: every level that reads lists versions too (docs/access-levels.md). */
const LIST = ['s3:ListBucket', 's3:ListBucketVersions'];
const READ: Level = { object: GET, list: LIST };
const READ_WRITE_DELETE: Level = { object: [...GET, ...PUT, 's3:DeleteObject'], list: LIST };

/** An object action on a key, or a listing with an optional prefix. */
interface Target {
  readonly action: string;
  readonly key?: string;
  readonly prefix?: string;
}

/** The level covers the request on any key. */
const inLevel = (level: Level, t: Target) => (t.key !== undefined ? level.object.includes(t.action) : level.list.includes(t.action));
/** The level covers the request in `folder` (keys under it, listings of prefixes inside it). */
const within = (level: Level, folder: string, t: Target) => inLevel(level, t) && (t.key ?? t.prefix ?? '').startsWith(folder) && (t.key !== undefined || t.prefix !== undefined);

/** Every object action access points support x keys, and the listings x prefixes. */
function targets(actions: AccessPointActions, keys: readonly string[], prefixes: ReadonlyArray<string | undefined>): Target[] {
  return [
    ...actions.object.flatMap(action => keys.map(key => ({ action, key }))),
    ...LISTINGS.flatMap(action => prefixes.map(prefix => ({ action, prefix }))),
  ];
}

async function expectMatrix(name: string, world: World, cells: ExpectedCell[], expectedCount: number): Promise<void> {
  const report = await checkMatrix(world, cells);
  expect(report.evaluated).toBe(expectedCount);
  expect(report.allowed).toBeGreaterThan(0);
  expect(describeFailures(name, report)).toBe(`${name}: every cell as expected`);
}

const request = (principal: string, path: AccessRequest['path'], network: AccessRequest['network'], t: Target): AccessRequest =>
  ({ principal, action: t.action, key: t.key, listPrefix: t.prefix, path, network, bucket: path === 'bucket' ? BUCKET : undefined });

// ---- the admin's own paths ------------------------------------------------------------------------

/** A path the admin can take to the bucket, and the networks it is tried from. */
interface AdminPath {
  readonly name: string;
  readonly kind: 'bucket' | 'access point' | 'vpc access point' | 'multi-region';
  /** VPC of a VPC-origin access point. */
  readonly vpc?: 'app' | 'admin';
  readonly networks: ReadonlyArray<'internet' | 'app' | 'admin'>;
}

/** The access points the admin creates, as the model injects them. */
function adminAccessPoints(paths: readonly AdminPath[], appVpcId: string): ExternalAccessPoint[] {
  return paths.filter(p => p.kind !== 'bucket').map(p => ({
    name: p.name,
    bucket: BUCKET,
    multiRegion: p.kind === 'multi-region',
    vpcId: p.vpc === 'app' ? appVpcId : p.vpc === 'admin' ? ADMIN_VPC.vpc : undefined,
  }));
}

interface AdminModel {
  readonly denyDirectAccess: boolean;
  /** Which of the admin's access points the delegation trusts. */
  readonly trusts: (path: AdminPath) => boolean;
}

/**
 * A same-account admin with s3:* (docs/security-model.md):
 *  - a VPC-origin access point takes requests only through an endpoint of its VPC
 *    (docs/aws-rules.md section 4);
 *  - the application VPC's endpoint is an allow-list: only reads of app/ on the library's VPC
 *    access point or on the bucket get through, whoever asks; the admin's VPC has a full-access one;
 *  - its own access points have no policy, and in the same account its identity policy suffices on
 *    both legs (docs/aws-rules.md section 2): only a Deny stops it;
 *  - the bucket policy denies it only with denyDirectAccess: on the bucket path, and through any
 *    access point the delegation does not trust.
 */
function adminExpectation(model: AdminModel, path: AdminPath, network: 'internet' | 'app' | 'admin', t: Target): Expectation {
  if (path.kind === 'vpc access point' && network !== path.vpc) return { allowed: false, decidingLeg: 'network-origin' };
  if (network === 'app' && !(path.kind === 'bucket' && within(READ, 'app/', t))) return DENY;
  if (!model.denyDirectAccess) return ALLOW;
  return allowIf(path.kind !== 'bucket' && model.trusts(path));
}

function adminCells(model: AdminModel, paths: readonly AdminPath[], nets: Record<'internet' | 'app' | 'admin', AccessRequest['network']>, ts: Target[]): ExpectedCell[] {
  return paths.flatMap(path => path.networks.flatMap(network => ts.map(t => ({
    request: request(ADMIN, path.kind === 'bucket' ? 'bucket' : { accessPoint: path.name }, nets[network], t),
    expected: adminExpectation(model, path, network, t),
  }))));
}

// ---- the scenario, attacked -------------------------------------------------------------------------

const SCENARIO_PATHS: readonly AdminPath[] = [
  { name: 'bucket', kind: 'bucket', networks: ['internet', 'app', 'admin'] },
  { name: 'evil-ap', kind: 'access point', networks: ['internet', 'app'] },
  { name: 'evil-vpc-ap', kind: 'vpc access point', vpc: 'admin', networks: ['internet', 'admin'] },
  { name: 'evil-app-vpc-ap', kind: 'vpc access point', vpc: 'app', networks: ['internet', 'app'] },
  { name: MRAP, kind: 'multi-region', networks: ['internet'] },
];

function scenarioWorld(props: { denyDirectAccess?: boolean; strict?: boolean } = {}) {
  const stack = new ScenarioStack(new App(), 'Scenario', { env: ENV, bucketName: BUCKET, ...props });
  const template = Template.fromStack(stack).toJSON();
  const appVpcId = `vpc-${stack.getLogicalId(stack.vpc.node.defaultChild as ec2.CfnVPC)}`;
  const outsider = `arn:aws:iam::${ACCOUNT}:user/outsider`;
  const world = buildWorld(template, {
    account: ACCOUNT,
    region: REGION,
    externalPrincipals: [{ arn: ADMIN, policies: { AdminS3: S3_STAR } }, { arn: outsider, policies: { OutsiderS3: S3_STAR } }],
    externalEndpoints: [{ id: ADMIN_VPC.endpoint, vpcId: ADMIN_VPC.vpc }],
    externalAccessPoints: adminAccessPoints(SCENARIO_PATHS, appVpcId),
  });
  const appEndpoint = [...world.endpoints.values()].find(e => e.vpcId === appVpcId)!;
  const readerRole = stack.getLogicalId(stack.app.readerFunction!.role!.node.defaultChild as iam.CfnRole);
  return {
    stack,
    world,
    outsider,
    bob: `arn:aws:iam::${ACCOUNT}:user/Bob${props.strict ? '-strict' : ''}`,
    /** A session of the reader's role that is not the reader: code run by UpdateFunctionCode or PassRole. */
    readerImpostor: `arn:aws:sts::${ACCOUNT}:assumed-role/${readerRole}/someone-elses-code`,
    nets: { internet: 'internet' as const, app: { vpc: appVpcId, endpoint: appEndpoint.id }, admin: ADMIN_VPC },
  };
}

/** 10 path-network pairs x (33 object actions x 2 keys + 2 listings x 3 prefixes). */
const SCENARIO_ADMIN_CELLS = 720;

// ---- a name pattern, attacked -------------------------------------------------------------------------

const TENANT_BUCKET = BUCKET;
const NAMED_PATHS: readonly AdminPath[] = [
  { name: 'bucket', kind: 'bucket', networks: ['internet', 'admin'] },
  { name: 'evil-ap', kind: 'access point', networks: ['internet'] },
  { name: 'tenant-evil', kind: 'access point', networks: ['internet'] },
  { name: 'evil-vpc-ap', kind: 'vpc access point', vpc: 'admin', networks: ['admin'] },
  { name: 'tenant-evil-vpc', kind: 'vpc access point', vpc: 'admin', networks: ['admin'] },
  { name: MRAP, kind: 'multi-region', networks: ['internet'] },
];
/** AccessPointDelegation.accessPoints('tenant-*'): access points of the account named tenant-*. */
const trustsTenantPattern = (path: AdminPath) => path.kind !== 'multi-region' && /^tenant-/.test(path.name);

function namedWorld(denyDirectAccess: boolean) {
  const stack = new Stack(new App(), 'Named', { env: ENV });
  const shared = new SharedBucket(stack, 'Shared', { bucketName: TENANT_BUCKET, delegation: AccessPointDelegation.accessPoints('tenant-*'), denyDirectAccess });
  const role = new iam.Role(stack, 'Tenant00', { roleName: 'tenant-00', assumedBy: new iam.AccountRootPrincipal() });
  shared.addUserAccessPoint('Tenant00AccessPoint', { identity: role, prefix: 'tenant-00/', accessPointName: 'tenant-00' });
  const world = buildWorld(Template.fromStack(stack).toJSON(), {
    account: ACCOUNT,
    region: REGION,
    externalPrincipals: [{ arn: ADMIN, policies: { AdminS3: S3_STAR } }],
    externalEndpoints: [{ id: ADMIN_VPC.endpoint, vpcId: ADMIN_VPC.vpc }],
    externalAccessPoints: adminAccessPoints(NAMED_PATHS, 'unused'),
  });
  return { world, tenant: `arn:aws:iam::${ACCOUNT}:role/tenant-00`, nets: { internet: 'internet' as const, app: 'internet' as const, admin: ADMIN_VPC } };
}

/** 7 path-network pairs x (33 object actions x 2 keys + 2 listings x 3 prefixes). */
const NAMED_ADMIN_CELLS = 504;

// ---- another account, attacked ------------------------------------------------------------------------

const PARTNER = '222222222222';
const THIRD = '333333333333';
const PARTNER_ADMIN = `arn:aws:iam::${PARTNER}:role/PartnerAdmin`;
const ANALYST = `arn:aws:iam::${PARTNER}:role/analyst`;
const INTRUDER = `arn:aws:iam::${THIRD}:role/intruder`;

type PartnerWho = 'partnerAdmin' | 'analyst' | 'bucketAdmin' | 'intruder';
/** partner-access-point: written with this library, grants the analyst read on partner/. The others are the partner's own. */
type PartnerPath = 'partner-access-point' | 'partner-admin-ap' | 'partner-open-ap' | 'third-ap' | 'bucket';
const PARTNER_CELLS: ReadonlyArray<[PartnerWho, PartnerPath]> = [
  ['partnerAdmin', 'partner-access-point'], ['partnerAdmin', 'partner-admin-ap'], ['partnerAdmin', 'bucket'],
  ['analyst', 'partner-access-point'], ['analyst', 'partner-admin-ap'],
  ['bucketAdmin', 'partner-open-ap'], ['bucketAdmin', 'partner-access-point'], ['bucketAdmin', 'bucket'],
  ['intruder', 'third-ap'], ['intruder', 'bucket'],
];

function partnerWorld(delegation: AccessPointDelegation, denyDirectAccess: boolean): World {
  const bucketStack = new Stack(new App(), 'BucketAccount', { env: ENV });
  new SharedBucket(bucketStack, 'Shared', { bucketName: BUCKET, delegation, denyDirectAccess });
  const partnerStack = new Stack(new App(), 'Partner', { env: { account: PARTNER, region: REGION } });
  const bucket = s3.Bucket.fromBucketAttributes(partnerStack, 'Bucket', { bucketName: BUCKET, account: ACCOUNT, region: REGION });
  const ap = new AccessPoint(partnerStack, 'AccessPoint', { bucket, bucketAccountId: ACCOUNT, accessPointName: 'partner-access-point' });
  ap.grantRead(new iam.Role(partnerStack, 'Analyst', { roleName: 'analyst', assumedBy: new iam.AccountRootPrincipal() }), 'partner/');
  const openArn = `arn:aws:s3:${REGION}:${PARTNER}:accesspoint/partner-open-ap`;
  return mergeWorlds(
    buildWorld(Template.fromStack(bucketStack).toJSON(), {
      account: ACCOUNT, region: REGION, externalPrincipals: [{ arn: ADMIN, policies: { AdminS3: S3_STAR } }],
    }),
    buildWorld(Template.fromStack(partnerStack).toJSON(), {
      account: PARTNER,
      region: REGION,
      externalPrincipals: [{ arn: PARTNER_ADMIN, policies: { PartnerS3: S3_STAR } }],
      externalAccessPoints: [
        { name: 'partner-admin-ap', bucket: BUCKET, bucketAccount: ACCOUNT },
        {
          name: 'partner-open-ap',
          bucket: BUCKET,
          bucketAccount: ACCOUNT,
          policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: ADMIN }, Action: 's3:*', Resource: [openArn, `${openArn}/object/*`] }] },
        },
      ],
    }),
    buildWorld({ Resources: {} }, {
      account: THIRD,
      region: REGION,
      externalPrincipals: [{ arn: INTRUDER, policies: { IntruderS3: S3_STAR } }],
      externalAccessPoints: [{ name: 'third-ap', bucket: BUCKET, bucketAccount: ACCOUNT }],
    }),
  );
}

/**
 * The bucket (123456789012) delegates to its own access points and to account 222222222222's with
 * `level` (AccessPointDelegation.accounts):
 *  - whoever the partner's access points let through (its admin with s3:*, through the library's
 *    access point or one of its own without a policy) gets `level` on any key, never more: not
 *    version deletion, retention or legal holds, whatever the partner's policies say;
 *  - the analyst reads partner/ through the access point that grants it, within `level`;
 *  - the bucket account's admin, let through by a partner access point's own policy, is held to
 *    `level` too (a Deny: in its own account its identity policy would otherwise suffice); a
 *    partner access point that does not name it refuses it (cross account, both must allow);
 *  - a third account's access point is not delegated; with denyDirectAccess, the bucket account's
 *    admin reaches no data directly.
 */
function partnerExpectation(level: Level, denyDirectAccess: boolean, who: PartnerWho, path: PartnerPath, t: Target): Expectation {
  switch (who) {
    case 'partnerAdmin': return allowIf(path !== 'bucket' && inLevel(level, t));
    case 'analyst': return allowIf(path === 'partner-access-point' && within(READ, 'partner/', t) && inLevel(level, t));
    case 'bucketAdmin':
      if (path === 'bucket') return allowIf(!denyDirectAccess);
      return allowIf(path === 'partner-open-ap' && inLevel(level, t));
    case 'intruder': return DENY;
  }
}

function partnerCells(actions: AccessPointActions, level: Level, denyDirectAccess: boolean): ExpectedCell[] {
  const principals: Record<PartnerWho, string> = { partnerAdmin: PARTNER_ADMIN, analyst: ANALYST, bucketAdmin: ADMIN, intruder: INTRUDER };
  const ts = targets(actions, ['partner/a.txt', 'other/a.txt'], [undefined, 'partner/', 'other/']);
  return PARTNER_CELLS.flatMap(([who, path]) => ts.map(t => ({
    request: request(principals[who], path === 'bucket' ? 'bucket' : { accessPoint: path }, 'internet', t),
    expected: partnerExpectation(level, denyDirectAccess, who, path, t),
  })));
}

/** 10 principal-path pairs x (33 object actions x 2 keys + 2 listings x 3 prefixes). */
const PARTNER_MATRIX_CELLS = 720;

// ---------------------------------------------------------------------------------------------------

const MATRIX_TIMEOUT = 60_000;

describe('attacker matrix', () => {
  let actions: AccessPointActions;
  beforeAll(async () => {
    actions = await accessPointActions();
  });

  test('the sizes the cell counts rely on', () => {
    expect([actions.object.length, SCENARIO_PATHS.flatMap(p => p.networks).length, NAMED_PATHS.flatMap(p => p.networks).length, PARTNER_CELLS.length])
      .toEqual([33, 10, 7, 10]);
    for (const never of ['s3:DeleteObjectVersion', 's3:PutObjectRetention', 's3:PutObjectLegalHold']) expect(actions.object).toContain(never);
  });

  describe("a same-account admin with s3:* and access points of its own (the scenario's account delegation)", () => {
    const ts = () => targets(actions, ['Bob/a.txt', 'app/a.txt'], [undefined, 'Bob/', 'app/']);
    const trustsAll = () => true;

    test('without denyDirectAccess it reaches every folder by the bucket, its own access points and an MRAP (closed only by organization guardrails)', async () => {
      const w = scenarioWorld();
      await expectMatrix('admin, defaults', w.world, adminCells({ denyDirectAccess: false, trusts: trustsAll }, SCENARIO_PATHS, w.nets, ts()), SCENARIO_ADMIN_CELLS);
    }, MATRIX_TIMEOUT);

    test('with denyDirectAccess the bucket path is closed, also from the VPC; its own access points and MRAP are still trusted by account delegation', async () => {
      const w = scenarioWorld({ denyDirectAccess: true });
      await expectMatrix('admin, denyDirectAccess', w.world, adminCells({ denyDirectAccess: true, trusts: trustsAll }, SCENARIO_PATHS, w.nets, ts()), SCENARIO_ADMIN_CELLS);
    }, MATRIX_TIMEOUT);

    test("through the library's exclusive access points it reaches nothing, from any network", async () => {
      const w = scenarioWorld();
      const cells: ExpectedCell[] = [];
      for (const [accessPoint, network] of [['bob-access-point-test', w.nets.internet], ['app-vpc-access-point-test', w.nets.app]] as const) {
        for (const t of ts()) cells.push({ request: request(ADMIN, { accessPoint }, network, t), expected: DENY });
      }
      await expectMatrix('admin at exclusive access points', w.world, [...cells, { request: request(w.bob, { accessPoint: 'bob-access-point-test' }, 'internet', { action: 's3:GetObject', key: 'Bob/a.txt' }), expected: ALLOW }], 145);
    }, MATRIX_TIMEOUT);
  });

  describe("a same-account admin against AccessPointDelegation.accessPoints('tenant-*')", () => {
    const ts = () => targets(actions, ['tenant-00/a.txt', 'other/a.txt'], [undefined, 'tenant-00/', 'other/']);

    test('with denyDirectAccess: denied by the bucket, directly and through any access point or MRAP outside the pattern; inside the pattern it is trusted (restrict who may create tenant-* access points)', async () => {
      const { world, nets, tenant } = namedWorld(true);
      const cells = adminCells({ denyDirectAccess: true, trusts: trustsTenantPattern }, NAMED_PATHS, nets, ts());
      // the tenant itself is not caught by the deny: its own access point is inside the pattern
      cells.push(
        { request: request(tenant, { accessPoint: 'tenant-00' }, 'internet', { action: 's3:GetObject', key: 'tenant-00/a.txt' }), expected: ALLOW },
        { request: request(tenant, { accessPoint: 'tenant-00' }, 'internet', { action: 's3:PutObject', key: 'tenant-00/a.txt' }), expected: ALLOW },
        { request: request(tenant, { accessPoint: 'tenant-00' }, 'internet', { action: 's3:ListBucket', prefix: 'tenant-00/' }), expected: ALLOW },
      );
      await expectMatrix('named + denyDirectAccess', world, cells, NAMED_ADMIN_CELLS + 3);
      // the deciding statement is the bucket's Deny, for the very request
      const evil = await evaluate(world, request(ADMIN, { accessPoint: 'evil-ap' }, 'internet', { action: 's3:GetObject', key: 'tenant-00/a.txt' }));
      expect(evil).toMatchObject({ allowed: false, decision: 'denied: explicit', decidingLeg: 'bucket', decidingSids: ['DenyDirectAccess'] });
    }, MATRIX_TIMEOUT);

    test('without denyDirectAccess the pattern alone does not stop it: a same-account identity policy suffices', async () => {
      const { world, nets } = namedWorld(false);
      await expectMatrix('named only', world, adminCells({ denyDirectAccess: false, trusts: trustsTenantPattern }, NAMED_PATHS, nets, ts()), NAMED_ADMIN_CELLS);
    }, MATRIX_TIMEOUT);
  });

  describe("another account's access points (AccessPointDelegation.accounts)", () => {
    test('by default (READ) a partner admin with s3:* reads any key and does nothing else, through any of its access points', async () => {
      const world = partnerWorld(AccessPointDelegation.accounts([PARTNER]), false);
      await expectMatrix('partner, READ', world, partnerCells(actions, READ, false), PARTNER_MATRIX_CELLS);
    }, MATRIX_TIMEOUT);

    test('with READ_WRITE_DELETE and denyDirectAccess: never version deletion, retention or legal holds, for anyone the partner lets through', async () => {
      const world = partnerWorld(AccessPointDelegation.accounts([PARTNER], { access: Access.READ_WRITE_DELETE }), true);
      await expectMatrix('partner, READ_WRITE_DELETE', world, partnerCells(actions, READ_WRITE_DELETE, true), PARTNER_MATRIX_CELLS);
      // BypassGovernanceRetention is never a request of its own (so not a matrix action), but it is
      // checked on the object: the partner's access points never get it either
      const bypass = await evaluate(world, request(PARTNER_ADMIN, { accessPoint: 'partner-admin-ap' }, 'internet', { action: 's3:BypassGovernanceRetention', key: 'partner/a.txt' }));
      expect(bypass).toMatchObject({ allowed: false, decidingLeg: 'bucket', decision: 'denied: explicit', decidingSids: ['DenyPartnerAccessPointsBeyondAccess'] });
    }, MATRIX_TIMEOUT);
  });

  describe('an IAM user outside a group, and code run as the reader', () => {
    test("an IAM user with s3:* outside Bob's group passes the group's access point, confined to its folder; a role does not", async () => {
      const w = scenarioWorld({ strict: true });
      const cells: ExpectedCell[] = [];
      const folderTargets: Target[] = [
        ...['s3:GetObject', 's3:PutObject', 's3:DeleteObject'].flatMap(action => ['Bob/a.txt', 'app/a.txt', 'root.txt'].map(key => ({ action, key }))),
        ...['Bob/', 'app/', ''].map(prefix => ({ action: 's3:ListBucket', prefix })),
      ];
      for (const t of folderTargets) {
        // A group's members cannot be named in a policy: the deny spares every IAM user of the account
        cells.push({ request: request(w.outsider, { accessPoint: 'bob-access-point-test-strict' }, 'internet', t), expected: allowIf((t.key ?? t.prefix)!.startsWith('Bob/')) });
        cells.push({ request: request(ADMIN, { accessPoint: 'bob-access-point-test-strict' }, 'internet', t), expected: DENY });
      }
      await expectMatrix('outsider', w.world, cells, 24);
    }, MATRIX_TIMEOUT);

    test("whoever runs code as the reader's role reads app/ through the VPC access point: the exclusive deny spares the role, not the code", async () => {
      const w = scenarioWorld({ denyDirectAccess: true });
      const get = (principal: string) => request(principal, { accessPoint: 'app-vpc-access-point-test' }, w.nets.app, { action: 's3:GetObject', key: 'app/a.txt' });
      await expectMatrix('reader impostor', w.world, [
        { request: get(w.readerImpostor), expected: ALLOW },
        { request: get(ADMIN), expected: DENY },
        { request: request(ADMIN, 'bucket', w.nets.app, { action: 's3:GetObject', key: 'app/a.txt' }), expected: DENY },
      ], 3);
    }, MATRIX_TIMEOUT);
  });

  describe('what the bucket policy always does', () => {
    test('requests without TLS are denied on every path; bucket-policy management is never denied, even with denyDirectAccess', async () => {
      const w = scenarioWorld({ denyDirectAccess: true });
      const insecure = { 'aws:SecureTransport': 'false' };
      await expectMatrix('bucket policy', w.world, [
        { request: { ...request(w.bob, { accessPoint: 'bob-access-point-test' }, 'internet', { action: 's3:GetObject', key: 'Bob/a.txt' }), extraContext: insecure }, expected: DENY },
        { request: request(w.bob, { accessPoint: 'bob-access-point-test' }, 'internet', { action: 's3:GetObject', key: 'Bob/a.txt' }), expected: ALLOW },
        { request: { ...request(ADMIN, { accessPoint: 'evil-ap' }, 'internet', { action: 's3:GetObject', key: 'Bob/a.txt' }), extraContext: insecure }, expected: DENY },
        // management: the admin can repair (or rewrite) the bucket policy, which no bucket policy can stop
        { request: request(ADMIN, 'bucket', 'internet', { action: 's3:PutBucketPolicy' }), expected: ALLOW },
        { request: request(ADMIN, 'bucket', 'internet', { action: 's3:DeleteBucketPolicy' }), expected: ALLOW },
        { request: request(w.bob, 'bucket', 'internet', { action: 's3:PutBucketPolicy' }), expected: DENY },
      ], 6);
    }, MATRIX_TIMEOUT);
  });

  describe('the S3 console and copies', () => {
    test("the console's listing (prefix and delimiter /) shows Bob his folder only", async () => {
      const w = scenarioWorld();
      const cells = ['', 'Bob/', 'Bob/sub/', 'Bobby/', 'app/'].map(prefix => ({
        request: { ...request(w.bob, { accessPoint: 'bob-access-point-test' }, 'internet', { action: 's3:ListBucket', prefix }), listDelimiter: '/' },
        expected: allowIf(prefix.startsWith('Bob/')),
      }));
      await expectMatrix('console listing', w.world, cells, 5);
    }, MATRIX_TIMEOUT);

    test('a copy is allowed only when the source may be read AND the destination written, each on its own path', async () => {
      const w = scenarioWorld({ denyDirectAccess: true });
      const named = namedWorld(true);
      const bobAp = { accessPoint: 'bob-access-point-test' };
      const appAp = { accessPoint: 'app-vpc-access-point-test' };
      const cases: Array<[string, World, Parameters<typeof evaluateCopy>[1], boolean]> = [
        ['Bob copies within his folder', w.world, { principal: w.bob, network: 'internet', source: { path: bobAp, key: 'Bob/a.txt' }, destination: { path: bobAp, key: 'Bob/b.txt' } }, true],
        ['Bob copies another folder into his, through his access point', w.world, { principal: w.bob, network: 'internet', source: { path: bobAp, key: 'app/a.txt' }, destination: { path: bobAp, key: 'Bob/b.txt' } }, false],
        ['Bob copies another folder into his, naming the bucket as source', w.world, { principal: w.bob, network: 'internet', source: { path: 'bucket', key: 'app/a.txt', bucket: BUCKET }, destination: { path: bobAp, key: 'Bob/b.txt' } }, false],
        ['Bob copies another folder into his, through the VPC access point', w.world, { principal: w.bob, network: 'internet', source: { path: appAp, key: 'app/a.txt' }, destination: { path: bobAp, key: 'Bob/b.txt' } }, false],
        ['Bob copies his folder into another', w.world, { principal: w.bob, network: 'internet', source: { path: bobAp, key: 'Bob/a.txt' }, destination: { path: bobAp, key: 'app/b.txt' } }, false],
        ['the reader copies within app/ (it may only read)', w.world, { principal: w.readerImpostor, network: w.nets.app, source: { path: appAp, key: 'app/a.txt' }, destination: { path: appAp, key: 'app/b.txt' } }, false],
        ["the admin copies a tenant's folder through its own access point outside the pattern", named.world, { principal: ADMIN, network: 'internet', source: { path: { accessPoint: 'evil-ap' }, key: 'tenant-00/a.txt' }, destination: { path: { accessPoint: 'evil-ap' }, key: 'other/a.txt' } }, false],
        ["the tenant copies into its folder through the admin's MRAP", named.world, { principal: named.tenant, network: 'internet', source: { path: { accessPoint: 'tenant-00' }, key: 'tenant-00/a.txt' }, destination: { path: { accessPoint: MRAP }, key: 'tenant-00/b.txt' } }, false],
      ];
      const wrong: string[] = [];
      for (const [name, world, copy, expected] of cases) {
        const d = await evaluateCopy(world, copy);
        if (d.allowed !== expected) wrong.push(`${name}: expected ${expected ? 'allowed' : 'denied'} (read ${d.read.decision}, write ${d.write.decision})`);
      }
      expect(wrong).toEqual([]);
      expect(cases.filter(c => c[3])).toHaveLength(1);
    }, MATRIX_TIMEOUT);
  });
});
