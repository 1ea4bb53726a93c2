/**
 * AccessPointGuardrails, proven with the IAM engine: the SCP and RCP written to the cloud assembly
 * are evaluated with the access model (test/access-model, `organizationPolicies`) against an
 * attacker that is not in the template: a same-account admin with `s3:*`, `iam:*`, `sts:*` and
 * `lambda:*` who creates access points of their own, a Multi-Region Access Point, rewrites access
 * point and bucket policies, re-tags roles, and changes what runs as a VPC access point's reader. Expectations are written from AWS's rules and the design's intent
 * (docs/guardrails.md), never read from the policies. Each attack is also evaluated without the
 * guardrails, to show the attack is real and that the guardrails are what stops it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { getDenialReasons, runSimulation } from '@cloud-copilot/iam-simulate';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Access, AccessPointDelegation, AccessPointGuardrails, SharedBucket } from '../src';
import { AccessPointInfo, AccessRequest, buildWorld, evaluate, FULL_AWS_ACCESS_SCP, OrganizationPolicies, PolicyDocument, World } from './access-model';

const ACCOUNT = '123456789012';
const OTHER_ORG_ACCOUNT = '222222222222';
const PARTNER = '999999999999';
const REGION = 'us-east-1';
const BUCKET = 'guarded-shared-data';

const ADMIN = `arn:aws:iam::${ACCOUNT}:role/Admin`;
const DEPLOY = `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${REGION}`;
const REPLICATION = `arn:aws:iam::${ACCOUNT}:role/Replication`;
const OTHER_ADMIN = `arn:aws:iam::${OTHER_ORG_ACCOUNT}:role/Admin`;
const PARTNER_ADMIN = `arn:aws:iam::${PARTNER}:role/Admin`;
const BOB = `arn:aws:iam::${ACCOUNT}:role/Bob`;

const allow = (actions: string[]): PolicyDocument => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] });
/** The attacker's identity policy: everything an account admin has for this attack. */
const ADMIN_POLICY = allow(['s3:*', 'iam:*', 'sts:*', 'lambda:*']);

/** A VPC access point's reader (in the bucket's account), imported by ARN as a management-account stack would. */
const READER_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:app-reader`;
const READER_ROLE = `arn:aws:iam::${ACCOUNT}:role/app-reader-role`;

const apArn = (name: string, account = ACCOUNT) => `arn:aws:s3:${REGION}:${account}:accesspoint/${name}`;
const MRAP_ARN = `arn:aws:s3::${ACCOUNT}:accesspoint/mfzwi23gnjvgw.mrap`;
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
const RCP_SID = 'DenyDataOutsideTrustedAccessPoints';

interface Variant {
  readonly world: World;
  readonly org: OrganizationPolicies;
  readonly scp: PolicyDocument;
  readonly rcp: PolicyDocument;
}

/**
 * The app: a SharedBucket that delegates to `tenant-*` (or to the whole account), Bob's exclusive
 * access point `tenant-bob` on his folder, and the guardrails; no `denyDirectAccess`, so what the
 * bucket policy does not close is visible. The documents are read from the synthesized assembly.
 */
function variant(pattern: string | undefined): Variant {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'guardrails-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'Guarded', { env: { account: ACCOUNT, region: REGION } });
  const shared = new SharedBucket(stack, 'Shared', {
    bucketName: BUCKET,
    delegation: pattern === undefined ? AccessPointDelegation.account() : AccessPointDelegation.accessPoints(pattern),
  });
  const bob = new iam.Role(stack, 'Bob', { roleName: 'Bob', assumedBy: new iam.AccountRootPrincipal() });
  shared.addUserAccessPoint('BobAccessPoint', { identity: bob, prefix: 'bob/', access: Access.READ, accessPointName: 'tenant-bob' });
  const guardrails = new AccessPointGuardrails(stack, 'Guardrails', {
    bucket: shared.bucket,
    accessPointNamePattern: pattern,
    administrators: [new iam.ArnPrincipal(DEPLOY)],
    directAccessPrincipals: [new iam.ArnPrincipal(REPLICATION)],
    tenantTag: 'tenant',
    protectedFunctions: [lambda.Function.fromFunctionAttributes(stack, 'Reader', {
      functionArn: READER_ARN,
      role: iam.Role.fromRoleArn(stack, 'ReaderRole', READER_ROLE),
    })],
  });
  const assembly = app.synth();
  const document = (kind: string) => JSON.parse(fs.readFileSync(path.join(assembly.directory, `${guardrails.assemblyFileName}.${kind}.json`), 'utf8'));
  const base = buildWorld(Template.fromStack(stack).toJSON(), {
    account: ACCOUNT,
    region: REGION,
    externalPrincipals: [
      { arn: ADMIN, policies: { admin: ADMIN_POLICY } },
      { arn: DEPLOY, policies: { deploy: allow(['*']) } },
      { arn: REPLICATION, policies: { replication: allow(['s3:*']) } },
      { arn: PARTNER_ADMIN, policies: { admin: ADMIN_POLICY } },
    ],
  });
  // The attacker's own access points, which no template contains: no policy, Internet origin.
  const attackerAccessPoint = (name: string, arn: string, account: string): [string, AccessPointInfo] =>
    [name, { name, arn, account, logicalId: `Attacker-${name}`, bucket: BUCKET, bucketAccount: ACCOUNT, networkOrigin: 'Internet' }];
  const world: World = {
    ...base,
    accessPoints: new Map([
      ...base.accessPoints,
      attackerAccessPoint('evil-ap', apArn('evil-ap'), ACCOUNT),
      attackerAccessPoint('tenant-evil', apArn('tenant-evil'), ACCOUNT),
      attackerAccessPoint('partner-ap', apArn('partner-ap', PARTNER), PARTNER),
    ]),
  };
  const scp = document('scp');
  const rcp = document('rcp');
  return { world, scp, rcp, org: { accounts: [ACCOUNT, OTHER_ORG_ACCOUNT], scps: [scp], rcps: [rcp] } };
}

const NAMED = variant('tenant-*');
const ACCOUNT_WIDE = variant(undefined);

// ---- data requests ------------------------------------------------------------------------------------

function read(principal: string, requestPath: AccessRequest['path'], action = 's3:GetObject', key = 'bob/report.csv'): AccessRequest {
  return { principal, action, key, path: requestPath, network: 'internet' };
}

interface DataCell {
  readonly name: string;
  readonly request: AccessRequest;
  /** Allowed without the guardrails (the attack, or the legitimate use, as the bucket policy alone decides). */
  readonly withoutGuardrails: boolean;
  /** Allowed with the SCP and RCP in force. */
  readonly withGuardrails: boolean;
  /** The guardrail statement (Sid) that denies it, for attacks the guardrails close. */
  readonly closedBy?: string;
}

async function checkData(v: Variant, cells: DataCell[]): Promise<string[]> {
  const failures: string[] = [];
  for (const cell of cells) {
    const without = await evaluate(v.world, cell.request);
    const withOrg = await evaluate(v.world, cell.request, { organizationPolicies: v.org });
    if (without.allowed !== cell.withoutGuardrails) failures.push(`${cell.name} without guardrails: expected ${cell.withoutGuardrails}, got ${without.allowed} (${without.decidedBy})`);
    if (withOrg.allowed !== cell.withGuardrails) failures.push(`${cell.name} with guardrails: expected ${cell.withGuardrails}, got ${withOrg.allowed} (${withOrg.decidedBy})`);
    if (cell.closedBy !== undefined && JSON.stringify(withOrg.decidingSids) !== JSON.stringify([cell.closedBy])) {
      failures.push(`${cell.name}: expected to be closed by ${cell.closedBy}, decided by ${withOrg.decidedBy}`);
    }
  }
  return failures;
}

describe('RCP: data only through trusted access points', () => {
  test('named delegation (tenant-*): the admin\'s own access point and direct reads are closed; Bob, administrators and replication still work', async () => {
    const cells: DataCell[] = [
      { name: 'Bob reads his folder through tenant-bob', request: read(BOB, { accessPoint: 'tenant-bob' }), withoutGuardrails: true, withGuardrails: true },
      { name: 'Bob reads outside his folder', request: read(BOB, { accessPoint: 'tenant-bob' }, 's3:GetObject', 'alice/secret.csv'), withoutGuardrails: false, withGuardrails: false },
      { name: 'admin reads the bucket directly', request: read(ADMIN, 'bucket'), withoutGuardrails: true, withGuardrails: false, closedBy: RCP_SID },
      { name: 'admin lists the bucket directly', request: { principal: ADMIN, action: 's3:ListBucket', listPrefix: '', path: 'bucket', network: 'internet' }, withoutGuardrails: true, withGuardrails: false, closedBy: RCP_SID },
      { name: 'admin writes the bucket directly', request: { ...read(ADMIN, 'bucket', 's3:PutObject', 'bob/planted.csv') }, withoutGuardrails: true, withGuardrails: false, closedBy: RCP_SID },
      { name: 'admin reads through an access point of their own outside the pattern', request: read(ADMIN, { accessPoint: 'evil-ap' }), withoutGuardrails: true, withGuardrails: false, closedBy: RCP_SID },
      { name: 'admin reads through Bob\'s exclusive access point', request: read(ADMIN, { accessPoint: 'tenant-bob' }), withoutGuardrails: false, withGuardrails: false },
      { name: 'partner admin reads through the partner\'s access point', request: read(PARTNER_ADMIN, { accessPoint: 'partner-ap' }), withoutGuardrails: false, withGuardrails: false },
      { name: 'the deploy role (administrator) reads directly', request: read(DEPLOY, 'bucket'), withoutGuardrails: true, withGuardrails: true },
      { name: 'replication reads a version directly', request: read(REPLICATION, 'bucket', 's3:GetObjectVersionForReplication'), withoutGuardrails: true, withGuardrails: true },
      { name: 'replication writes a replica directly', request: read(REPLICATION, 'bucket', 's3:ReplicateObject'), withoutGuardrails: true, withGuardrails: true },
      // Only administrators can create `tenant-evil` (SCP, below): if one does, it is trusted by design.
      { name: 'an access point inside the pattern (created by an administrator)', request: read(ADMIN, { accessPoint: 'tenant-evil' }), withoutGuardrails: true, withGuardrails: true },
    ];
    expect(await checkData(NAMED, cells)).toEqual([]);
  });

  test('account delegation: direct reads are closed, any access point of the account is trusted (the SCP keeps non-administrators from creating one)', async () => {
    const cells: DataCell[] = [
      { name: 'Bob reads his folder through tenant-bob', request: read(BOB, { accessPoint: 'tenant-bob' }), withoutGuardrails: true, withGuardrails: true },
      { name: 'admin reads the bucket directly', request: read(ADMIN, 'bucket'), withoutGuardrails: true, withGuardrails: false, closedBy: RCP_SID },
      { name: 'admin reads through an access point of the account', request: read(ADMIN, { accessPoint: 'evil-ap' }), withoutGuardrails: true, withGuardrails: true },
      { name: 'partner admin reads through the partner\'s access point', request: read(PARTNER_ADMIN, { accessPoint: 'partner-ap' }), withoutGuardrails: false, withGuardrails: false },
      { name: 'the deploy role reads directly', request: read(DEPLOY, 'bucket'), withoutGuardrails: true, withGuardrails: true },
    ];
    expect(await checkData(ACCOUNT_WIDE, cells)).toEqual([]);
  });

  test('a Multi-Region Access Point over the bucket is not trusted by a name pattern (with account delegation, only the SCP closes it)', async () => {
    // The bucket leg of a request through an MRAP: its ARN has no Region and an alias, never `tenant-*`.
    const mrapContext = { 's3:DataAccessPointArn': MRAP_ARN, 's3:DataAccessPointAccount': ACCOUNT };
    expect(await bucketLeg(NAMED, ADMIN, mrapContext)).toEqual({ without: 'Allowed', with: 'ExplicitlyDenied' });
    // With account delegation the MRAP is the account's own and passes the RCP: only the SCP (no MRAP creation) closes it.
    expect(await bucketLeg(ACCOUNT_WIDE, ADMIN, mrapContext)).toEqual({ without: 'Allowed', with: 'Allowed' });
  });

  test('AWS services are never stopped by the RCP (aws:PrincipalIsAWSService)', async () => {
    const result = await simulate({
      principal: 's3.amazonaws.com',
      action: 's3:PutObject',
      resource: `${BUCKET_ARN}/inventory/data.csv`,
      resourceAccount: ACCOUNT,
      context: { 'aws:PrincipalIsAWSService': 'true', 'aws:SourceAccount': ACCOUNT, 'aws:SecureTransport': 'true' },
      identity: [],
      resourcePolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 's3:PutObject', Resource: `${BUCKET_ARN}/*` }] },
      rcps: [NAMED.rcp],
    });
    expect(result).toBe('Allowed');
    // The same request as an IAM role is denied: the exemption is for service principals only.
    expect(await simulate({
      principal: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/s`,
      action: 's3:PutObject',
      resource: `${BUCKET_ARN}/inventory/data.csv`,
      resourceAccount: ACCOUNT,
      context: { 'aws:PrincipalArn': ADMIN, 'aws:PrincipalIsAWSService': 'false', 'aws:SecureTransport': 'true' },
      identity: [ADMIN_POLICY],
      rcps: [NAMED.rcp],
    })).toBe('ExplicitlyDenied');
  });
});

// ---- management requests (not S3 data requests: identity policy + SCP + RCP) ---------------------------

interface SimulateInput {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly resourceAccount: string;
  readonly context: Record<string, string | string[]>;
  readonly identity: PolicyDocument[];
  readonly resourcePolicy?: PolicyDocument;
  readonly scps?: PolicyDocument[];
  readonly rcps?: PolicyDocument[];
}

interface Outcome {
  readonly result: string;
  /** Sids of the statements that denied explicitly. */
  readonly deniedBy: string[];
}

/** One plain IAM request, with the organization policies given; throws on anything iam-simulate rejects or ignores. */
async function simulate(input: SimulateInput): Promise<string> {
  return (await simulateWithReasons(input)).result;
}

async function simulateWithReasons(input: SimulateInput): Promise<Outcome> {
  const response = await runSimulation({
    request: {
      principal: input.principal,
      action: input.action,
      resource: { resource: input.resource, accountId: input.resourceAccount },
      contextVariables: input.context,
    },
    identityPolicies: input.identity.map((policy, i) => ({ name: `identity-${i}`, policy })),
    serviceControlPolicies: input.scps?.length
      ? [{ orgIdentifier: 'member-account', policies: [FULL_AWS_ACCESS_SCP, ...input.scps].map((policy, i) => ({ name: `scp-${i}`, policy })) }]
      : [],
    resourceControlPolicies: input.rcps?.length
      ? [{ orgIdentifier: 'member-account', policies: input.rcps.map((policy, i) => ({ name: `rcp-${i}`, policy })) }]
      : [],
    resourcePolicy: input.resourcePolicy,
  }, {});
  if (response.resultType !== 'single') throw new Error(`iam-simulate: ${JSON.stringify(response)}`);
  const ignored = response.result.ignoredContextKeys ?? [];
  if (ignored.length > 0) throw new Error(`iam-simulate ignored context keys ${ignored.join(', ')} for ${input.action} on ${input.resource}`);
  const analysis = response.result.analysis;
  const deniedBy = analysis.result === 'ExplicitlyDenied'
    ? getDenialReasons(analysis).flatMap(d => (d.denialType === 'Explicit' ? [d.statementId ?? `#${d.statementIndex}`] : []))
    : [];
  return { result: analysis.result, deniedBy };
}

/** The bucket leg of a request through an access point that is not in the world (e.g. an MRAP), with and without the RCP. */
async function bucketLeg(v: Variant, principal: string, apContext: Record<string, string>): Promise<{ without: string; with: string }> {
  const base = {
    principal: requestPrincipal(principal),
    action: 's3:GetObject',
    resource: `${BUCKET_ARN}/bob/report.csv`,
    resourceAccount: ACCOUNT,
    context: { ...identityContext(principal), ...aliasKeys(apContext) },
    identity: [ADMIN_POLICY],
    resourcePolicy: aliasPolicyKeys(v.world.buckets.get(BUCKET)!.policy!),
  };
  return {
    without: await simulate(base),
    with: await simulate({ ...base, rcps: [aliasPolicyKeys(v.rcp)] }),
  };
}

function requestPrincipal(arn: string): string {
  const m = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(arn);
  return m ? `arn:aws:sts::${m[1]}:assumed-role/${m[2]}/attack` : arn;
}

function identityContext(arn: string): Record<string, string> {
  return { 'aws:PrincipalArn': arn, 'aws:PrincipalAccount': arn.split(':')[4], 'aws:PrincipalType': 'AssumedRole', 'aws:SecureTransport': 'true' };
}

/** iam-simulate drops the access point keys for bucket ARNs: rename them as the access model does (policies.ts). */
const ALIASES: Record<string, string> = {
  's3:DataAccessPointArn': 'aws:PrincipalTag/xsim-s3-DataAccessPointArn',
  's3:DataAccessPointAccount': 'aws:PrincipalTag/xsim-s3-DataAccessPointAccount',
};
function aliasKeys(context: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(context).map(([k, v]) => [ALIASES[k] ?? k, v]));
}
function aliasPolicyKeys(doc: PolicyDocument): PolicyDocument {
  let json = JSON.stringify(doc);
  for (const [key, alias] of Object.entries(ALIASES)) json = json.split(`"${key}"`).join(`"${alias}"`);
  return JSON.parse(json);
}

interface ManagementCell {
  readonly name: string;
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly resourceAccount?: string;
  readonly context?: Record<string, string | string[]>;
  /** Allowed without the guardrails: the identity policy alone decides (same account). */
  readonly withoutGuardrails: boolean;
  readonly withGuardrails: boolean;
  /** The guardrail statement (Sid) that denies it, for attacks (docs/guardrails.md names the same). */
  readonly closedBy?: string;
}

const POLICIES: Record<string, PolicyDocument> = {
  [ADMIN]: ADMIN_POLICY,
  [DEPLOY]: allow(['*']),
  [OTHER_ADMIN]: ADMIN_POLICY,
};

async function checkManagement(v: Variant, cells: ManagementCell[]): Promise<string[]> {
  const failures: string[] = [];
  for (const cell of cells) {
    const resourceAccount = cell.resourceAccount ?? ACCOUNT;
    const base: SimulateInput = {
      principal: requestPrincipal(cell.principal),
      action: cell.action,
      resource: cell.resource,
      resourceAccount,
      context: { ...identityContext(cell.principal), 'aws:ResourceAccount': resourceAccount, ...cell.context },
      identity: [POLICIES[cell.principal]],
    };
    const without = await simulate(base);
    const withOrg = await simulateWithReasons({ ...base, scps: [v.scp], rcps: cell.resource.startsWith('arn:aws:s3:') ? [v.rcp] : [] });
    if ((without === 'Allowed') !== cell.withoutGuardrails) failures.push(`${cell.name} without guardrails: expected ${cell.withoutGuardrails}, got ${without}`);
    if ((withOrg.result === 'Allowed') !== cell.withGuardrails) failures.push(`${cell.name} with guardrails: expected ${cell.withGuardrails}, got ${withOrg.result}`);
    if (cell.closedBy !== undefined && JSON.stringify(withOrg.deniedBy) !== JSON.stringify([cell.closedBy])) {
      failures.push(`${cell.name}: expected to be closed by ${cell.closedBy}, denied by [${withOrg.deniedBy.join(', ')}]`);
    }
  }
  return failures;
}

/** The same management request by the attacker (denied with the guardrails) and by the deploy role (still allowed). */
function attackAndDeploy(
  name: string, closedBy: string, action: string, resource: string, context?: Record<string, string | string[]>,
): ManagementCell[] {
  return [
    { name: `admin: ${name}`, principal: ADMIN, action, resource, context, withoutGuardrails: true, withGuardrails: false, closedBy },
    { name: `deploy role: ${name}`, principal: DEPLOY, action, resource, context, withoutGuardrails: true, withGuardrails: true },
  ];
}

const tagKeys = (...keys: string[]) => ({ 'aws:TagKeys': keys });
const BOB_ROLE = `arn:aws:iam::${ACCOUNT}:role/Bob`;

describe('SCP: only administrators manage what the design trusts', () => {
  test('named delegation (tenant-*)', async () => {
    const cells: ManagementCell[] = [
      ...attackAndDeploy('create an access point inside the pattern', 'DenyCreateTrustedAccessPoint', 's3:CreateAccessPoint', apArn('tenant-evil')),
      // Outside the pattern, an access point reaches nothing of the bucket (RCP, above): other workloads keep creating theirs.
      { name: 'admin: create an access point outside the pattern', principal: ADMIN, action: 's3:CreateAccessPoint', resource: apArn('evil-ap'), withoutGuardrails: true, withGuardrails: true },
      ...attackAndDeploy('create a Multi-Region Access Point', 'DenyMultiRegionAccessPoints', 's3:CreateMultiRegionAccessPoint', MRAP_ARN),
      ...attackAndDeploy('put a Multi-Region Access Point policy', 'DenyMultiRegionAccessPoints', 's3:PutMultiRegionAccessPointPolicy', MRAP_ARN),
      ...attackAndDeploy('rewrite Bob\'s access point policy', 'DenyTrustedAccessPointChanges', 's3:PutAccessPointPolicy', apArn('tenant-bob')),
      ...attackAndDeploy('delete Bob\'s access point policy', 'DenyTrustedAccessPointChanges', 's3:DeleteAccessPointPolicy', apArn('tenant-bob')),
      ...attackAndDeploy('delete Bob\'s access point', 'DenyTrustedAccessPointChanges', 's3:DeleteAccessPoint', apArn('tenant-bob')),
      { name: 'admin: change the policy of an untrusted access point', principal: ADMIN, action: 's3:PutAccessPointPolicy', resource: apArn('evil-ap'), withoutGuardrails: true, withGuardrails: true },
      ...attackAndDeploy('rewrite the bucket policy', 'DenyBucketAccessChanges', 's3:PutBucketPolicy', BUCKET_ARN),
      ...attackAndDeploy('delete the bucket policy', 'DenyBucketAccessChanges', 's3:DeleteBucketPolicy', BUCKET_ARN),
      ...attackAndDeploy('turn ACLs back on', 'DenyBucketAccessChanges', 's3:PutBucketOwnershipControls', BUCKET_ARN),
      ...attackAndDeploy('replicate the bucket elsewhere', 'DenyBucketAccessChanges', 's3:PutReplicationConfiguration', BUCKET_ARN),
      ...attackAndDeploy('grant another account through an ACL', 'DenyBucketAccessChanges', 's3:PutBucketAcl', BUCKET_ARN),
      ...attackAndDeploy('turn Block Public Access off', 'DenyBucketAccessChanges', 's3:PutBucketPublicAccessBlock', BUCKET_ARN),
      ...attackAndDeploy('report every key to another bucket', 'DenyBucketAccessChanges', 's3:PutInventoryConfiguration', BUCKET_ARN),
      { name: 'admin: rewrite another bucket\'s policy', principal: ADMIN, action: 's3:PutBucketPolicy', resource: 'arn:aws:s3:::unrelated-bucket', withoutGuardrails: true, withGuardrails: true },
      ...attackAndDeploy('tag Bob into another tenant', 'DenyTenantTagChanges', 'iam:TagRole', BOB_ROLE, tagKeys('tenant')),
      ...attackAndDeploy('tag Bob with the key in another case', 'DenyTenantTagChanges', 'iam:TagRole', BOB_ROLE, tagKeys('Tenant')),
      ...attackAndDeploy('remove Bob\'s tenant tag', 'DenyTenantTagChanges', 'iam:UntagRole', BOB_ROLE, tagKeys('tenant')),
      ...attackAndDeploy('tag a user into a tenant', 'DenyTenantTagChanges', 'iam:TagUser', `arn:aws:iam::${ACCOUNT}:user/mallory`, tagKeys('tenant')),
      ...attackAndDeploy('remove a user\'s tenant tag', 'DenyTenantTagChanges', 'iam:UntagUser', `arn:aws:iam::${ACCOUNT}:user/mallory`, tagKeys('tenant')),
      ...attackAndDeploy('create a role already in a tenant', 'DenyTenantTagChanges', 'iam:CreateRole', `arn:aws:iam::${ACCOUNT}:role/Mallory`, tagKeys('project', 'tenant')),
      ...attackAndDeploy('create a user already in a tenant', 'DenyTenantTagChanges', 'iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/mallory`, tagKeys('tenant')),
      ...attackAndDeploy('assume a role with a tenant session tag', 'DenyTenantTagChanges', 'sts:TagSession', BOB_ROLE, tagKeys('tenant')),
      { name: 'admin: tag Bob with another key', principal: ADMIN, action: 'iam:TagRole', resource: BOB_ROLE, context: tagKeys('cost-center'), withoutGuardrails: true, withGuardrails: true },
      // The SCP names the bucket account: attached to an OU, it leaves the other accounts' tags and MRAPs alone.
      { name: 'admin of another account: tag a role there', principal: OTHER_ADMIN, action: 'iam:TagRole', resource: `arn:aws:iam::${OTHER_ORG_ACCOUNT}:role/Any`, resourceAccount: OTHER_ORG_ACCOUNT, context: tagKeys('tenant'), withoutGuardrails: true, withGuardrails: true },
      { name: 'admin of another account: create an MRAP there', principal: OTHER_ADMIN, action: 's3:CreateMultiRegionAccessPoint', resource: `arn:aws:s3::${OTHER_ORG_ACCOUNT}:accesspoint/other.mrap`, resourceAccount: OTHER_ORG_ACCOUNT, withoutGuardrails: true, withGuardrails: true },
    ];
    expect(await checkManagement(NAMED, cells)).toEqual([]);
  });

  test('account delegation: no non-administrator creates any access point in the bucket\'s account', async () => {
    const cells: ManagementCell[] = [
      ...attackAndDeploy('create an access point', 'DenyCreateTrustedAccessPoint', 's3:CreateAccessPoint', apArn('evil-ap')),
      ...attackAndDeploy('create an access point named like a tenant', 'DenyCreateTrustedAccessPoint', 's3:CreateAccessPoint', apArn('tenant-evil')),
      ...attackAndDeploy('rewrite Bob\'s access point policy', 'DenyTrustedAccessPointChanges', 's3:PutAccessPointPolicy', apArn('tenant-bob')),
      ...attackAndDeploy('create a Multi-Region Access Point', 'DenyMultiRegionAccessPoints', 's3:CreateMultiRegionAccessPoint', MRAP_ARN),
      ...attackAndDeploy('rewrite the bucket policy', 'DenyBucketAccessChanges', 's3:PutBucketPolicy', BUCKET_ARN),
      { name: 'admin of another account: create an access point there', principal: OTHER_ADMIN, action: 's3:CreateAccessPoint', resource: apArn('any', OTHER_ORG_ACCOUNT), resourceAccount: OTHER_ORG_ACCOUNT, withoutGuardrails: true, withGuardrails: true },
    ];
    expect(await checkManagement(ACCOUNT_WIDE, cells)).toEqual([]);
  });

  test('the library\'s own deployment (CloudFormation with the deploy role) still creates every resource it manages', async () => {
    // What CloudFormation calls for this app, as the CDK execution role (an administrator).
    const cells: ManagementCell[] = [
      ['s3:CreateAccessPoint', apArn('tenant-bob')],
      ['s3:PutAccessPointPolicy', apArn('tenant-bob')],
      ['s3:PutBucketPolicy', BUCKET_ARN],
      ['s3:PutBucketOwnershipControls', BUCKET_ARN],
      ['s3:PutBucketPublicAccessBlock', BUCKET_ARN],
      ['iam:CreateRole', BOB_ROLE],
    ].map(([action, resource]) => ({ name: `deploy: ${action}`, principal: DEPLOY, action, resource, context: action === 'iam:CreateRole' ? tagKeys('tenant') : undefined, withoutGuardrails: true, withGuardrails: true }));
    expect(await checkManagement(NAMED, cells)).toEqual([]);
    expect(await checkManagement(ACCOUNT_WIDE, cells)).toEqual([]);
  });
});

describe('SCP: only administrators change what runs as a protected function (the reader)', () => {
  // The reader's role passes its exclusive access point (docs/security-model.md row 13): each of
  // these would run the admin's code as that role, or let the admin assume it.
  const passedTo = (service: string) => ({ 'iam:PassedToService': service });
  const FN = 'DenyProtectedFunctionChanges';

  test.each<[string, () => Variant]>([
    ['named delegation (tenant-*)', () => NAMED],
    ['account delegation', () => ACCOUNT_WIDE],
  ])('%s: updating its code or configuration, passing its role or rewriting its trust is denied; other functions and roles are not', async (_name, variantOf) => {
    const v = variantOf();
    const otherFunction = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:other`;
    const otherRole = `arn:aws:iam::${ACCOUNT}:role/other-function-role`;
    const cells: ManagementCell[] = [
      ...attackAndDeploy('replace the reader\'s code', FN, 'lambda:UpdateFunctionCode', READER_ARN),
      ...attackAndDeploy('add a layer to the reader', FN, 'lambda:UpdateFunctionConfiguration', READER_ARN,
        { 'lambda:Layer': `arn:aws:lambda:${REGION}:${ACCOUNT}:layer:evil:1` }),
      ...attackAndDeploy('set the reader\'s environment (NODE_OPTIONS)', FN, 'lambda:UpdateFunctionConfiguration', READER_ARN),
      ...attackAndDeploy('pass the reader\'s role to a new function', FN, 'iam:PassRole', READER_ROLE, passedTo('lambda.amazonaws.com')),
      ...attackAndDeploy('pass the reader\'s role to an instance', FN, 'iam:PassRole', READER_ROLE, passedTo('ec2.amazonaws.com')),
      ...attackAndDeploy('let anyone assume the reader\'s role', FN, 'iam:UpdateAssumeRolePolicy', READER_ROLE),
      // Other functions and roles of the account stay the admin's.
      { name: 'admin: update another function\'s code', principal: ADMIN, action: 'lambda:UpdateFunctionCode', resource: otherFunction, withoutGuardrails: true, withGuardrails: true },
      { name: 'admin: update another function\'s configuration', principal: ADMIN, action: 'lambda:UpdateFunctionConfiguration', resource: otherFunction, withoutGuardrails: true, withGuardrails: true },
      { name: 'admin: pass another role', principal: ADMIN, action: 'iam:PassRole', resource: otherRole, context: passedTo('lambda.amazonaws.com'), withoutGuardrails: true, withGuardrails: true },
      { name: 'admin: create a function with another role', principal: ADMIN, action: 'lambda:CreateFunction', resource: otherFunction, withoutGuardrails: true, withGuardrails: true },
      // Chosen limits (docs/guardrails.md): stopping the reader runs nothing as its role.
      { name: 'admin: delete the reader', principal: ADMIN, action: 'lambda:DeleteFunction', resource: READER_ARN, withoutGuardrails: true, withGuardrails: true },
      { name: 'admin: throttle the reader', principal: ADMIN, action: 'lambda:PutFunctionConcurrency', resource: READER_ARN, withoutGuardrails: true, withGuardrails: true },
      // Invoking the reader is its purpose: it returns sizes and SHA-256 digests, never the objects.
      { name: 'admin: invoke the reader', principal: ADMIN, action: 'lambda:InvokeFunction', resource: READER_ARN, withoutGuardrails: true, withGuardrails: true },
    ];
    expect(await checkManagement(v, cells)).toEqual([]);
  });
});

describe('the access model\'s organizationPolicies', () => {
  const DENY_ALL: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] };
  const DENY_ALL_RCP: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*' }] };
  const request = read(ADMIN, 'bucket');

  test('SCPs apply to principals of member accounts only', async () => {
    expect((await evaluate(NAMED.world, request, { organizationPolicies: { accounts: [ACCOUNT], scps: [DENY_ALL] } })).allowed).toBe(false);
    const otherAccountOnly = { accounts: [OTHER_ORG_ACCOUNT], scps: [DENY_ALL] };
    expect((await evaluate(NAMED.world, request, { organizationPolicies: otherAccountOnly })).allowed).toBe(true);
  });

  test('RCPs apply to resources of member accounts only', async () => {
    expect((await evaluate(NAMED.world, request, { organizationPolicies: { accounts: [ACCOUNT], rcps: [DENY_ALL_RCP] } })).allowed).toBe(false);
    const otherAccountOnly = { accounts: [OTHER_ORG_ACCOUNT], rcps: [DENY_ALL_RCP] };
    expect((await evaluate(NAMED.world, request, { organizationPolicies: otherAccountOnly })).allowed).toBe(true);
  });

  test('an SCP of Deny statements leaves other actions allowed (the harness adds FullAWSAccess, as AWS attaches it everywhere)', async () => {
    const denyList: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 's3:ListBucket', Resource: '*' }] };
    expect((await evaluate(NAMED.world, request, { organizationPolicies: { scps: [denyList] } })).allowed).toBe(true);
  });
});
