/**
 * TEST-ONLY access model, part 3: decide one S3 request against a world.
 *
 * Implements docs/aws-rules.md sections 2 and 4 on top of @cloud-copilot/iam-simulate (AGPL; used only
 * under test/, never from src/), which evaluates ONE resource policy per call and knows nothing
 * about access points. So a request is split into legs, each one `runSimulation` call:
 *
 *  0. network origin (S3 rule, before any policy): a VPC-origin access point rejects every request
 *     that does not come from its VPC through a VPC endpoint in that VPC.
 *  1. access-point leg (path = access point): resource = access point ARN, or
 *     `accesspoint/NAME/object/KEY`; identity policies + access point policy + endpoint policy.
 *  2. bucket leg: resource = bucket ARN or `arn:aws:s3:::BUCKET/KEY`; identity policies + bucket policy
 *     + endpoint policy (the endpoint policy must allow BOTH ARNs: section 4). The access point context
 *     keys are aliased here (see policies.ts), because iam-simulate drops them for bucket ARNs.
 *  3. kms leg(s), only for `encrypted` requests: identity policies + key policy, for the KMS actions
 *     S3 calls on the caller's behalf (section 6).
 *
 * Each leg applies normal IAM logic (explicit deny wins; same account: identity OR resource policy;
 * cross account: both). Every leg must allow; the strictest result wins. Any simulator validation
 * error or dropped ("ignored") context key throws: a silently different request would prove nothing.
 */
import {
  getDenialReasons,
  getGrantReasons,
  runSimulation,
  type RequestAnalysis,
  type RequestDenial,
  type RequestGrant,
  type Simulation,
} from '@cloud-copilot/iam-simulate';
import {
  accessPointKeyAliaser,
  aliasContext,
  aliasPolicy,
  endpointPolicyFor,
  kmsKeyAliaser,
  requestPrincipalArn,
} from './policies';
import { AccessPointInfo, BucketInfo, EndpointInfo, parseIamArn, PolicyDocument, PrincipalInfo, World } from './world';

export type Network = 'internet' | { readonly vpc: string; readonly endpoint: string };
export type RequestPath = 'bucket' | { readonly accessPoint: string };

export interface AccessRequest {
  /** IAM user ARN, IAM role ARN (evaluated as a session of the role) or assumed-role session ARN. */
  readonly principal: string;
  /** e.g. `s3:GetObject`, `s3:PutObject`, `s3:ListBucket`. */
  readonly action: string;
  /** Object key, for object actions. Without it the resource is the access point / bucket itself. */
  readonly key?: string;
  /** For `s3:ListBucket`: sets the `s3:prefix` context key. */
  readonly listPrefix?: string;
  /** For `s3:ListBucket`: sets the `s3:delimiter` context key (the S3 console lists with `/`). */
  readonly listDelimiter?: string;
  /** Through an access point (by name), or directly to the bucket. */
  readonly path: RequestPath;
  /** Bucket name for `path: 'bucket'`; defaults to the only bucket in the world. */
  readonly bucket?: string;
  /** Where the request comes from. `endpoint` is the endpoint ID, e.g. `vpce-<logicalId>`. */
  readonly network: Network;
  /** The object is SSE-KMS encrypted with the bucket's default key: adds the KMS leg(s). */
  readonly encrypted?: boolean;
  /** KMS actions for the kms leg; default: GetObject* -> kms:Decrypt, PutObject -> kms:GenerateDataKey. */
  readonly kmsActions?: readonly string[];
  /** Extra context for the S3 legs (e.g. `aws:SourceIp`). Keys the simulator does not know make evaluate() throw. */
  readonly extraContext?: Readonly<Record<string, string | string[]>>;
}

export interface EvaluateOptions {
  /**
   * Alias the access point context keys in the bucket leg (default true). Only tests of the harness
   * itself turn this off, to show that iam-simulate then drops the keys (and evaluate() throws).
   */
  readonly aliasAccessPointKeys?: boolean;

  /**
   * Stop at the first leg that denies (default false). `allowed` is the same either way (every leg
   * must allow), but `decision`, `decidingLeg`, `decidingSids` and `legs` may differ: a later leg
   * could deny explicitly. For large matrices; re-evaluate a disagreeing cell in full to report it.
   */
  readonly stopAtFirstDenial?: boolean;

  /**
   * AWS Organizations policies in force (default: none). SCPs apply to principals of the
   * organization's accounts, RCPs to resources of those accounts, in every leg; in the bucket leg
   * their access point keys are aliased like the other policies'.
   */
  readonly organizationPolicies?: OrganizationPolicies;
}

/** Organization policies for `EvaluateOptions.organizationPolicies` (one level: the accounts' own). */
export interface OrganizationPolicies {
  /** The organization's member accounts; default: the world's account. */
  readonly accounts?: readonly string[];
  /** Service control policies (the `FullAWSAccess` SCP every level has is added). */
  readonly scps?: readonly PolicyDocument[];
  /** Resource control policies (iam-simulate adds `RCPFullAWSAccess` itself). */
  readonly rcps?: readonly PolicyDocument[];
}

export type LegName = 'access-point' | 'bucket' | 'kms';
export type LegOutcome = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

export interface LegResult {
  readonly leg: LegName;
  readonly action: string;
  readonly resource: string;
  readonly resourceAccount: string;
  /** The caller as iam-simulate saw it. */
  readonly requestPrincipal: string;
  readonly result: LegOutcome;
  readonly identityPolicies: readonly string[];
  /** Label of the resource policy (`access point policy (NAME)`, `bucket policy (NAME)`, `key policy (ID)`). */
  readonly resourcePolicy: string;
  /** Label of the endpoint policy, when the request goes through an endpoint that has one. */
  readonly endpointPolicy?: string;
  /** The context as sent to iam-simulate (aliased keys included). */
  readonly context: Readonly<Record<string, string | string[]>>;
  readonly grants: readonly RequestGrant[];
  readonly denials: readonly RequestDenial[];
  /** Readable grant / denial reasons. */
  readonly reasons: readonly string[];
  /** Sids (or `#index`) of the statements that granted (Allowed) or explicitly denied (ExplicitlyDenied). */
  readonly sids: readonly string[];
  readonly analysis: RequestAnalysis;
}

export type DecisionKind = 'allowed' | 'denied: explicit' | 'denied: implicit' | 'denied: network origin';

export interface Decision {
  readonly allowed: boolean;
  readonly decision: DecisionKind;
  /** Which leg decided, and which statements (Sids), in words. */
  readonly decidedBy: string;
  readonly decidingLeg?: LegName | 'network-origin';
  /** Sids of the deciding statements (explicit denies; or every granting statement when allowed). */
  readonly decidingSids: readonly string[];
  readonly legs: readonly LegResult[];
  readonly request: AccessRequest;
}

/** Decide one request. */
export async function evaluate(world: World, request: AccessRequest, options: EvaluateOptions = {}): Promise<Decision> {
  const principal = findPrincipal(world, request.principal);
  const endpoint = findEndpoint(world, request.network);
  const ap = request.path === 'bucket' ? undefined : findAccessPoint(world, request.path.accessPoint);
  const bucket = findBucket(world, ap ? ap.bucket : request.bucket, ap);
  if (ap && ap.bucketAccount !== bucket.account) {
    throw new Error(`access model: access point ${ap.name} is for bucket ${ap.bucket} of account ${ap.bucketAccount}, but the world's bucket ${bucket.name} is in account ${bucket.account}`);
  }
  for (const v of [request.key, request.listPrefix]) {
    if (v !== undefined && v.includes('*')) {
      throw new Error(`access model: "${v}" contains "*", which iam-simulate treats as a wildcard resource; pick another test key`);
    }
  }

  // 0. Network origin (docs/aws-rules.md section 4): decided before any policy.
  if (ap && ap.networkOrigin === 'VPC' && (!endpoint || endpoint.vpcId !== ap.vpcId)) {
    const from = endpoint ? `VPC ${endpoint.vpcId} through ${endpoint.id}` : 'the internet';
    return {
      allowed: false,
      decision: 'denied: network origin',
      decidingLeg: 'network-origin',
      decidedBy: `network origin: access point ${ap.name} accepts only requests from VPC ${ap.vpcId} through a VPC endpoint; this one came from ${from}`,
      decidingSids: [],
      legs: [],
      request,
    };
  }

  const partition = world.partition;
  const simPrincipal = requestPrincipalArn(principal, partition);
  const identityContext: Record<string, string> = {
    'aws:PrincipalArn': principal.arn,
    'aws:PrincipalAccount': principal.account,
    'aws:PrincipalType': principal.kind === 'user' ? 'User' : 'AssumedRole',
    'aws:SecureTransport': 'true',
    ...(principal.kind === 'user' ? { 'aws:username': principal.name } : {}),
    ...Object.fromEntries(Object.entries(principal.tags).map(([key, value]) => [`aws:PrincipalTag/${key}`, value])),
  };
  const s3Context: Record<string, string | string[]> = {
    ...identityContext,
    ...(endpoint ? { 'aws:SourceVpc': endpoint.vpcId, 'aws:SourceVpce': endpoint.id } : {}),
    ...(request.listPrefix !== undefined ? { 's3:prefix': request.listPrefix } : {}),
    ...(request.listDelimiter !== undefined ? { 's3:delimiter': request.listDelimiter } : {}),
    ...request.extraContext,
  };
  // A Multi-Region Access Point: the bucket policy sees its ARN in s3:DataAccessPointArn (AWS's
  // example bucket policy delegates with `StringEquals s3:DataAccessPointArn MRAP_ARN`,
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/MultiRegionAccessPointPermissions.html),
  // and ASSUMED: s3:DataAccessPointAccount is its owner's account, and it has no network origin
  // (no VpcConfiguration), so s3:AccessPointNetworkOrigin is absent.
  const apContext: Record<string, string> = ap ? {
    's3:DataAccessPointArn': ap.arn,
    's3:DataAccessPointAccount': ap.account,
    ...(ap.multiRegion ? {} : { 's3:AccessPointNetworkOrigin': ap.networkOrigin }),
  } : {};
  const endpointDoc = endpoint?.policy ? endpointPolicyFor(endpoint.policy, principal, partition) : undefined;
  const endpointLabel = endpoint?.policy ? `endpoint policy (${endpoint.id})` : undefined;

  const legs: LegSpec[] = [];
  if (ap) {
    const apArn = simulatedAccessPointArn(ap, world.region);
    legs.push({
      leg: 'access-point',
      principal: simPrincipal,
      action: request.action,
      resource: request.key !== undefined ? `${apArn}/object/${request.key}` : apArn,
      resourceAccount: ap.account,
      identity: principal.policies.map((p) => ({ name: p.name, doc: p.document })),
      resourcePolicy: { label: `${ap.multiRegion ? 'Multi-Region ' : ''}access point policy (${ap.name})`, doc: ap.policy && multiRegionPolicy(ap, world.region) },
      endpoint: endpointDoc && { label: endpointLabel!, doc: endpointDoc },
      context: { ...s3Context, ...apContext },
    });
  }
  const alias: (d: PolicyDocument) => PolicyDocument = options.aliasAccessPointKeys === false
    ? (d) => d
    : (d) => aliasPolicy(d, accessPointKeyAliaser);
  // docs/aws-rules.md section 7: through an access point of another account than the bucket's, "all bucket
  // access is controlled by the bucket policy" (S3 user guide, cross-account access points). The
  // caller's identity policies were decided in the access-point leg; across accounts IAM logic would
  // also demand an identity Allow on the bucket ARN, which AWS does not ask for here. So the bucket leg
  // gets a stand-in identity Allow (explicit Denies of the real identity policies still apply).
  const crossAccountAccessPoint = ap !== undefined && ap.account !== bucket.account && principal.account !== bucket.account;
  const bucketIdentity = principal.policies.map((p) => ({ name: p.name, doc: alias(p.document) }));
  if (ap && crossAccountAccessPoint) bucketIdentity.push({ name: crossAccountStandInName(ap), doc: CROSS_ACCOUNT_STAND_IN });
  legs.push({
    leg: 'bucket',
    principal: simPrincipal,
    action: request.action,
    resource: request.key !== undefined ? `${bucket.arn}/${request.key}` : bucket.arn,
    resourceAccount: bucket.account,
    identity: bucketIdentity,
    resourcePolicy: { label: `bucket policy (${bucket.name})`, doc: bucket.policy && alias(bucket.policy) },
    endpoint: endpointDoc && { label: endpointLabel!, doc: alias(endpointDoc) },
    context: options.aliasAccessPointKeys === false
      ? { ...s3Context, ...apContext }
      : aliasContext({ ...s3Context, ...apContext }, accessPointKeyAliaser),
  });
  if (request.encrypted) legs.push(...kmsLegs(world, request, principal, simPrincipal, bucket, identityContext));
  if (options.organizationPolicies) {
    const org = options.organizationPolicies;
    const members = new Set(org.accounts ?? [world.account]);
    legs.forEach((spec, i) => {
      const aliasOrg = spec.leg === 'bucket' ? alias : (d: PolicyDocument) => d;
      legs[i] = {
        ...spec,
        scps: members.has(principal.account) ? (org.scps ?? []).map(aliasOrg) : [],
        rcps: members.has(spec.resourceAccount) ? (org.rcps ?? []).map(aliasOrg) : [],
      };
    });
  }

  const results: LegResult[] = [];
  for (const spec of legs) {
    const result = await simulateLeg(spec);
    results.push(result);
    if (options.stopAtFirstDenial && result.result !== 'Allowed') break;
  }
  return decide(request, results);
}

/**
 * The ARN the access point leg is simulated on. iam-simulate knows no resource type for a
 * Multi-Region Access Point ARN (`arn:aws:s3::ACCOUNT:accesspoint/ALIAS.mrap`, no Region: it
 * answers "no.resource.types"), so that leg is simulated on the same ARN with the world's Region
 * (an access point ARN it knows); the MRAP's own policy is rewritten the same way
 * (multiRegionPolicy), and the context keeps the real MRAP ARN.
 */
function simulatedAccessPointArn(ap: AccessPointInfo, region: string): string {
  return ap.multiRegion ? ap.arn.replace(/^(arn:[^:]+:s3:):/, `$1${region}:`) : ap.arn;
}

const multiRegionPolicies = new WeakMap<object, PolicyDocument>();

/** The policy of `ap` with its MRAP ARNs in the form its leg is simulated on (see simulatedAccessPointArn). */
function multiRegionPolicy(ap: AccessPointInfo, region: string): PolicyDocument {
  if (!ap.multiRegion || !ap.policy) return ap.policy!;
  const hit = multiRegionPolicies.get(ap.policy);
  if (hit) return hit;
  const rewritten = JSON.parse(JSON.stringify(ap.policy).split(ap.arn).join(simulatedAccessPointArn(ap, region)));
  multiRegionPolicies.set(ap.policy, rewritten);
  return rewritten;
}

/**
 * CopyObject and UploadPartCopy: S3 authorizes a read (`s3:GetObject`) of the source key through
 * the source's path and a write (`s3:PutObject`) of the destination key through the
 * destination's path; both must be allowed
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html). A copy source through
 * an access point is named by its access point object ARN, so each side has a path of its own.
 */
export interface CopyRequest {
  readonly principal: string;
  readonly network: Network;
  readonly source: { readonly path: RequestPath; readonly key: string; readonly bucket?: string };
  readonly destination: { readonly path: RequestPath; readonly key: string; readonly bucket?: string };
}

export interface CopyDecision {
  readonly allowed: boolean;
  /** The read of the source. */
  readonly read: Decision;
  /** The write of the destination. */
  readonly write: Decision;
}

/** Decide a copy: the read of the source AND the write of the destination. */
export async function evaluateCopy(world: World, request: CopyRequest, options: EvaluateOptions = {}): Promise<CopyDecision> {
  const side = (action: string, s: CopyRequest['source']): AccessRequest => ({
    principal: request.principal, network: request.network, action, key: s.key, path: s.path, bucket: s.bucket,
  });
  const read = await evaluate(world, side('s3:GetObject', request.source), options);
  const write = await evaluate(world, side('s3:PutObject', request.destination), options);
  return { allowed: read.allowed && write.allowed, read, write };
}

/** The stand-in identity policy of the bucket leg of a cross-account access point request (see evaluate). */
const CROSS_ACCOUNT_STAND_IN: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'BucketPolicyDecides', Effect: 'Allow', Action: '*', Resource: '*' }],
};

function crossAccountStandInName(ap: AccessPointInfo): string {
  return `(stand-in: ${ap.name} is a cross-account access point, its bucket policy decides)`;
}

/** One row of a matrix: a request and whether it should be allowed. */
export interface MatrixCell {
  readonly request: AccessRequest;
  readonly expected: boolean;
}

export interface MatrixResult {
  readonly decisions: readonly Decision[];
  /** formatCell() of every cell whose decision differs from `expected`. */
  readonly failures: readonly string[];
  readonly totalMs: number;
  readonly msPerCell: number;
}

/** Evaluate many cells; collects readable failures instead of stopping at the first. */
export async function evaluateMatrix(world: World, cells: readonly MatrixCell[], options: EvaluateOptions = {}): Promise<MatrixResult> {
  const start = performance.now();
  const decisions: Decision[] = [];
  const failures: string[] = [];
  for (const cell of cells) {
    const d = await evaluate(world, cell.request, options);
    decisions.push(d);
    if (d.allowed !== cell.expected) failures.push(formatCell(d, cell.expected));
  }
  const totalMs = performance.now() - start;
  return { decisions, failures, totalMs, msPerCell: cells.length ? totalMs / cells.length : 0 };
}

/** A readable, multi-line description of a decided cell (for failing assertions). */
export function formatCell(decision: Decision, expected?: boolean): string {
  const r = decision.request;
  const lines: string[] = [];
  const got = decision.allowed ? 'ALLOWED' : `DENIED (${decision.decision})`;
  lines.push(expected === undefined ? got : `expected ${expected ? 'ALLOWED' : 'DENIED'}, got ${got}`);
  lines.push(`  principal:  ${r.principal}`);
  lines.push(`  action:     ${r.action}${r.key !== undefined ? `  key: ${JSON.stringify(r.key)}` : ''}${r.listPrefix !== undefined ? `  prefix: ${JSON.stringify(r.listPrefix)}` : ''}${r.listDelimiter !== undefined ? `  delimiter: ${JSON.stringify(r.listDelimiter)}` : ''}${r.encrypted ? '  (SSE-KMS)' : ''}`);
  lines.push(`  path:       ${r.path === 'bucket' ? `bucket ${r.bucket ?? '(default)'}` : `access point ${r.path.accessPoint}`}`);
  lines.push(`  network:    ${r.network === 'internet' ? 'internet' : `VPC ${r.network.vpc} via ${r.network.endpoint}`}`);
  lines.push(`  decided by: ${decision.decidedBy}`);
  if (decision.decidingSids.length) lines.push(`  statements: ${decision.decidingSids.join(', ')}`);
  for (const leg of decision.legs) {
    lines.push(`  [${leg.leg}] ${leg.result}: ${leg.action} on ${leg.resource} (account ${leg.resourceAccount}) as ${leg.requestPrincipal}`);
    lines.push(`      policies: identity [${leg.identityPolicies.join(', ')}]; ${leg.resourcePolicy}${leg.endpointPolicy ? `; ${leg.endpointPolicy}` : ''}`);
    for (const reason of leg.reasons) lines.push(`      - ${reason}`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------

interface LegSpec {
  readonly leg: LegName;
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly resourceAccount: string;
  readonly identity: ReadonlyArray<{ readonly name: string; readonly doc: PolicyDocument }>;
  readonly resourcePolicy: { readonly label: string; readonly doc?: PolicyDocument };
  readonly endpoint?: { readonly label: string; readonly doc: PolicyDocument };
  readonly context: Record<string, string | string[]>;
  /** Organization policies that apply to this leg (see EvaluateOptions.organizationPolicies). */
  readonly scps?: readonly PolicyDocument[];
  readonly rcps?: readonly PolicyDocument[];
}

/** The SCP AWS attaches to every root, OU and account: without it a level allows nothing. */
export const FULL_AWS_ACCESS_SCP: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};

function kmsLegs(
  world: World, request: AccessRequest, principal: PrincipalInfo, simPrincipal: string, bucket: BucketInfo, identityContext: Record<string, string>,
): LegSpec[] {
  if (!bucket.kmsKeyArn) throw new Error(`access model: request is encrypted but bucket ${bucket.name} has no SSE-KMS default key in the template`);
  const key = world.keys.get(bucket.kmsKeyArn);
  if (!key) throw new Error(`access model: bucket ${bucket.name} encrypts with ${bucket.kmsKeyArn}, which is not a KMS key in the template (not modelled)`);
  const actions = request.kmsActions ?? defaultKmsActions(request.action);
  const encryptionContext = bucket.bucketKeyEnabled || request.key === undefined ? bucket.arn : `${bucket.arn}/${request.key}`;
  const context = aliasContext({
    ...identityContext,
    'aws:ViaAWSService': 'true',
    'kms:ViaService': `s3.${world.region}.amazonaws.com`,
    'kms:CallerAccount': principal.account,
    'kms:EncryptionContext:aws:s3:arn': encryptionContext,
  }, kmsKeyAliaser);
  return actions.map((action) => ({
    leg: 'kms' as const,
    principal: simPrincipal,
    action,
    resource: key.arn,
    resourceAccount: parseArnAccount(key.arn) ?? world.account,
    identity: principal.policies.map((p) => ({ name: p.name, doc: aliasPolicy(p.document, kmsKeyAliaser) })),
    resourcePolicy: { label: `key policy (${key.keyId})`, doc: key.policy && aliasPolicy(key.policy, kmsKeyAliaser) },
    context,
  }));
}

function defaultKmsActions(s3Action: string): string[] {
  const a = s3Action.toLowerCase();
  if (a === 's3:putobject') return ['kms:GenerateDataKey'];
  if (a.startsWith('s3:getobject') && !a.includes('acl') && !a.includes('tagging') && !a.includes('attributes')) return ['kms:Decrypt'];
  return [];
}

function parseArnAccount(arn: string): string | undefined {
  const parts = arn.split(':');
  return parts.length >= 6 && /^\d{12}$/.test(parts[4]) ? parts[4] : undefined;
}

function findPrincipal(world: World, arn: string): PrincipalInfo {
  const direct = world.principals.get(arn);
  if (direct) return direct;
  const session = /^arn:[^:]+:sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(arn);
  if (session) {
    const role = [...world.principals.values()].find((p) => p.kind === 'role' && p.account === session[1] && p.name === session[2]);
    if (role) return role;
  }
  const hint = parseIamArn(arn) ? '' : ' (expected an IAM user/role ARN or an assumed-role session ARN)';
  throw new Error(`access model: unknown principal ${arn}${hint}; known: ${[...world.principals.keys()].join(', ')}. Inject others as externalPrincipals.`);
}

function findEndpoint(world: World, network: Network): EndpointInfo | undefined {
  if (network === 'internet') return undefined;
  const e = world.endpoints.get(network.endpoint);
  if (!e) throw new Error(`access model: unknown VPC endpoint ${network.endpoint}; known: ${[...world.endpoints.keys()].join(', ') || '(none)'}`);
  if (e.vpcId !== network.vpc) throw new Error(`access model: endpoint ${e.id} is in ${e.vpcId}, not in ${network.vpc}`);
  if (!e.isS3) throw new Error(`access model: endpoint ${e.id} is for ${e.serviceName}, not S3`);
  return e;
}

function findAccessPoint(world: World, name: string): AccessPointInfo {
  const ap = world.accessPoints.get(name);
  if (!ap) throw new Error(`access model: unknown access point ${name}; known: ${[...world.accessPoints.keys()].join(', ') || '(none)'}`);
  return ap;
}

function findBucket(world: World, name: string | undefined, ap: AccessPointInfo | undefined): BucketInfo {
  if (name === undefined) {
    if (world.buckets.size !== 1) throw new Error(`access model: the world has ${world.buckets.size} buckets; name one in the request`);
    return [...world.buckets.values()][0];
  }
  const b = world.buckets.get(name);
  if (!b) throw new Error(`access model: bucket ${name}${ap ? ` (of access point ${ap.name})` : ''} is not in the template`);
  return b;
}

// ---- simulation with caches ------------------------------------------------------------------------

type PolicyKind = 'identity' | 'resource' | 'endpoint' | 'scp' | 'rcp';

/** Documents that iam-simulate has already validated, per policy kind, wrapped so it skips re-validation. */
const validated: Record<PolicyKind, WeakMap<object, object>> = {
  identity: new WeakMap(), resource: new WeakMap(), endpoint: new WeakMap(), scp: new WeakMap(), rcp: new WeakMap(),
};
const docIds = new WeakMap<object, number>();
const docIdsByContent = new Map<string, number>();
let nextDocId = 1;
/**
 * Leg results by everything that decides them (documents by content), shared by all worlds: matrices
 * over variants of one app (e.g. with and without denyDirectAccess) reuse the legs they have in common.
 */
const legCache = new Map<string, LegResult>();
const LEG_CACHE_LIMIT = 200_000;

function docId(doc: object | undefined): number {
  if (!doc) return 0;
  let id = docIds.get(doc);
  if (id === undefined) {
    const content = JSON.stringify(doc);
    id = docIdsByContent.get(content);
    if (id === undefined) docIdsByContent.set(content, id = nextDocId++);
    docIds.set(doc, id);
  }
  return id;
}

/**
 * The policy as passed to runSimulation: the raw document the first time (so iam-simulate validates it),
 * afterwards iam-policy's `ValidatedPolicy` shape with no errors, which runSimulation accepts instead of
 * validating again. Either way it goes through the same, validated entry point.
 */
function forSimulation(doc: PolicyDocument, kind: PolicyKind): any {
  return validated[kind].get(doc) ?? doc;
}

function markValidated(doc: PolicyDocument | undefined, kind: PolicyKind): void {
  if (doc && !validated[kind].has(doc)) validated[kind].set(doc, { __validated: true, policyDocument: doc, errors: [] });
}

async function simulateLeg(spec: LegSpec): Promise<LegResult> {
  const cache = legCache;
  if (cache.size >= LEG_CACHE_LIMIT) cache.clear();
  const cacheKey = JSON.stringify([
    spec.leg, spec.principal, spec.action, spec.resource, spec.resourceAccount,
    spec.identity.map((p) => [p.name, docId(p.doc)]),
    spec.resourcePolicy.label, docId(spec.resourcePolicy.doc),
    spec.endpoint?.label, docId(spec.endpoint?.doc),
    Object.entries(spec.context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    (spec.scps ?? []).map(docId), (spec.rcps ?? []).map(docId),
  ]);
  const hit = cache.get(cacheKey);
  if (hit) return hit;

  const simulation: Simulation = {
    request: {
      principal: spec.principal,
      action: spec.action,
      resource: { resource: spec.resource, accountId: spec.resourceAccount },
      contextVariables: spec.context,
    },
    identityPolicies: spec.identity.map((p) => ({ name: p.name, policy: forSimulation(p.doc, 'identity') })),
    serviceControlPolicies: spec.scps?.length ? [{
      orgIdentifier: 'member-account',
      policies: [FULL_AWS_ACCESS_SCP, ...spec.scps].map((doc, i) => ({ name: i === 0 ? 'FullAWSAccess' : `scp-${i}`, policy: forSimulation(doc, 'scp') })),
    }] : [],
    resourceControlPolicies: spec.rcps?.length ? [{
      orgIdentifier: 'member-account',
      policies: spec.rcps.map((doc, i) => ({ name: `rcp-${i + 1}`, policy: forSimulation(doc, 'rcp') })),
    }] : [],
    resourcePolicy: spec.resourcePolicy.doc ? forSimulation(spec.resourcePolicy.doc, 'resource') : undefined,
    vpcEndpointPolicies: spec.endpoint ? [{ name: spec.endpoint.label, policy: forSimulation(spec.endpoint.doc, 'endpoint') }] : undefined,
  };
  const where = `${spec.leg} leg (${spec.action} on ${spec.resource} as ${spec.principal})`;
  const response = await runSimulation(simulation, {});
  if (response.resultType === 'error') {
    throw new Error(`access model: iam-simulate rejected the ${where}: ${JSON.stringify(response.errors, null, 1)}`);
  }
  if (response.resultType !== 'single') {
    throw new Error(`access model: iam-simulate ran a ${response.resultType} simulation for the ${where}; expected a single resource`);
  }
  const ignored = response.result.ignoredContextKeys ?? [];
  if (ignored.length > 0) {
    throw new Error(
      `access model: iam-simulate ignored context keys [${ignored.join(', ')}] in the ${where}. `
      + 'It would evaluate a different request than the one described; alias the keys (policies.ts) or drop them.',
    );
  }
  spec.identity.forEach((p) => markValidated(p.doc, 'identity'));
  markValidated(spec.resourcePolicy.doc, 'resource');
  markValidated(spec.endpoint?.doc, 'endpoint');
  [FULL_AWS_ACCESS_SCP, ...spec.scps ?? []].forEach((doc) => markValidated(doc, 'scp'));
  (spec.rcps ?? []).forEach((doc) => markValidated(doc, 'rcp'));

  const analysis = response.result.analysis;
  const result = analysis.result;
  const grants = result === 'Allowed' ? getGrantReasons(analysis) : [];
  const denials = result === 'Allowed' ? [] : getDenialReasons(analysis);
  const reasons = [
    ...grants.map((g) => describeGrant(g, spec)),
    ...denials.map((d) => describeDenial(d, spec, analysis)),
  ];
  if (reasons.length === 0) reasons.push(result === 'Allowed' ? 'allowed (no grant reason reported)' : 'denied (no denial reason reported)');
  const sids = result === 'Allowed'
    ? grants.map((g) => sidOf(g.statementId, g.statementIndex))
    : denials.flatMap((d) => (d.denialType === 'Explicit' ? [sidOf(d.statementId, d.statementIndex)] : []));
  const legResult: LegResult = {
    leg: spec.leg,
    action: spec.action,
    resource: spec.resource,
    resourceAccount: spec.resourceAccount,
    requestPrincipal: spec.principal,
    result,
    identityPolicies: spec.identity.map((p) => p.name),
    resourcePolicy: spec.resourcePolicy.doc ? spec.resourcePolicy.label : `no ${spec.resourcePolicy.label.replace(/ \(.*$/, '')}`,
    endpointPolicy: spec.endpoint?.label,
    context: spec.context,
    grants,
    denials,
    reasons,
    sids: [...new Set(sids)],
    analysis,
  };
  cache.set(cacheKey, legResult);
  return legResult;
}

function sidOf(sid: string | undefined, index: number): string {
  return sid ? sid : `#${index}`;
}

function stmt(sid: string | undefined, index: number): string {
  return sid ? `statement Sid "${sid}"` : `statement #${index}`;
}

function describeGrant(g: RequestGrant, spec: LegSpec): string {
  switch (g.policyType) {
    case 'identity': return `allowed by identity policy ${g.policyIdentifier}, ${stmt(g.statementId, g.statementIndex)}`;
    case 'resource': return `allowed by ${spec.resourcePolicy.label}, ${stmt(g.statementId, g.statementIndex)}`;
    case 'vpce': return `endpoint allows: ${g.policyIdentifier}, ${stmt(g.statementId, g.statementIndex)}`;
    default: return `allowed by ${g.policyType} ${stmt(g.statementId, g.statementIndex)}`;
  }
}

function policyLabel(type: string, spec: LegSpec, identifier?: string): string {
  switch (type) {
    case 'identity': return identifier ? `identity policy ${identifier}` : 'identity policies';
    case 'resource': return spec.resourcePolicy.doc ? spec.resourcePolicy.label : `(no ${spec.resourcePolicy.label.replace(/ \(.*$/, '')})`;
    case 'vpce': return spec.endpoint?.label ?? 'endpoint policy';
    default: return identifier ? `${type} ${identifier}` : type;
  }
}

function describeDenial(d: RequestDenial, spec: LegSpec, analysis: RequestAnalysis): string {
  const blocking = d.blocking ? ' (blocks a request the other policies allow)' : '';
  if (d.denialType === 'Explicit') {
    return `explicit Deny in ${policyLabel(d.policyType, spec, d.policyIdentifier)}, ${stmt(d.statementId, d.statementIndex)}${blocking}`;
  }
  const what = policyLabel(d.policyType, spec);
  const cross = d.policyType === 'identity' || d.policyType === 'resource'
    ? (analysis.sameAccount ? '' : ' (cross-account: identity AND resource policy must allow)')
    : '';
  return `no Allow in ${what}${cross}${blocking}`;
}

function decide(request: AccessRequest, legs: LegResult[]): Decision {
  const decisive = legs.find((l) => l.result === 'ExplicitlyDenied') ?? legs.find((l) => l.result === 'ImplicitlyDenied');
  if (!decisive) {
    return {
      allowed: true,
      decision: 'allowed',
      decidedBy: legs.map((l) => `${l.leg} leg: ${l.reasons.join('; ')}`).join(' | '),
      decidingSids: [...new Set(legs.flatMap((l) => l.sids))],
      legs,
      request,
    };
  }
  return {
    allowed: false,
    decision: decisive.result === 'ExplicitlyDenied' ? 'denied: explicit' : 'denied: implicit',
    decidingLeg: decisive.leg,
    decidedBy: `${decisive.leg} leg (${decisive.action} on ${decisive.resource}): ${decisive.reasons.join('; ')}`,
    decidingSids: decisive.sids,
    legs,
    request,
  };
}
