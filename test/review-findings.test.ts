/**
 * Findings of an adversarial review of the security claims (README, docs/security-model.md,
 * docs/guardrails.md), each proven with the IAM engine against principals and requests that are
 * not in the template, and each now closed. Expectations are written from AWS's rules and the
 * design's intent, never read from the policies; every attack is also evaluated without the
 * guardrails, to show it is real.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { getDenialReasons, runSimulation } from '@cloud-copilot/iam-simulate';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Access, AccessPointDelegation, AccessPointGuardrails, SharedBucket } from '../src';
import { buildWorld, evaluate, FULL_AWS_ACCESS_SCP, OrganizationPolicies, PolicyDocument, World } from './access-model';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const BUCKET = 'reviewed-shared-data';
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;

const ADMIN = `arn:aws:iam::${ACCOUNT}:role/Admin`;
const DEPLOY = `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${REGION}`;
/** Administrators given as a pattern: every role whose name starts with `breakglass-`. */
const BREAK_GLASS_PATTERN = `arn:aws:iam::${ACCOUNT}:role/breakglass-*`;
const REPLICATION = `arn:aws:iam::${ACCOUNT}:role/Replication`;
/** An administrator that is an IAM user. */
const OPERATOR = `arn:aws:iam::${ACCOUNT}:user/operator`;

const allow = (actions: string[]): PolicyDocument => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] });
const ADMIN_POLICY = allow(['s3:*', 'iam:*', 'sts:*']);

interface Guarded {
  readonly world: World;
  readonly org: OrganizationPolicies;
  readonly scp: PolicyDocument;
}

/** A SharedBucket delegating to `tenant-*`, Bob's access point, and the guardrails, read from the assembly. */
function guarded(): Guarded {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'review-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'Reviewed', { env: { account: ACCOUNT, region: REGION } });
  const shared = new SharedBucket(stack, 'Shared', { bucketName: BUCKET, delegation: AccessPointDelegation.accessPoints('tenant-*') });
  const bob = new iam.Role(stack, 'Bob', { roleName: 'Bob', assumedBy: new iam.AccountRootPrincipal() });
  shared.addUserAccessPoint('BobAccessPoint', { identity: bob, prefix: 'bob/', access: Access.READ, accessPointName: 'tenant-bob' });
  const guardrails = new AccessPointGuardrails(stack, 'Guardrails', {
    bucket: shared.bucket,
    accessPointNamePattern: 'tenant-*',
    administrators: [new iam.ArnPrincipal(DEPLOY), new iam.ArnPrincipal(BREAK_GLASS_PATTERN), new iam.ArnPrincipal(OPERATOR)],
    directAccessPrincipals: [new iam.ArnPrincipal(REPLICATION)],
    tenantTag: 'tenant',
  });
  const assembly = app.synth();
  const document = (kind: string) => JSON.parse(fs.readFileSync(path.join(assembly.directory, `${guardrails.assemblyFileName}.${kind}.json`), 'utf8'));
  const world = buildWorld(Template.fromStack(stack).toJSON(), {
    account: ACCOUNT,
    region: REGION,
    externalPrincipals: [
      { arn: ADMIN, policies: { admin: ADMIN_POLICY } },
      { arn: REPLICATION, policies: { replication: allow(['s3:*']) } },
    ],
  });
  const scp = document('scp');
  return { world, scp, org: { accounts: [ACCOUNT], scps: [scp], rcps: [document('rcp')] } };
}

const GUARDED = guarded();

/** One management request (identity policy + SCP): the result and the Sids that denied it. */
async function manage(principal: string, action: string, resource: string, scps: PolicyDocument[]): Promise<{ result: string; deniedBy: string[] }> {
  const role = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(principal);
  const response = await runSimulation({
    request: {
      principal: role ? `arn:aws:sts::${role[1]}:assumed-role/${role[2]}/attack` : principal,
      action,
      resource: { resource, accountId: ACCOUNT },
      contextVariables: {
        'aws:PrincipalArn': principal,
        'aws:PrincipalAccount': ACCOUNT,
        'aws:PrincipalType': role ? 'AssumedRole' : 'User',
        'aws:ResourceAccount': ACCOUNT,
        'aws:SecureTransport': 'true',
      },
    },
    identityPolicies: [{ name: 'identity', policy: principal === ADMIN ? ADMIN_POLICY : allow(['*']) }],
    serviceControlPolicies: scps.length > 0
      ? [{ orgIdentifier: 'member-account', policies: [FULL_AWS_ACCESS_SCP, ...scps].map((policy, i) => ({ name: `scp-${i}`, policy })) }]
      : [],
    resourceControlPolicies: [],
  }, {});
  if (response.resultType !== 'single') throw new Error(`iam-simulate: ${JSON.stringify(response)}`);
  if ((response.result.ignoredContextKeys ?? []).length > 0) throw new Error(`ignored context keys for ${action}: ${response.result.ignoredContextKeys}`);
  const analysis = response.result.analysis;
  const deniedBy = analysis.result === 'ExplicitlyDenied'
    ? getDenialReasons(analysis).flatMap(d => (d.denialType === 'Explicit' ? [d.statementId ?? `#${d.statementIndex}`] : []))
    : [];
  return { result: analysis.result, deniedBy };
}

interface Attack {
  readonly name: string;
  readonly action: string;
  readonly resource: string;
  readonly closedBy: string;
}

/** Each attack: allowed to the admin without the SCP, denied with it by `closedBy`; still allowed to the deploy role. */
async function check(attacks: Attack[]): Promise<string[]> {
  const failures: string[] = [];
  for (const attack of attacks) {
    const without = await manage(ADMIN, attack.action, attack.resource, []);
    const withScp = await manage(ADMIN, attack.action, attack.resource, [GUARDED.scp]);
    const deploy = await manage(DEPLOY, attack.action, attack.resource, [GUARDED.scp]);
    if (without.result !== 'Allowed') failures.push(`${attack.name}: without the SCP expected Allowed, got ${without.result}`);
    if (withScp.result !== 'ExplicitlyDenied' || JSON.stringify(withScp.deniedBy) !== JSON.stringify([attack.closedBy])) {
      failures.push(`${attack.name}: with the SCP expected a Deny by ${attack.closedBy}, got ${withScp.result} [${withScp.deniedBy.join(', ')}]`);
    }
    if (deploy.result !== 'Allowed') failures.push(`${attack.name}: the deploy role (administrator) expected Allowed, got ${deploy.result}`);
  }
  return failures;
}

const TAKEOVER = 'DenyExemptPrincipalTakeover';

describe('review findings', () => {
  test('an admin cannot take over a principal the guardrails exempt (trust policy, delete and re-create, a name matching a pattern, user credentials)', async () => {
    // Why it matters: the exempt principals pass the RCP, so whoever acts as one reads the bucket directly.
    const prize = await evaluate(GUARDED.world, { principal: REPLICATION, action: 's3:GetObject', key: 'bob/report.csv', path: 'bucket', network: 'internet' }, { organizationPolicies: GUARDED.org });
    expect(prize.allowed).toBe(true);
    const attacker = await evaluate(GUARDED.world, { principal: ADMIN, action: 's3:GetObject', key: 'bob/report.csv', path: 'bucket', network: 'internet' }, { organizationPolicies: GUARDED.org });
    expect(attacker.allowed).toBe(false);

    expect(await check([
      // UpdateAssumeRolePolicy to trust the admin, then sts:AssumeRole: the admin acts as the role.
      { name: 'trust the admin in the replication role', action: 'iam:UpdateAssumeRolePolicy', resource: REPLICATION, closedBy: TAKEOVER },
      { name: 'trust the admin in the deploy role', action: 'iam:UpdateAssumeRolePolicy', resource: DEPLOY, closedBy: TAKEOVER },
      // aws:PrincipalArn compares ARNs: a role deleted and created again with the same name is exempt too.
      { name: 'delete the replication role', action: 'iam:DeleteRole', resource: REPLICATION, closedBy: TAKEOVER },
      { name: 'create a role with the replication role\'s ARN (no tags)', action: 'iam:CreateRole', resource: REPLICATION, closedBy: TAKEOVER },
      { name: 'create a role whose name matches an administrator pattern', action: 'iam:CreateRole', resource: `arn:aws:iam::${ACCOUNT}:role/breakglass-mallory`, closedBy: TAKEOVER },
      { name: 'give the administrator user an access key', action: 'iam:CreateAccessKey', resource: OPERATOR, closedBy: TAKEOVER },
      { name: 'give the administrator user a console password', action: 'iam:CreateLoginProfile', resource: OPERATOR, closedBy: TAKEOVER },
      { name: 'reset the administrator user\'s console password', action: 'iam:UpdateLoginProfile', resource: OPERATOR, closedBy: TAKEOVER },
      // New permissions for the replication role, then a job run as it (below).
      { name: 'give the replication role s3:GetObject', action: 'iam:PutRolePolicy', resource: REPLICATION, closedBy: TAKEOVER },
      { name: 'attach a managed policy to the replication role', action: 'iam:AttachRolePolicy', resource: REPLICATION, closedBy: TAKEOVER },
      // S3 Batch Operations (CreateJob with RoleArn) runs a copy of every key as the role it is passed.
      { name: 'pass the replication role to an S3 Batch Operations job', action: 'iam:PassRole', resource: REPLICATION, closedBy: 'DenyPassingDirectAccessRoles' },
    ])).toEqual([]);

    // Roles that are not exempt stay the account's business.
    expect((await manage(ADMIN, 'iam:UpdateAssumeRolePolicy', `arn:aws:iam::${ACCOUNT}:role/Unrelated`, [GUARDED.scp])).result).toBe('Allowed');
    expect((await manage(ADMIN, 'iam:CreateRole', `arn:aws:iam::${ACCOUNT}:role/Mallory`, [GUARDED.scp])).result).toBe('Allowed');
    expect((await manage(ADMIN, 'iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/Unrelated`, [GUARDED.scp])).result).toBe('Allowed');
  });

  test('an admin cannot send the bucket\'s key names elsewhere or have S3 destroy its data by changing bucket settings', async () => {
    const BUCKET_SID = 'DenyBucketAccessChanges';
    expect(await check([
      // Server access logs and S3 Metadata tables name every key requested or written (like inventory).
      { name: 'log every request to a bucket of the admin', action: 's3:PutBucketLogging', resource: BUCKET_ARN, closedBy: BUCKET_SID },
      { name: 'journal every key to an S3 Metadata table', action: 's3:CreateBucketMetadataTableConfiguration', resource: BUCKET_ARN, closedBy: BUCKET_SID },
      // The RCP denies the admin s3:DeleteObjectVersion; a lifecycle rule has S3 expire every version instead.
      { name: 'expire every version with a lifecycle rule', action: 's3:PutLifecycleConfiguration', resource: BUCKET_ARN, closedBy: BUCKET_SID },
      // With versioning suspended, a READ_WRITE overwrite replaces the data (docs/security-model.md row 3).
      { name: 'suspend versioning', action: 's3:PutBucketVersioning', resource: BUCKET_ARN, closedBy: BUCKET_SID },
    ])).toEqual([]);
    expect((await manage(ADMIN, 's3:PutLifecycleConfiguration', 'arn:aws:s3:::unrelated-bucket', [GUARDED.scp])).result).toBe('Allowed');
  });
});
