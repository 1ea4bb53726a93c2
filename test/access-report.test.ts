/**
 * The access report (access-report.json / .md at the root of the cloud assembly) is proven, not
 * written from intent: every row is checked against the IAM evaluation of the synthesized policies
 * with the access model (test/access-model).
 *  - Each grant row: every granted action is allowed on a key in the folder (or a listing of it),
 *    through that access point, from that network (the VPC's endpoint for a VPC access point); the
 *    same actions on a key (or listing) outside the folder are denied. A row the report marks as
 *    refused by the bucket policy (not delegated) is denied even inside the folder.
 *  - The `direct` list: every principal of the app is asked for data directly on the bucket. One
 *    listed as allowed (or exempt) is allowed its listed actions; one listed as denied (or of another
 *    account) is denied them; one not listed is denied get, put, delete and list.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Aspects, Aws, CfnOutput, CfnParameter, CfnResource, Fn, DefaultStackSynthesizer, ISynthesisSession, NestedStack, Stack, Stage, Tags, attachCustomSynthesis } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildScenario, buildStrictScenario } from '../examples/scenario';
import { Access, AccessPoint, AccessPointDelegation, AccessPointGuardrails, AccessReportGuard, IdentityPolicy, SharedBucket, SharedBucketProps, UserAccessPoint } from '../src';
import {
  AccessRequest, buildWorld, evaluate, exportedValues, mergeWorlds, Network, outputValues, passedParameters,
  PolicyDocument, PrincipalInfo, World, WorldOptions,
} from './access-model';
import { accessPointActions } from './access-model/matrix';
import { DATA_ACTIONS } from '../src/perms';
import { buildAccessReport } from '../src/report/build-report';
import { BUCKET_LEVEL_DATA_ACTIONS, DATA_ACTION_NAMES, actionMatches } from '../src/report/data-actions';
import { ScanSource } from '../src/report/direct-access';
import { AccessReportDocument, ReportBucket, ReportGrant, ReportPrincipal } from '../src/report/model';
import { AccessReportRecorder } from '../src/report/recorder';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const ENV = { account: ACCOUNT, region: REGION };
const BUCKET_LEVEL = ['s3:ListBucket', 's3:ListBucketVersions', 's3:ListBucketMultipartUploads'];
/** Data actions asked of every principal that the report does not list as direct. */
const DIRECT_PROBES = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket'];
/** Outside every folder of these apps. */
const OUTSIDE = 'outside-of-the-report/';
const PROOF_TIMEOUT = 120_000;

/** The scan's sources: the constructs resolved (as AccessReportGuard reads them), and every template on disk. */
const FROM_CONSTRUCTS: ScanSource = {};
const FROM_TEMPLATES: ScanSource = { templatesWrittenSince: 0 };

interface Synthesized {
  readonly report: AccessReportDocument;
  readonly markdown: string;
  readonly directory: string;
}

function synthReport(app: App): Synthesized {
  const directory = app.synth().directory;
  return {
    report: JSON.parse(fs.readFileSync(path.join(directory, 'access-report.json'), 'utf-8')),
    markdown: fs.readFileSync(path.join(directory, 'access-report.md'), 'utf-8'),
    directory,
  };
}

/** Run `synthesize` with `Date.now()` fixed at `now` (the report tells this synthesis's templates by their file times). */
function withClock<T>(now: number, synthesize: () => T): T {
  const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
  try {
    return synthesize();
  } finally {
    clock.mockRestore();
  }
}

/**
 * AWS managed policies that reach S3, as AWS publishes them
 * (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonS3ReadOnlyAccess.html).
 * The access model leaves AWS managed policies out; the proof adds these to their holders.
 */
const AWS_MANAGED: Record<string, PolicyDocument> = {
  AmazonS3ReadOnlyAccess: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['s3:Get*', 's3:List*', 's3:Describe*', 's3-object-lambda:Get*', 's3-object-lambda:List*'], Resource: '*' }],
  },
};

function worldOf(stacks: Stack[]): World {
  const templates = new Map(stacks.map(stack => [stack, Template.fromStack(stack).toJSON()]));
  // What crosses stacks: exports (within an account and Region), and the parameters and outputs of
  // nested stacks. Each value is resolved by the world of the stack it comes from, which may need
  // another value first: repeat until all are known (building the worlds below fails on any left).
  const environmentOf = (stack: Stack) => `${stack.account}/${stack.region}`;
  const imports = new Map<string, Record<string, string>>();
  const parameters = new Map<Stack, Record<string, string>>();
  const nestedStackOutputs = new Map<Stack, Record<string, Record<string, string>>>();
  const optionsOf = (stack: Stack): WorldOptions => ({
    account: stack.account,
    region: stack.region,
    stackName: stack.stackName,
    imports: imports.get(environmentOf(stack)),
    parameters: parameters.get(stack),
    nestedStackOutputs: nestedStackOutputs.get(stack),
  });
  // Why each value could not be resolved yet: thrown if it never is.
  const pending = new Map<string, unknown>();
  const attempt = (what: string, resolve: () => void) => {
    try {
      resolve();
      pending.delete(what);
    } catch (e) {
      pending.set(what, e);
    }
  };
  for (let round = 0; round <= stacks.length; round++) {
    for (const stack of stacks) {
      const template = templates.get(stack)!;
      const at = stack.node.path;
      attempt(`exports of ${at}`, () => imports.set(environmentOf(stack), { ...imports.get(environmentOf(stack)), ...exportedValues(template, optionsOf(stack)) }));
      const parent = NestedStack.isNestedStack(stack) ? stack.nestedStackParent : undefined;
      if (parent === undefined || !templates.has(parent)) continue;
      const resourceId = parent.resolve(stack.nestedStackResource!.logicalId);
      attempt(`parameters of ${at}`, () => parameters.set(stack, passedParameters(templates.get(parent)!, resourceId, optionsOf(parent))));
      attempt(`outputs of ${at}`, () => nestedStackOutputs.set(parent, { ...nestedStackOutputs.get(parent), [resourceId]: outputValues(template, optionsOf(stack)) }));
    }
  }
  // An export or an output that no world uses may stay unresolved (building a world that uses it
  // fails); a nested stack without its parameters would silently fall back to their defaults.
  for (const [what, error] of pending) if (what.startsWith('parameters of ')) throw error;
  const worlds = stacks.map(stack => buildWorld(templates.get(stack)!, optionsOf(stack)));
  const world = worlds.length === 1 ? worlds[0] : mergeWorlds(worlds[0], ...worlds.slice(1));
  const withAwsManaged = (p: PrincipalInfo): PrincipalInfo => ({
    ...p,
    policies: [...p.policies, ...p.unmodelledManagedPolicyArns
      .map(arn => arn.split('/').pop()!)
      .filter(name => AWS_MANAGED[name] !== undefined)
      .map(name => ({ name: `aws-managed-${name}`, source: `AWS managed policy ${name}`, document: AWS_MANAGED[name] }))],
  });
  return { ...world, principals: new Map([...world.principals].map(([arn, p]) => [arn, withAwsManaged(p)])) };
}

interface ProofTally {
  grantRows: number;
  directRows: number;
  requests: number;
  allowed: number;
  disagreements: string[];
}

/** The report's principal as the world's principals (a group: its members, each with its folder). */
function holders(world: World, stacks: Stack[], p: ReportPrincipal, folder: string): Array<{ principal: PrincipalInfo; folder: string }> {
  const account = stacks.find(s => s.node.path === p.stack)?.account;
  const principals = [...world.principals.values()];
  if (p.kind === 'tenants') {
    // every principal with the membership tag, in the folder its tenant tag names
    const [memberKey, memberValue] = p.memberTag!.split('=');
    return principals.filter(i => i.account === account && i.tags[memberKey] === memberValue && i.tags[p.tenantTag!] !== undefined)
      .map(tenant => ({ principal: tenant, folder: folder.replace(`\${aws:PrincipalTag/${p.tenantTag}}`, tenant.tags[p.tenantTag!]) }));
  }
  if (p.kind === 'group') {
    return principals.filter(i => i.account === account && i.groups.includes(p.name!))
      .map(member => ({ principal: member, folder: folder.replace('${aws:username}', member.name) }));
  }
  const found = p.logicalId !== undefined
    ? principals.find(i => i.logicalId === p.logicalId && i.account === account)
    : world.principals.get(p.arn ?? '');
  return found ? [{ principal: found, folder }] : [];
}

function networkOf(world: World, g: ReportGrant): Network {
  if (g.networkOrigin === 'Internet') return 'internet';
  const vpcId = world.accessPoints.get(g.accessPoint)!.vpcId;
  const endpoint = [...world.endpoints.values()].find(e => e.isS3 && e.vpcId === vpcId)!;
  return { vpc: endpoint.vpcId, endpoint: endpoint.id };
}

function worldBucketName(world: World, b: ReportBucket): string {
  if (b.name !== undefined) return b.name;
  const logicalId = /^\$\{(\w+)\.Arn\}$/.exec(b.arn ?? '')?.[1];
  return [...world.buckets.values()].find(bucket => bucket.logicalId === logicalId)!.name;
}

async function ask(world: World, tally: ProofTally, request: AccessRequest, expected: boolean, row: string) {
  const decision = await evaluate(world, request);
  tally.requests++;
  if (decision.allowed) tally.allowed++;
  if (decision.allowed !== expected) {
    tally.disagreements.push(`${row}: ${request.action} ${request.key ?? `list "${request.listPrefix ?? ''}"`} `
      + `through ${request.path === 'bucket' ? 'the bucket' : request.path.accessPoint}: report says ${expected ? 'allowed' : 'denied'}, the policies say ${decision.decision} (${decision.decidedBy})`);
  }
}

/** Check every row of the report against the evaluation of the synthesized policies. */
async function proveReport(report: AccessReportDocument, stacks: Stack[]): Promise<ProofTally> {
  const world = worldOf(stacks);
  const tally: ProofTally = { grantRows: 0, directRows: 0, requests: 0, allowed: 0, disagreements: [] };
  for (const b of report.buckets) {
    const bucketName = worldBucketName(world, b);
    const encrypted = world.buckets.get(bucketName)!.kmsKeyArn !== undefined;
    for (const g of b.grants) {
      tally.grantRows++;
      const who = holders(world, stacks, g.principal, g.folder === '*' ? '' : g.folder);
      if (who.length === 0) tally.disagreements.push(`grant to ${JSON.stringify(g.principal)}: no such principal in the synthesized templates`);
      for (const { principal, folder } of who) {
        const row = `grant ${g.access} ${g.folder} through ${g.accessPoint} to ${principal.arn}`;
        const base = { principal: principal.arn, path: { accessPoint: g.accessPoint }, network: networkOf(world, g) };
        for (const action of g.actions) {
          const inside = g.delegated !== false && !(g.refusedActions ?? []).includes(action);
          const kms = encrypted && /^s3:(GetObject|GetObjectVersion|PutObject)$/.test(action);
          if (BUCKET_LEVEL.includes(action)) {
            await ask(world, tally, { ...base, action, listPrefix: folder }, inside, row);
            if (folder !== '') await ask(world, tally, { ...base, action, listPrefix: OUTSIDE }, false, row);
          } else {
            await ask(world, tally, { ...base, action, key: `${folder}report-probe.txt`, encrypted: kms }, inside, row);
            if (folder !== '') await ask(world, tally, { ...base, action, key: `${OUTSIDE}report-probe.txt`, encrypted: kms }, false, row);
          }
        }
      }
    }

    const bucketAccount = world.buckets.get(bucketName)!.account;
    // Every row names a principal of the stacks proven (the loop below asks each of those).
    for (const d of b.direct) {
      const account = stacks.find(s => s.node.path === d.principal.stack)?.account;
      const known = [...world.principals.values()].some(p => p.logicalId === d.principal.logicalId && p.account === account);
      if (!known) tally.disagreements.push(`direct ${d.principal.path}: no such principal in the stacks proven`);
    }
    for (const principal of [...world.principals.values()].filter(p => p.logicalId !== undefined)) {
      const stackAccounts = stacks.filter(s => s.account === principal.account).map(s => s.node.path);
      const entry = b.direct.find(d => d.principal.logicalId === principal.logicalId && stackAccounts.includes(d.principal.stack!));
      const base = { principal: principal.arn, path: 'bucket' as const, bucket: bucketName, network: 'internet' as const };
      const row = `direct ${principal.arn} on ${bucketName}`;
      if (entry === undefined) {
        for (const action of DIRECT_PROBES) {
          await ask(world, tally, BUCKET_LEVEL.includes(action) ? { ...base, action, listPrefix: '' } : { ...base, action, key: 'report-probe.txt' }, false, row);
        }
        continue;
      }
      tally.directRows++;
      expect(principal.account === bucketAccount || entry.status === 'other account').toBe(true);
      const expected = entry.status === 'allowed' || entry.status === 'exempt';
      const key = probeKey(entry.resources);
      const probes = entry.actions.filter(a => DIRECT_PROBES.includes(a));
      for (const action of probes.length > 0 ? probes : [entry.actions[0]]) {
        const kms = encrypted && /^s3:(GetObject|GetObjectVersion|PutObject)$/.test(action);
        await ask(world, tally, BUCKET_LEVEL.includes(action) ? { ...base, action, listPrefix: '' } : { ...base, action, key, encrypted: kms && expected }, expected, row);
      }
    }
  }
  return tally;
}

/** A key that the object resources of a direct row cover (`*` stands for any characters). */
function probeKey(resources: string[]): string {
  const objectResource = resources.find(r => r === '*' || /^arn:[^/]*\//.test(r) || /^\$\{[^}]*\}\//.test(r));
  if (objectResource === undefined || objectResource === '*') return 'report-probe.txt';
  return objectResource.slice(objectResource.indexOf('/') + 1).replace(/\*/g, 'report-probe').replace(/\?/g, 'x') || 'report-probe.txt';
}

interface ProofCounts {
  readonly grantRows: number;
  readonly directRows: number;
  readonly requests: number;
}

async function expectProven(report: AccessReportDocument, stacks: Stack[], counts: ProofCounts): Promise<ProofTally> {
  const tally = await proveReport(report, stacks);
  expect(tally.disagreements).toEqual([]);
  // the proof must never silently check less than designed
  expect({ grantRows: tally.grantRows, directRows: tally.directRows, requests: tally.requests }).toEqual(counts);
  expect(tally.allowed).toBeGreaterThan(0);
  expect(tally.allowed).toBeLessThan(tally.requests);
  if (process.env.REPORT_TALLY) console.log(JSON.stringify({ ...tally, disagreements: undefined }));
  return tally;
}

// ---- apps ---------------------------------------------------------------------------------------

/** Named zones instead of a lookup, as in ScenarioStack. */
class ScenarioLikeStack extends Stack {
  public get availabilityZones(): string[] {
    return [`${this.region}a`, `${this.region}b`];
  }
}

/**
 * The scenario's access points, plus identities of the app whose own policies reach the bucket:
 * an admin with s3:* on *, a loader with aws-cdk-lib's `bucket.grantRead` (bucket ARN by GetAtt), a
 * reporter with a managed policy naming the bucket by name, auditors (a group) who list it, an
 * analyst with the AWS managed AmazonS3ReadOnlyAccess, and an operator whose policy only looks up
 * access points.
 */
function directAccessApp(shared: Omit<SharedBucketProps, 'directAccessPrincipals'>, exemptAdmin: boolean) {
  const app = new App();
  const stack = new ScenarioLikeStack(app, 'Scenario', { env: ENV });
  const admin = new iam.Role(stack, 'Admin', { assumedBy: new iam.AccountRootPrincipal() });
  admin.addToPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
  const bucket = new SharedBucket(stack, 'AliceBucket', {
    bucketName: 'access-point-test', ...shared, ...(exemptAdmin ? { directAccessPrincipals: [admin] } : {}),
  });
  const bob = new iam.User(stack, 'Bob', { userName: 'Bob' });
  bucket.addUserAccessPoint('BobAccessPoint', { identity: bob, accessPointName: 'bob-access-point-test', access: Access.READ_WRITE, consoleAccess: true });
  const vpc = new ec2.Vpc(stack, 'AppVpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  bucket.addVpcAccessPoint('AppAccessPoint', { vpc, prefix: 'app/', accessPointName: 'app-vpc-access-point-test' });

  const loader = new iam.Role(stack, 'Loader', { assumedBy: new iam.AccountRootPrincipal() });
  bucket.bucket.grantRead(loader);
  const reporter = new iam.Role(stack, 'Reporter', { roleName: 'reporter', assumedBy: new iam.AccountRootPrincipal() });
  new iam.ManagedPolicy(stack, 'ReportsPolicy', {
    roles: [reporter],
    statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::access-point-test/reports/*'] })],
  });
  const auditors = new iam.Group(stack, 'Auditors', { groupName: 'auditors' });
  auditors.addToPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucket.bucketArn] }));
  new iam.User(stack, 'Auditor', { userName: 'auditor', groups: [auditors] });
  const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
  operator.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetAccessPoint', 's3:ListAllMyBuckets'], resources: ['*'] }));
  const analyst = new iam.Role(stack, 'Analyst', {
    assumedBy: new iam.AccountRootPrincipal(),
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonS3ReadOnlyAccess')],
  });
  return { app, stack, admin, loader, reporter, analyst };
}

const TENANTS = Array.from({ length: 20 }, (_, i) => `tenant-${String(i).padStart(2, '0')}`);

/** Twenty tenants (even: roles, odd: users) and a PER_USER_FOLDER group, as in the access matrix. */
function tenantApp() {
  const app = new App();
  const stack = new Stack(app, 'Tenants', { env: ENV });
  const shared = new SharedBucket(stack, 'Shared', { bucketName: 'tenants-shared-bucket', delegation: AccessPointDelegation.accessPoints('*-*') });
  TENANTS.forEach((name, i) => {
    if (i % 2 === 0) {
      const role = new iam.Role(stack, `Role-${name}`, { roleName: name, assumedBy: new iam.AccountRootPrincipal() });
      // the first tenant's grants go to a managed policy of its own
      shared.addUserAccessPoint(`AccessPoint-${name}`, {
        identity: role, prefix: `${name}/`, accessPointName: name, identityPolicy: i === 0 ? IdentityPolicy.MANAGED : IdentityPolicy.INLINE,
      });
    } else {
      const user = new iam.User(stack, `User-${name}`, { userName: name });
      shared.addUserAccessPoint(`AccessPoint-${name}`, { identity: user, accessPointName: name });
    }
  });
  const group = new iam.Group(stack, 'Members', { groupName: 'members' });
  ['member-a', 'member-b'].forEach(name => new iam.User(stack, `User-${name}`, { userName: name, groups: [group] }));
  shared.addUserAccessPoint('MembersAccessPoint', { identity: group, prefix: UserAccessPoint.PER_USER_FOLDER, accessPointName: 'the-members' });
  return { app, stack };
}

/** A TenantAccessPoint with three tenants (t1 and t10 among them), a role tagged but not added, and an admin with s3:*. */
function tenantAccessPointApp() {
  const app = new App();
  const stack = new Stack(app, 'Tenants', { env: ENV });
  const shared = new SharedBucket(stack, 'Shared', { bucketName: 'access-point-test' });
  const tenants = shared.addTenantAccessPoint('Tenants', { accessPointName: 'tenants' });
  const role = (id: string, tag?: string) => {
    const r = new iam.Role(stack, id, { roleName: id.toLowerCase(), assumedBy: new iam.AccountRootPrincipal() });
    if (tag !== undefined) Tags.of(r).add('tenant', tag);
    return r;
  };
  ['t1', 't10', 'acme'].forEach(tag => tenants.addTenant(role(`Tenant${tag}`, tag)));
  role('TaggedNotAdded', 't1');
  role('Admin').addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
  return { app, stack };
}

/** The bucket's account delegates to a partner's account; a third account's access point is not delegated. All in one app. */
function crossAccountApp() {
  const app = new App();
  const bucketStack = new Stack(app, 'BucketAccount', { env: ENV });
  new SharedBucket(bucketStack, 'Shared', { bucketName: 'access-point-test', delegation: AccessPointDelegation.accounts(['222222222222']) });
  const accessPointStack = (account: string, accessPointName: string, roleName: string) => {
    const stack = new Stack(app, `AccessPoints${account}`, { env: { account, region: REGION } });
    const bucket = s3.Bucket.fromBucketAttributes(stack, 'SharedBucket', { bucketName: 'access-point-test', account: ACCOUNT, region: REGION });
    const accessPoint = new AccessPoint(stack, 'AccessPoint', { bucket, bucketAccountId: ACCOUNT, accessPointName });
    accessPoint.grantRead(new iam.Role(stack, 'Role', { roleName, assumedBy: new iam.AccountRootPrincipal() }), 'partner/');
    if (account === '222222222222') {
      // more than the delegation's level (READ, the default): the bucket refuses the writes
      accessPoint.grantReadWrite(new iam.Role(stack, 'Writer', { roleName: 'writer', assumedBy: new iam.AccountRootPrincipal() }), 'partner/');
    }
    return stack;
  };
  const stacks = [bucketStack, accessPointStack('222222222222', 'partner-access-point', 'analyst'), accessPointStack('333333333333', 'third-access-point', 'intruder')];
  return { app, stacks };
}

// ---- tests --------------------------------------------------------------------------------------

describe('access report', () => {
  test('the direct scan knows every S3 data action, and each is one denyDirectAccess denies', async () => {
    // the Service Authorization Reference, as the access model reads it
    const actions = await accessPointActions();
    const listings = [...actions.bucket, ...actions.bucketOnly].filter(a => a.startsWith('s3:ListBucket'));
    expect(DATA_ACTION_NAMES).toEqual(expect.arrayContaining([...actions.object, ...listings]));
    expect(BUCKET_LEVEL_DATA_ACTIONS.sort()).toEqual(listings.sort());
    for (const action of DATA_ACTION_NAMES) expect([action, DATA_ACTIONS.some(p => actionMatches(p, action))]).toEqual([action, true]);
  });

  test('the example scenario: the report is written at the root of the cloud assembly and agrees with the policies', async () => {
    const app = new App();
    const stack = buildScenario(app);
    const { report, markdown, directory } = synthReport(app);
    expect(fs.readdirSync(directory)).toEqual(expect.arrayContaining(['access-report.json', 'access-report.md']));
    expect(report.buckets.map(b => b.bucket)).toEqual(['access-point-test']);
    const [bucket] = report.buckets;
    expect(bucket.sharedBucket).toEqual({ path: 'SharedBucketScenario/AliceBucket', delegatedAccounts: [ACCOUNT], partnerAccounts: [], partnerActions: [], denyDirectAccess: false, directAccessPrincipals: [] });
    expect(bucket.grants.map(g => [g.principal.kind, g.principal.path, g.accessPoint, g.networkOrigin, g.folder, g.access, g.delegated])).toEqual([
      ['role', 'SharedBucketScenario/AliceBucket/AppAccessPoint/Reader/ServiceRole', 'app-vpc-access-point-test', 'VPC', 'app/', 'READ', true],
      ['user', 'SharedBucketScenario/Bob', 'bob-access-point-test', 'Internet', 'Bob/', 'READ_WRITE', true],
    ]);
    expect(bucket.grants[1].principal.name).toBe('Bob');
    expect(bucket.grants[0].vpc).toEqual({ path: 'SharedBucketScenario/AppVpc', id: expect.stringMatching(/^\$\{AppVpc\w+\}$/) });
    expect(bucket.direct).toEqual([]);
    expect(markdown).toContain('| user SharedBucketScenario/Bob | `bob-access-point-test` | Internet | `Bob/` | READ_WRITE |');
    expect(markdown).toContain('```mermaid');
    // reader 4 actions and Bob 7, each inside and outside the folder; Bob, the reader and the flow
    // logs role asked get, put, delete and list on the bucket
    await expectProven(report, [stack], { grantRows: 2, directRows: 0, requests: 2 * (4 + 7) + 3 * 4 });
  }, PROOF_TIMEOUT);

  test('the strict scenario: a group\'s grant, SSE-KMS actions, proven for the group\'s member', async () => {
    const app = new App();
    const stack = buildStrictScenario(app);
    const { report } = synthReport(app);
    const [bucket] = report.buckets;
    const bob = bucket.grants.find(g => g.accessPoint === 'bob-access-point-test-strict')!;
    expect([bob.principal.kind, bob.principal.name, bob.kmsActions]).toEqual(['group', 'bob-uploaders', ['kms:Decrypt', 'kms:GenerateDataKey']]);
    await expectProven(report, [stack], { grantRows: 2, directRows: 0, requests: 34 });
  }, PROOF_TIMEOUT);

  test('denyDirectAccess off: the identities of the app whose own policies reach the bucket are listed as allowed', async () => {
    const { app, stack } = directAccessApp({}, false);
    const { report, markdown } = synthReport(app);
    const direct = report.buckets[0].direct;
    expect(direct.map(d => [d.principal.path, d.status])).toEqual([
      ['Scenario/Admin', 'allowed'],
      ['Scenario/Analyst', 'allowed'],
      ['Scenario/Auditor', 'allowed'],
      ['Scenario/Loader', 'allowed'],
      ['Scenario/Reporter', 'allowed'],
    ]);
    expect(direct.find(d => d.principal.path === 'Scenario/Auditor')!.actions).toEqual(['s3:ListBucket']);
    expect(direct.find(d => d.principal.path === 'Scenario/Reporter')!.actions).toEqual(['s3:GetObject']);
    expect(direct.find(d => d.principal.path === 'Scenario/Analyst')!.policies).toEqual(['AWS managed policy AmazonS3ReadOnlyAccess']);
    expect(direct.find(d => d.principal.path === 'Scenario/Loader')!.actions).toEqual(expect.arrayContaining(['s3:GetObject', 's3:ListBucket']));
    expect(markdown).toContain('| role Scenario/Admin | allowed | every data action |');
    expect(markdown).toContain('| role Scenario/Loader | allowed | s3:Get*, s3:List* |');
    // grants as in the scenario (22); listed: admin 4 probes, analyst 2, loader 2, reporter 1,
    // auditor 1; Bob, the reader and the operator 4 each
    await expectProven(report, [stack], { grantRows: 2, directRows: 5, requests: 22 + 10 + 3 * 4 });
  }, PROOF_TIMEOUT);

  test('denyDirectAccess on, nobody exempt: every direct principal is shown denied', async () => {
    const { app, stack } = directAccessApp({ denyDirectAccess: true }, false);
    const { report } = synthReport(app);
    expect(report.buckets[0].sharedBucket!.denyDirectAccess).toBe(true);
    expect(report.buckets[0].direct.map(d => d.status)).toEqual(['denied', 'denied', 'denied', 'denied', 'denied']);
    await expectProven(report, [stack], { grantRows: 2, directRows: 5, requests: 44 });
  }, PROOF_TIMEOUT);

  test('denyDirectAccess on, the admin exempt: the admin is shown exempt, the others denied', async () => {
    const { app, stack } = directAccessApp({ denyDirectAccess: true }, true);
    const { report } = synthReport(app);
    expect(report.buckets[0].sharedBucket!.directAccessPrincipals.map(p => p.path)).toEqual(['Scenario/Admin']);
    expect(report.buckets[0].direct.map(d => [d.principal.path, d.status])).toEqual([
      ['Scenario/Admin', 'exempt'],
      ['Scenario/Analyst', 'denied'],
      ['Scenario/Auditor', 'denied'],
      ['Scenario/Loader', 'denied'],
      ['Scenario/Reporter', 'denied'],
    ]);
    await expectProven(report, [stack], { grantRows: 2, directRows: 5, requests: 44 });
  }, PROOF_TIMEOUT);

  test('twenty tenants and a PER_USER_FOLDER group, delegated by name', async () => {
    const { app, stack } = tenantApp();
    const { report } = synthReport(app);
    const [bucket] = report.buckets;
    expect(bucket.sharedBucket!.accessPointArnPattern).toBe('arn:${AWS::Partition}:s3:us-east-1:123456789012:accesspoint/*-*');
    expect(bucket.grants.filter(g => g.folder === '${aws:username}/').map(g => g.principal.name)).toEqual(['members']);
    expect(bucket.grants.every(g => g.delegated)).toBe(true);
    // a grant written into a managed policy is reported for the identity that holds it
    expect(bucket.grants.find(g => g.accessPoint === 'tenant-00')!.principal).toEqual(expect.objectContaining({ kind: 'role', name: 'tenant-00', path: 'Tenants/Role-tenant-00' }));
    // 20 tenants x 7 actions and 2 members x 7, inside and outside; 22 identities x 4 actions on the bucket
    await expectProven(report, [stack], { grantRows: 21, directRows: 0, requests: 2 * (20 * 7 + 2 * 7) + 22 * 4 });
  }, PROOF_TIMEOUT);

  test('a cross-account access point: one report for every stack of the app; the undelegated account is shown refused', async () => {
    const { app, stacks } = crossAccountApp();
    const { report, markdown } = synthReport(app);
    expect(report.buckets.map(b => b.bucket)).toEqual(['access-point-test']);
    const grants = report.buckets[0].grants;
    expect(grants.map(g => [g.accessPoint, g.principal.name, g.folder, g.access, g.delegated])).toEqual([
      ['partner-access-point', 'analyst', 'partner/', 'READ', true],
      ['partner-access-point', 'writer', 'partner/', 'READ_WRITE', true],
      ['third-access-point', 'intruder', 'partner/', 'READ', false],
    ]);
    expect(report.buckets[0].sharedBucket).toMatchObject({
      partnerAccounts: ['222222222222'], partnerActions: ['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket', 's3:ListBucketVersions'],
    });
    expect(grants[1].refusedActions).toEqual(['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject']);
    expect(markdown).toContain('refused: the bucket policy does not delegate to this access point');
    expect(markdown).toContain('the bucket refuses `s3:AbortMultipartUpload`, `s3:ListMultipartUploadParts`, `s3:PutObject`');
    // the analyst's and the intruder's 4 actions and the writer's 7, inside and outside partner/;
    // the three roles asked 4 actions on the bucket
    await expectProven(report, stacks, { grantRows: 3, directRows: 0, requests: 2 * (4 + 7 + 4) + 3 * 4 });
  }, PROOF_TIMEOUT);

  test('the organization guardrails of the bucket are in its report, as written beside it', () => {
    const app = new App();
    const stack = new Stack(app, 'Guarded', { env: ENV });
    const shared = new SharedBucket(stack, 'Shared', { bucketName: 'access-point-test', delegation: AccessPointDelegation.accessPoints('tenant-*') });
    new AccessPointGuardrails(stack, 'Guardrails', {
      bucket: shared.bucket,
      accessPointNamePattern: 'tenant-*',
      administrators: [new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/deployer`)],
    });
    const { report, markdown, directory } = synthReport(app);
    const [bucket] = report.buckets;
    expect(bucket.bucket).toBe('access-point-test');
    expect(bucket.guardrails).toHaveLength(1);
    const [guardrails] = bucket.guardrails!;
    expect(guardrails.path).toBe('Guarded/Guardrails');
    expect(guardrails.targetIds).toBeUndefined();
    // the same documents as the files beside the report
    const [scpFile, rcpFile] = guardrails.files;
    expect(guardrails.serviceControlPolicy).toEqual(JSON.parse(fs.readFileSync(path.join(directory, scpFile), 'utf-8')));
    expect(guardrails.resourceControlPolicy).toEqual(JSON.parse(fs.readFileSync(path.join(directory, rcpFile), 'utf-8')));
    expect(markdown).toContain('### Organization guardrails');
    expect(markdown).toContain('`DenyCreateTrustedAccessPoint`');
    expect(markdown).toContain('RCP: `DenyDataOutsideTrustedAccessPoints`');
  });

  test('a bucket whose name CloudFormation generates is named by its construct path', () => {
    const app = new App();
    const stack = new Stack(app, 'Generated', { env: ENV });
    const shared = new SharedBucket(stack, 'Shared');
    shared.addUserAccessPoint('Bob', { identity: new iam.User(stack, 'Bob', { userName: 'bob' }) });
    const { report, markdown } = synthReport(app);
    expect(report.buckets.map(b => [b.bucket, b.name, b.arn])).toEqual([['Generated/Shared/Bucket', undefined, '${SharedBucketE0A46A06.Arn}']]);
    expect(markdown).toContain('## Bucket `Generated/Shared/Bucket`');
  });

  test('a TenantAccessPoint is one row, "each tenant", proven for every tenant in its own folder', async () => {
    const { app, stack } = tenantAccessPointApp();
    const { report, markdown } = synthReport(app);
    const [bucket] = report.buckets;
    expect(bucket.grants).toHaveLength(1);
    expect(bucket.grants[0]).toMatchObject({
      principal: { kind: 'tenants', path: 'Tenants/Shared/Tenants', tenantTag: 'tenant', memberTag: 'tenant-access-point-tenants=true' },
      accessPoint: 'tenants',
      folder: '${aws:PrincipalTag/tenant}/',
      access: 'READ_WRITE',
      delegated: true,
    });
    expect(markdown).toContain('each tenant of Tenants/Shared/Tenants (tagged tenant-access-point-tenants=true): folder named by its tenant tag');
    expect(bucket.direct.map(d => [d.principal.path, d.status])).toEqual([['Tenants/Admin', 'allowed']]);
    // 3 tenants x 7 actions, inside and outside their folder; the 5 roles (tenants, the tagged
    // role not added, the admin) asked 4 actions each on the bucket
    await expectProven(report, [stack], { grantRows: 1, directRows: 1, requests: 3 * 7 * 2 + 5 * 4 });
  }, PROOF_TIMEOUT);

  test('a report that disagrees with the policies fails the proof', async () => {
    const { app, stack } = directAccessApp({ denyDirectAccess: true }, true);
    const { report } = synthReport(app);
    const tamper = (edit: (bucket: any) => void): AccessReportDocument => {
      const copy = JSON.parse(JSON.stringify(report));
      edit(copy.buckets[0]);
      return copy;
    };
    const bob = (b: any) => b.grants.find((g: ReportGrant) => g.accessPoint === 'bob-access-point-test');
    const wrong = [
      // a wider folder than the policies allow
      tamper(b => { bob(b).folder = '*'; }),
      // an action the grant does not give
      tamper(b => { bob(b).actions.push('s3:DeleteObject'); }),
      // the wrong network: the VPC access point from the internet
      tamper(b => { b.grants.find((g: ReportGrant) => g.networkOrigin === 'VPC').networkOrigin = 'Internet'; }),
      // a denied principal shown as allowed, and an exempt one as denied
      tamper(b => { b.direct.find((d: any) => d.principal.path === 'Scenario/Loader').status = 'allowed'; }),
      tamper(b => { b.direct.find((d: any) => d.principal.path === 'Scenario/Admin').status = 'denied'; }),
      // a principal left out of the direct list
      tamper(b => { b.direct = b.direct.filter((d: any) => d.principal.path !== 'Scenario/Admin'); }),
    ];
    for (const tampered of wrong) {
      expect((await proveReport(tampered, [stack])).disagreements).not.toEqual([]);
    }
    expect((await proveReport(report, [stack])).disagreements).toEqual([]);
  }, PROOF_TIMEOUT);

  test('synthesizing twice writes the same report; a nested stage\'s stacks are in the root report only', () => {
    const app = new App();
    buildScenario(app);
    const stage = new Stage(app, 'Prod');
    buildStrictScenario(stage as App);
    const first = synthReport(app);
    const again = synthReport(app);
    const forced = app.synth({ force: true }).directory;
    expect(again.report).toEqual(first.report);
    expect(fs.readFileSync(path.join(forced, 'access-report.md'), 'utf-8')).toBe(first.markdown);
    expect(first.report.buckets.map(b => [b.bucket, b.stack])).toEqual([
      ['access-point-test', 'SharedBucketScenario'],
      ['access-point-test-strict', 'Prod/SharedBucketScenarioStrict'],
    ]);
    expect(fs.readdirSync(path.join(first.directory, stage.artifactId))).not.toContain('access-report.json');
    // deterministic: no absolute path, no time
    expect(first.markdown).not.toContain(first.directory);
    expect(JSON.stringify(first.report)).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
  });

  test('a bare Stack (its App made for it), env-agnostic, with the bucket name a parameter: what is known at synth, and tokens as references', () => {
    const stack = new Stack();
    const shared = new SharedBucket(stack, 'Shared', { bucketName: new CfnParameter(stack, 'BucketName').valueAsString });
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    new AccessPoint(stack, 'AccessPoint', { bucket: shared.bucket, accessPointName: 'readers' }).grantRead(reader, 'reports/');
    const { report } = synthReport(stack.node.root as App);
    const [bucket] = report.buckets;
    expect([bucket.bucket, bucket.name, bucket.arn]).toEqual(['Default/Shared/Bucket', undefined, '${SharedBucketE0A46A06.Arn}']);
    expect(bucket.sharedBucket!.delegatedAccounts).toEqual(['${AWS::AccountId}']);
    expect(bucket.grants).toEqual([expect.objectContaining({
      principal: { kind: 'role', path: 'Default/Reader', stack: 'Default', logicalId: 'ReaderF7BF189D', arn: '${ReaderF7BF189D.Arn}' },
      accessPoint: 'readers',
      folder: 'reports/',
      access: 'READ',
      delegated: true,
    })]);
  });

  test('the written report reads the synthesized templates, and agrees with the constructs resolved (what AccessReportGuard reads)', () => {
    const { app } = directAccessApp({}, false);
    // A stack created after the report's recorder: its template is read too. Its role reaches the
    // bucket only through a property override, which only the rendered resource shows.
    const later = new Stack(app, 'Later', { env: ENV });
    const late = new iam.Role(later, 'Late', { assumedBy: new iam.AccountRootPrincipal() });
    (late.node.defaultChild as iam.CfnRole).addPropertyOverride('Policies', [{
      PolicyName: 'override',
      PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::access-point-test/*' }] },
    }]);
    const { report, directory } = synthReport(app);
    expect(report.buckets[0].direct.find(d => d.principal.path === 'Later/Late')).toMatchObject({
      actions: ['s3:GetObject'], policies: ['Later/Late (inline override)'], status: 'allowed',
    });
    const recorder = AccessReportRecorder.tryOf(app)!;
    expect(buildAccessReport(recorder, FROM_CONSTRUCTS)).toEqual(report);

    // The templates are what the report reads: a statement added to the written template shows up
    // from the templates only.
    const templateFile = path.join(directory, later.templateFile);
    const template = JSON.parse(fs.readFileSync(templateFile, 'utf-8'));
    template.Resources[later.getLogicalId(late.node.defaultChild as iam.CfnRole)].Properties.Policies[0].PolicyDocument.Statement[0].Action = ['s3:GetObject', 's3:PutObject'];
    fs.writeFileSync(templateFile, JSON.stringify(template));
    const fromTemplates = buildAccessReport(recorder, FROM_TEMPLATES).buckets[0].direct.find(d => d.principal.path === 'Later/Late')!;
    const fromConstructs = buildAccessReport(recorder, FROM_CONSTRUCTS).buckets[0].direct.find(d => d.principal.path === 'Later/Late')!;
    expect([fromTemplates.actions, fromConstructs.actions]).toEqual([['s3:GetObject', 's3:PutObject'], ['s3:GetObject']]);
  });

  test('buckets of two stacks with the same logical ID: a role reaches only its own stack\'s bucket', () => {
    const app = new App();
    const stackOf = (stage: string, withDirectRole: boolean) => {
      const stack = new Stack(new Stage(app, stage), 'Data', { env: ENV });
      const shared = new SharedBucket(stack, 'Shared', { bucketName: `${stage.toLowerCase()}-data` });
      if (withDirectRole) shared.bucket.grantRead(new iam.Role(stack, 'Loader', { assumedBy: new iam.AccountRootPrincipal() }));
      return stack;
    };
    stackOf('Dev', true);
    stackOf('Prod', false);
    const { report } = synthReport(app);
    expect(report.buckets.map(b => [b.bucket, b.direct.map(d => d.principal.path)])).toEqual([
      ['dev-data', ['Dev/Data/Loader']],
      ['prod-data', []],
    ]);
    expect(buildAccessReport(AccessReportRecorder.tryOf(app)!, FROM_CONSTRUCTS)).toEqual(report);
  });

  test('identities of other stacks that name the bucket by reference (its stack\'s exports, a nested stack\'s parameters) are found, and proven', async () => {
    for (const denyDirectAccess of [false, true]) {
      const app = new App();
      const data = new Stack(app, 'Data', { env: ENV });
      // A generated name: other stacks can name this bucket only by importing its ARN or its name.
      const shared = new SharedBucket(data, 'Shared', { denyDirectAccess });
      const consumers = new Stack(app, 'Consumers', { env: ENV });
      const role = (id: string) => new iam.Role(consumers, id, { assumedBy: new iam.AccountRootPrincipal() });
      shared.bucket.grantRead(role('Loader')); // imports the bucket's ARN
      const byName = `arn:${Aws.PARTITION}:s3:::${shared.bucket.bucketName}/drop/*`; // imports the bucket's name
      role('ByName').addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [byName] }));
      new s3.Bucket(consumers, 'Other').grantRead(role('Elsewhere')); // another bucket
      // A nested stack of the bucket's stack, and one nested in it, get the bucket's ARN as parameters.
      const nested = new NestedStack(data, 'Nested');
      shared.bucket.grantRead(new iam.Role(nested, 'NestedLoader', { assumedBy: new iam.AccountRootPrincipal() }));
      const deeper = new NestedStack(nested, 'Deeper');
      shared.bucket.grantWrite(new iam.Role(deeper, 'DeeperWriter', { assumedBy: new iam.AccountRootPrincipal() }));
      // A parameter of its own, given the bucket's ARN by a property override of the stack resource.
      const overridden = new NestedStack(data, 'Overridden');
      const target = new CfnParameter(overridden, 'Target', { default: 'arn:aws:s3:::decoy' });
      new iam.Role(overridden, 'OverriddenReader', { assumedBy: new iam.AccountRootPrincipal() })
        .addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [`${target.valueAsString}/*`] }));
      (overridden.nestedStackResource as CfnResource).addPropertyOverride('Parameters.Target', shared.bucket.bucketArn);
      const { report } = synthReport(app);
      const status = denyDirectAccess ? 'denied' : 'allowed';
      const direct = report.buckets[0].direct;
      expect(direct.map(d => [d.principal.path, d.status])).toEqual([
        ['Consumers/ByName', status], ['Consumers/Loader', status], ['Data/Nested/Deeper/DeeperWriter', status], ['Data/Nested/NestedLoader', status],
        ['Data/Overridden/OverriddenReader', status],
      ]);
      expect(direct[0]).toMatchObject({ actions: ['s3:PutObject'], resources: [expect.stringMatching(/^arn:aws:s3:::\$\{ImportValue:Data:ExportsOutputRefShared.*\}\/drop\/\*$/)] });
      expect(direct[1].actions).toEqual(expect.arrayContaining(['s3:GetObject', 's3:ListBucket']));
      expect(direct[1].resources).toEqual(expect.arrayContaining([expect.stringMatching(/^\$\{ImportValue:Data:ExportsOutputFnGetAttShared.*Arn.*\}\/\*$/)]));
      expect(buildAccessReport(AccessReportRecorder.tryOf(app)!, FROM_CONSTRUCTS)).toEqual(report);
      expect(direct[2].actions).toEqual(expect.arrayContaining(['s3:PutObject', 's3:DeleteObject']));
      expect(direct[3].resources).toEqual(expect.arrayContaining([expect.stringMatching(/^\$\{referencetoData.*Arn\}\/\*$/)]));
      // The probes of the listed: Loader and NestedLoader GetObject and ListBucket, ByName PutObject,
      // DeeperWriter PutObject and DeleteObject, OverriddenReader GetObject, allowed unless denied;
      // Elsewhere, not listed, is asked the four direct probes and denied each.
      const tally = await proveReport(report, [data, nested, deeper, overridden, consumers]);
      expect(tally.disagreements).toEqual([]);
      expect({ directRows: tally.directRows, requests: tally.requests, allowed: tally.allowed })
        .toEqual({ directRows: 5, requests: 8 + 4, allowed: denyDirectAccess ? 0 : 8 });
    }
    // AccessReportGuard, which reads the constructs at validation, sees them too.
    const app = new App();
    const shared = new SharedBucket(new Stack(app, 'Data', { env: ENV }), 'Shared');
    shared.bucket.grantRead(new iam.Role(new Stack(app, 'Consumers', { env: ENV }), 'Loader', { assumedBy: new iam.AccountRootPrincipal() }));
    Aspects.of(app).add(new AccessReportGuard());
    expect(() => app.synth()).toThrow(/AccessReportGuard: role Consumers\/Loader reaches the bucket Data\/Shared\/Bucket without an access point/);
  }, PROOF_TIMEOUT);

  test('a bucket in a nested stack is found in the policies of its parent and of other stacks, and proven', async () => {
    const app = new App();
    const data = new Stack(app, 'Data', { env: ENV });
    const nested = new NestedStack(data, 'Storage');
    const shared = new SharedBucket(nested, 'Shared');
    const parentRole = new iam.Role(data, 'ParentReader', { assumedBy: new iam.AccountRootPrincipal() });
    shared.bucket.grantRead(parentRole); // the nested stack's output
    const consumers = new Stack(app, 'Consumers', { env: ENV });
    shared.bucket.grantPut(new iam.Role(consumers, 'Uploader', { assumedBy: new iam.AccountRootPrincipal() })); // the parent's export of that output
    new s3.Bucket(nested, 'Other').grantRead(new iam.Role(consumers, 'OtherReader', { assumedBy: new iam.AccountRootPrincipal() })); // another bucket
    const { report } = synthReport(app);
    expect(report.buckets[0].direct.map(d => [d.principal.path, d.status])).toEqual([['Consumers/Uploader', 'allowed'], ['Data/ParentReader', 'allowed']]);
    expect(report.buckets[0].direct[1].resources).toEqual(expect.arrayContaining([expect.stringMatching(/^\$\{StorageNestedStack.*\.Outputs\..*Arn\}\/\*$/)]));
    expect(buildAccessReport(AccessReportRecorder.tryOf(app)!, FROM_CONSTRUCTS)).toEqual(report);
    // Uploader: PutObject; ParentReader: GetObject and ListBucket; OtherReader, not listed: the four direct probes, denied
    await expectProven(report, [data, nested, consumers], { grantRows: 0, directRows: 2, requests: 3 + 4 });
  }, PROOF_TIMEOUT);

  test('stacks of the same names in two Regions: each bucket lists only the identities of its own Region', async () => {
    const app = new App();
    const regions = ['us-east-1', 'eu-west-1'].map(region => {
      const env = { account: ACCOUNT, region };
      // The same stack names, so the same export names, in each Region.
      const data = new Stack(app, `Data-${region}`, { env, stackName: 'Data' });
      const shared = new SharedBucket(data, 'Shared', { bucketName: `data-${region}` });
      const consumers = new Stack(app, `Consumers-${region}`, { env, stackName: 'Consumers' });
      shared.bucket.grantRead(new iam.Role(consumers, 'Loader', { assumedBy: new iam.AccountRootPrincipal() }));
      new iam.Role(consumers, 'Bystander', { assumedBy: new iam.AccountRootPrincipal() });
      return { region, stacks: [data, consumers] };
    });
    const { report } = synthReport(app);
    expect(report.buckets.map(b => [b.bucket, b.direct.map(d => d.principal.path)])).toEqual([
      ['data-eu-west-1', ['Consumers-eu-west-1/Loader']],
      ['data-us-east-1', ['Consumers-us-east-1/Loader']],
    ]);
    expect(buildAccessReport(AccessReportRecorder.tryOf(app)!, FROM_CONSTRUCTS)).toEqual(report);
    for (const { region, stacks } of regions) {
      const ofRegion = { ...report, buckets: report.buckets.filter(b => b.bucket === `data-${region}`) };
      // Loader's GetObject and ListBucket; Bystander, not listed: the four direct probes, denied
      await expectProven(ofRegion, stacks, { grantRows: 0, directRows: 1, requests: 2 + 4 });
    }
  }, PROOF_TIMEOUT);

  test('ARNs written with Fn::Sub are read, and proven', async () => {
    const app = new App();
    const stack = new Stack(app, 'Data', { env: ENV });
    const shared = new SharedBucket(stack, 'Shared');
    const role = (id: string, action: string, resource: string) => new iam.Role(stack, id, { assumedBy: new iam.AccountRootPrincipal() })
      .addToPolicy(new iam.PolicyStatement({ actions: [action], resources: [resource] }));
    role('SubArn', 's3:GetObject', Fn.sub('${Arn}/reports/*', { Arn: shared.bucket.bucketArn }));
    role('SubName', 's3:ListBucket', Fn.sub('arn:${AWS::Partition}:s3:::${Name}', { Name: shared.bucket.bucketName }));
    role('SubLiteral', 's3:GetObject', Fn.sub('arn:${AWS::Partition}:s3:::${!Name}/*')); // the text ${Name}: no bucket of the app
    const { report } = synthReport(app);
    expect(report.buckets[0].direct.map(d => [d.principal.path, d.actions, d.resources])).toEqual([
      ['Data/SubArn', ['s3:GetObject'], [expect.stringMatching(/^\$\{SharedBucket\w+\.Arn\}\/reports\/\*$/)]],
      ['Data/SubName', ['s3:ListBucket'], [expect.stringMatching(/^arn:aws:s3:::\$\{SharedBucket\w+\}$/)]],
    ]);
    // SubArn's GetObject, SubName's ListBucket; SubLiteral, not listed: the four direct probes, denied
    await expectProven(report, [stack], { grantRows: 0, directRows: 2, requests: 2 + 4 });
  }, PROOF_TIMEOUT);

  test('export names are read as each stack deploys them; names made from parameters are never matched', async () => {
    const app = new App();
    const reader = (stack: Stack, resource: string) => new iam.Role(stack, 'Loader', { assumedBy: new iam.AccountRootPrincipal() })
      .addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [resource] }));
    const exporting = (id: string, exportName: (stack: Stack) => string) => {
      const stack = new Stack(app, id, { env: ENV });
      const shared = new SharedBucket(stack, 'Shared', { bucketName: `bucket-${id.toLowerCase()}` });
      new CfnOutput(stack, 'BucketArn', { value: shared.bucket.bucketArn, exportName: exportName(stack) });
      return stack;
    };
    // A exports "A-arn" (its own stack name), B exports "C-arn"; C imports "${AWS::StackName}-arn", i.e. "C-arn": B's bucket.
    const a = exporting('A', () => Fn.sub('${AWS::StackName}-arn'));
    const b = exporting('B', () => 'C-arn');
    const c = new Stack(app, 'C', { env: ENV });
    reader(c, `${Fn.importValue(Fn.sub('${AWS::StackName}-arn'))}/*`);
    // P1 and P2 export "${Prefix}-arn" with parameters of their own; D imports its own "${Prefix}-arn":
    // which bucket that is depends on the values given at deployment, so neither is listed.
    const prefixed = (stack: Stack) => `${new CfnParameter(stack, 'Prefix', { default: 'same' }).valueAsString}-arn`;
    exporting('P1', prefixed);
    exporting('P2', prefixed);
    const d = new Stack(app, 'D', { env: ENV });
    reader(d, `${Fn.importValue(prefixed(d))}/*`);

    const { report } = synthReport(app);
    expect(report.buckets.map(bucket => [bucket.bucket, bucket.direct.map(row => row.principal.path)])).toEqual([
      ['bucket-a', []],
      ['bucket-b', ['C/Loader']],
      ['bucket-p1', []],
      ['bucket-p2', []],
    ]);
    expect(report.buckets[1].direct[0].resources).toEqual(['${ImportValue:C-arn}/*']);
    expect(buildAccessReport(AccessReportRecorder.tryOf(app)!, FROM_CONSTRUCTS)).toEqual(report);
    // C/Loader's GetObject on bucket-b; A's and B's stacks have no other principal: C/Loader is also asked of bucket-a, denied
    const ofBuckets = (...names: string[]) => ({ ...report, buckets: report.buckets.filter(bucket => names.includes(bucket.bucket)) });
    await expectProven(ofBuckets('bucket-a', 'bucket-b'), [a, b, c], { grantRows: 0, directRows: 1, requests: 1 + 4 });
  }, PROOF_TIMEOUT);

  test('identities in a nested stack are read from its own template', () => {
    const { app, stack } = directAccessApp({}, false);
    const nested = new NestedStack(stack, 'Nested');
    const role = new iam.Role(nested, 'NestedReader', { assumedBy: new iam.AccountRootPrincipal() });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::access-point-test/nested/*'] }));
    const { report, directory } = synthReport(app);
    expect(report.buckets[0].direct.find(d => d.principal.path === 'Scenario/Nested/NestedReader')).toMatchObject({
      actions: ['s3:GetObject'], resources: ['arn:aws:s3:::access-point-test/nested/*'], policies: ['Scenario/Nested/NestedReader/DefaultPolicy'],
    });
    const recorder = AccessReportRecorder.tryOf(app)!;
    expect(buildAccessReport(recorder, FROM_CONSTRUCTS)).toEqual(report);
    // read from the nested stack's own template file: a change there shows up
    const templateFile = path.join(directory, nested.templateFile);
    fs.writeFileSync(templateFile, fs.readFileSync(templateFile, 'utf-8').replace('access-point-test/nested/*', 'access-point-test/edited/*'));
    expect(buildAccessReport(recorder, FROM_TEMPLATES).buckets[0].direct.find(d => d.principal.path === 'Scenario/Nested/NestedReader')!.resources)
      .toEqual(['arn:aws:s3:::access-point-test/edited/*']);
  });

  test('an App with a synthesis of its own, attached before or after the library\'s constructs, keeps it and gets the report', () => {
    for (const attach of ['before', 'after']) {
      const app = new App();
      const synthesized: string[] = [];
      const own = () => attachCustomSynthesis(app, { onSynthesize: session => synthesized.push(session.outdir) });
      if (attach === 'before') own();
      buildScenario(app);
      if (attach === 'after') own();
      const { report, directory } = synthReport(app);
      expect(synthesized).toEqual([directory]);
      expect(report.buckets.map(b => [b.bucket, b.grants.length])).toEqual([['access-point-test', 2]]);
    }
  });

  test('only templates written by this synthesis are read: stacks after the report\'s recorder, and stale files, are resolved', () => {
    // A synthesizer that writes the template, then adds a statement to the file that no construct has.
    class Edited extends DefaultStackSynthesizer {
      public synthesize(session: ISynthesisSession): void {
        super.synthesize(session);
        const file = path.join(session.outdir, this.boundStack.templateFile);
        const template = JSON.parse(fs.readFileSync(file, 'utf-8'));
        const ghost = { Type: 'AWS::IAM::User', Properties: { Policies: [{ PolicyName: 'ghost', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] } }] } };
        template.Resources = { ...template.Resources, Ghost: ghost };
        fs.writeFileSync(file, JSON.stringify(template));
      }
    }
    /** Writes no template at all (e.g. it emits elsewhere). */
    class NoTemplate extends DefaultStackSynthesizer {
      public synthesize(_session: ISynthesisSession): void {}
    }
    const ghosts = (report: AccessReportDocument) => report.buckets[0].direct.map(d => d.principal.path).filter(p => p?.endsWith('/Ghost'));
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-'));
    const first = new App({ outdir });
    buildScenario(first);
    new Stack(first, 'Before', { env: { account: ACCOUNT, region: REGION }, synthesizer: new Edited() });
    expect(ghosts(synthReport(first).report)).toEqual([]);

    const app = new App({ outdir });
    const before = new Stack(app, 'Before', { env: { account: ACCOUNT, region: REGION }, synthesizer: new Edited() });
    new iam.Role(before, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    buildScenario(app); // creates the recorder
    new Stack(app, 'After', { env: { account: ACCOUNT, region: REGION }, synthesizer: new Edited() });
    // A clock a minute behind, so that reading Before's template does not depend on how fast this machine synthesizes.
    const { report } = withClock(Date.now() - 60_000, () => synthReport(app));
    // Before's template, written by this synthesis, is read; After's is written only after the report
    expect(ghosts(report)).toEqual(['Before/Ghost']);

    // The same outdir again, with Before's template left from the last synthesis: it is not read.
    const next = new App({ outdir });
    new iam.Role(new Stack(next, 'Before', { env: { account: ACCOUNT, region: REGION }, synthesizer: new NoTemplate() }), 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    buildScenario(next);
    expect(ghosts(synthReport(next).report)).toEqual([]);

    // Left by an earlier synthesis in the very millisecond this one starts (file times are finer than Date.now()).
    const sameMillisecond = new App({ outdir });
    new Stack(sameMillisecond, 'Before', { env: { account: ACCOUNT, region: REGION }, synthesizer: new NoTemplate() });
    buildScenario(sameMillisecond);
    const start = Date.now();
    fs.utimesSync(path.join(outdir, 'Before.template.json'), new Date(start), (start + 0.5) / 1000);
    expect(fs.statSync(path.join(outdir, 'Before.template.json')).mtimeMs).toBeGreaterThan(start);
    expect(ghosts(withClock(start, () => synthReport(sameMillisecond)).report)).toEqual([]);
  });

  test('an app without SharedBucket or access points gets no report', () => {
    const app = new App();
    new iam.Role(new Stack(app, 'Plain'), 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    expect(fs.readdirSync(app.synth().directory)).not.toContain('access-report.json');
  });
});

describe('AccessReportGuard', () => {
  test('fails synth on direct access nobody acknowledged, naming the principal, the bucket and the policy', () => {
    const { app } = directAccessApp({}, false);
    Aspects.of(app).add(new AccessReportGuard());
    expect(() => app.synth()).toThrow(/AccessReportGuard: role Scenario\/Admin reaches the bucket access-point-test without an access point \(.*s3:GetObject.* from Scenario\/Admin\/DefaultPolicy\)/);
  });

  test('acknowledged principals pass; the one left out still fails', () => {
    const { app, admin, loader, reporter, analyst } = directAccessApp({}, false);
    Aspects.of(app).add(new AccessReportGuard({ acknowledgedDirectAccess: [admin, loader, reporter, analyst] }));
    expect(() => app.synth()).toThrow(/user Scenario\/Auditor reaches the bucket access-point-test/);
    const acknowledged = directAccessApp({}, false);
    Aspects.of(acknowledged.app).add(new AccessReportGuard({
      acknowledgedDirectAccess: [
        acknowledged.admin, acknowledged.loader, acknowledged.reporter, acknowledged.analyst,
        new iam.ArnPrincipal('arn:aws:iam::123456789012:user/auditor'),
      ],
    }));
    expect(() => acknowledged.app.synth()).not.toThrow();
  });

  test('with denyDirectAccess, denied principals are no finding; an exempt one must be acknowledged', () => {
    const denied = directAccessApp({ denyDirectAccess: true }, false);
    Aspects.of(denied.app).add(new AccessReportGuard());
    expect(() => denied.app.synth()).not.toThrow();
    const exempt = directAccessApp({ denyDirectAccess: true }, true);
    Aspects.of(exempt.app).add(new AccessReportGuard());
    expect(() => exempt.app.synth()).toThrow(/role Scenario\/Admin reaches the bucket/);
  });
});
