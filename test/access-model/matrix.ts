/**
 * TEST-ONLY access model, part 4: helpers for access matrices (many cells, one assertion).
 *
 * - `accessPointActions()`: the S3 actions a request through an access point can carry, from the
 *   expansion of `s3:*` (iam-expand) and the resource types iam-simulate accepts for each action.
 * - `checkMatrix()`: evaluates every cell, compares it with the expectation written in the test, and
 *   returns every disagreement (formatted with formatCell, so each names the deciding statement).
 */
import { expandIamActions } from '@cloud-copilot/iam-expand';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { AccessRequest, Decision, evaluate, formatCell, LegName } from './evaluate';

/** The S3 actions of the matrices, split by the resource a request names. */
export interface AccessPointActions {
  /** Object-level: resource `accesspoint/NAME/object/KEY` (or `BUCKET/KEY` directly). */
  readonly object: readonly string[];
  /** Bucket-level: resource `accesspoint/NAME` (or the bucket ARN directly). */
  readonly bucket: readonly string[];
  /** Bucket-level actions that can be evaluated on the bucket ARN only (see below). */
  readonly bucketOnly: readonly string[];
  /** Every other action of `s3:*`, with the reason it is not in the matrices. */
  readonly excluded: ReadonlyMap<string, string>;
}

/**
 * S3 Control calls on the access point as a tagged resource (also on access grants and Storage
 * Lens groups): not requests made through an access point.
 */
const S3_CONTROL_TAGGING = new Set(['s3:ListTagsForResource', 's3:TagResource', 's3:UntagResource']);

/**
 * A permission S3 checks in addition to s3:DeleteObjectVersion / s3:PutObjectRetention when a
 * request carries `x-amz-bypass-governance-retention`; it never authorizes a request on its own,
 * and the actions it accompanies are in the matrices.
 */
const PERMISSION_ONLY = new Set(['s3:BypassGovernanceRetention']);

/**
 * ListMultipartUploads is listed as supported through access points (S3 API support page), but the
 * Service Authorization Reference gives `s3:ListBucketMultipartUploads` only the bucket resource
 * type, so iam-simulate cannot evaluate it on an access point ARN. AWS semantics through an access
 * point are unsettled here: it is evaluated on the bucket path only.
 */
const BUCKET_RESOURCE_ONLY = new Set(['s3:ListBucketMultipartUploads']);

let actionsCache: Promise<AccessPointActions> | undefined;

/**
 * Expand `s3:*` and keep what a request through an access point can carry. The filter, per action:
 *  - object-level: iam-simulate accepts it on `arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME/object/KEY`
 *    (resource type `accesspointobject`) and on `arn:aws:s3:::BUCKET/KEY` (`object`);
 *  - bucket-level: it accepts it on `arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME` (`accesspoint`) AND on
 *    `arn:aws:s3:::BUCKET` (`bucket`); actions on the access point alone (CreateAccessPoint,
 *    PutAccessPointPolicy, ...) manage the access point and are left out;
 *  - left out: replication-only and other bucket-only or account-level actions (not among the
 *    operations S3 supports through access points), S3 Control tagging, and the permission-only
 *    BypassGovernanceRetention;
 *  - ListBucketMultipartUploads: bucket path only (see BUCKET_RESOURCE_ONLY).
 */
export function accessPointActions(): Promise<AccessPointActions> {
  actionsCache ??= classifyActions();
  return actionsCache;
}

async function classifyActions(): Promise<AccessPointActions> {
  const all = (await expandIamActions('s3:*')).sort();
  const object: string[] = [];
  const bucket: string[] = [];
  const bucketOnly: string[] = [];
  const excluded = new Map<string, string>();
  for (const action of all) {
    const on = async (resource: string) => accepts(action, resource);
    const [apObject, bucketObject, ap, bucketArn] = await Promise.all([
      on('arn:aws:s3:us-east-1:123456789012:accesspoint/probe/object/key'),
      on('arn:aws:s3:::probe-bucket/key'),
      // (iam-simulate also accepts an object ARN for `accesspoint` actions: its name pattern spans "/")
      on('arn:aws:s3:us-east-1:123456789012:accesspoint/probe'),
      on('arn:aws:s3:::probe-bucket'),
    ]);
    if (PERMISSION_ONLY.has(action)) excluded.set(action, 'permission-only: never a request on its own');
    else if (S3_CONTROL_TAGGING.has(action)) excluded.set(action, 'S3 Control tagging of the access point as a resource');
    else if (BUCKET_RESOURCE_ONLY.has(action) && bucketArn) bucketOnly.push(action);
    else if (apObject && bucketObject && !ap) object.push(action);
    else if (ap && bucketArn) bucket.push(action);
    else if (ap) excluded.set(action, 'manages the access point itself (S3 Control)');
    else excluded.set(action, 'no access point resource type: not supported through access points');
  }
  return { object, bucket, bucketOnly, excluded };
}

async function accepts(action: string, resource: string): Promise<boolean> {
  const response = await runSimulation({
    request: { principal: 'arn:aws:iam::123456789012:user/probe', action, resource: { resource, accountId: '123456789012' }, contextVariables: {} },
    identityPolicies: [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  }, {});
  return response.resultType === 'single';
}

/** What a cell should decide. */
export interface Expectation {
  readonly allowed: boolean;
  /** When set, the leg that must decide a denial (e.g. the bucket leg for an undelegated access point). */
  readonly decidingLeg?: LegName | 'network-origin';
}

/** One cell: a request, and the expectation from the access model written in the test. */
export interface ExpectedCell {
  readonly request: AccessRequest;
  readonly expected: Expectation;
}

export interface MatrixReport {
  /** Cells evaluated. */
  readonly evaluated: number;
  /** Cells allowed by the evaluator (a sanity number: a matrix that allows nothing proves little). */
  readonly allowed: number;
  /** One formatCell() text per disagreement. */
  readonly failures: readonly string[];
  /** One line per disagreement (who, what, which path, which network, which statements decided). */
  readonly summary: readonly string[];
  readonly ms: number;
}

/** Evaluate every cell; never stops at the first disagreement. */
export async function checkMatrix(world: Parameters<typeof evaluate>[0], cells: readonly ExpectedCell[]): Promise<MatrixReport> {
  const start = performance.now();
  const failures: string[] = [];
  const summary: string[] = [];
  let allowed = 0;
  for (const cell of cells) {
    // Stopping at the first denying leg keeps `allowed` exact and saves most of the bucket legs of
    // cells an access point denies; cells that need the deciding leg, and every disagreement, are
    // evaluated in full.
    const full = cell.expected.decidingLeg !== undefined;
    let decision = await evaluate(world, cell.request, { stopAtFirstDenial: !full });
    if (decision.allowed) allowed++;
    let problem = disagreement(decision, cell.expected);
    if (problem && !full) {
      decision = await evaluate(world, cell.request);
      problem = disagreement(decision, cell.expected);
    }
    if (problem) {
      failures.push(`${problem}\n${formatCell(decision, cell.expected.allowed)}`);
      summary.push(summaryLine(problem, decision));
    }
  }
  return { evaluated: cells.length, allowed, failures, summary, ms: performance.now() - start };
}

function disagreement(decision: Decision, expected: Expectation): string | undefined {
  if (decision.allowed !== expected.allowed) return `--- ${expected.allowed ? 'wrongly denied' : 'wrongly allowed'}`;
  if (!expected.allowed && expected.decidingLeg && decision.decidingLeg !== expected.decidingLeg) {
    return `--- denied as expected, but by the ${decision.decidingLeg} leg instead of the ${expected.decidingLeg} leg`;
  }
  return undefined;
}

function summaryLine(problem: string, d: Decision): string {
  const r = d.request;
  const target = r.key !== undefined ? ` key ${JSON.stringify(r.key)}` : r.listPrefix !== undefined ? ` prefix ${JSON.stringify(r.listPrefix)}` : '';
  const path = r.path === 'bucket' ? 'bucket' : r.path.accessPoint;
  const network = r.network === 'internet' ? 'internet' : r.network.endpoint;
  const by = d.allowed ? `allowed by ${d.decidingSids.join(', ')}` : `${d.decision} by the ${d.decidingLeg} leg${d.decidingSids.length ? ` (${d.decidingSids.join(', ')})` : ''}`;
  return `${problem.replace(/^--- /, '')}: ${r.principal} ${r.action}${target} via ${path} from ${network}: ${by}`;
}

/** The failures of a matrix as one readable block (for the assertion message): a line per cell, then each cell in full. */
export function describeFailures(name: string, report: MatrixReport): string {
  if (report.failures.length === 0) return `${name}: every cell as expected`;
  return [
    `${name}: ${report.failures.length} of ${report.evaluated} cells disagree with the access model`,
    ...report.summary.map((line) => `  ${line}`),
    '',
    ...report.failures,
  ].join('\n');
}
