import { Aspects, attachCustomSynthesis } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { writeAccessReport } from './writer';
import type { IAccessPoint } from '../access-point';
import { ActionSet, ActionSets, DelegationConditions } from '../policy';

/**
 * One grant through an access point, as the constructs of this library make it. New constructs
 * report their grants with `recordGrant`.
 */
export interface GrantRecord {
  /** The access point the grant goes through (created or imported). */
  readonly accessPoint: IAccessPoint;
  /** The principal granted; absent for a tag-scoped grant to every tenant (see `tenants`). */
  readonly principal?: iam.IPrincipal;
  /**
   * A grant to every tenant of a TenantAccessPoint: each principal carrying the membership tag
   * reaches the folder named by its `tenantTag` tag.
   */
  readonly tenants?: TenantsRecord;
  /**
   * The identity construct behind `principal`, when the principal is not the construct itself
   * (e.g. a principal that writes into a managed policy attached to a role).
   */
  readonly identity?: IConstruct;
  /** The folder, ending in `/` (or `${aws:username}/`); undefined for every key. */
  readonly prefix?: string;
  /** The access level's name (READ, READ_WRITE, ...). */
  readonly access: string;
  /** The S3 actions granted. */
  readonly actions: string[];
  /** The KMS actions granted on the bucket's key. */
  readonly kmsActions: string[];
}

/** The tenants of a TenantAccessPoint, as one grant row. */
export interface TenantsRecord {
  /** The TenantAccessPoint. */
  readonly owner: IConstruct;
  /** The principal tag whose value names each tenant's folder. */
  readonly tenantTag: string;
  /** The tag (key=value) that makes a principal a tenant. */
  readonly memberTag: string;
}

/** An access point created by this library. */
export interface AccessPointRecord {
  readonly accessPoint: IAccessPoint;
  /** The VPC of a VPC-origin access point. */
  readonly vpc?: ec2.IVpc;
}

/** The organization policies an AccessPointGuardrails wrote for a bucket. */
export interface GuardrailsRecord {
  /** The AccessPointGuardrails. */
  readonly owner: IConstruct;
  readonly bucket: s3.IBucket;
  readonly serviceControlPolicy: iam.PolicyDocument;
  readonly resourceControlPolicy: iam.PolicyDocument;
  /** The files written beside the report. */
  readonly files: string[];
  readonly targetIds?: string[];
}

/** What a SharedBucket wrote into its bucket policy. */
export interface BucketPolicyRecord {
  /** The SharedBucket. */
  readonly owner: IConstruct;
  readonly bucket: s3.IBucket;
  readonly delegation: DelegationConditions;
  readonly denyDirectAccess: boolean;
  readonly directAccessPrincipals: iam.IPrincipal[];
}

const RECORDER_ID = 'SharedBucketAccessReport';
const RECORDER_SYMBOL = Symbol.for('cdk-shared-bucket.AccessReportRecorder');

/**
 * What the app's SharedBuckets and access points granted, kept at the root of the construct tree
 * (one per app, whatever the stacks and stages), and written into the cloud assembly at synth.
 */
export class AccessReportRecorder extends Construct {
  /** The recorder of `scope`'s app, created on first use. */
  public static of(scope: IConstruct): AccessReportRecorder {
    const root = scope.node.root;
    const existing = root.node.tryFindChild(RECORDER_ID) as AccessReportRecorder | undefined;
    if (existing && (existing as any)[RECORDER_SYMBOL]) return existing;
    return new AccessReportRecorder(root as Construct, RECORDER_ID);
  }

  /** The recorder of `scope`'s app, if anything was recorded. */
  public static tryOf(scope: IConstruct): AccessReportRecorder | undefined {
    const existing = scope.node.root.node.tryFindChild(RECORDER_ID);
    return existing && (existing as any)[RECORDER_SYMBOL] ? existing as AccessReportRecorder : undefined;
  }

  public readonly grants: GrantRecord[] = [];
  public readonly accessPoints: AccessPointRecord[] = [];
  public readonly bucketPolicies: BucketPolicyRecord[] = [];
  public readonly guardrails: GuardrailsRecord[] = [];

  /** Templates written from this time on (ms) are the synthesis under way's (set by an aspect); undefined before the first. */
  private templatesWrittenSince?: number;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    Object.defineProperty(this, RECORDER_SYMBOL, { value: true });
    // Aspects run at the start of every synthesis: the templates written since are this synthesis's.
    // The next whole millisecond: a file of an earlier synthesis, written in the millisecond this
    // one starts, has a file time (finer than Date.now()) at or after Date.now().
    Aspects.of(this).add({ visit: node => { if (node === this) this.templatesWrittenSince = Date.now() + 1; } });
    // Visited once per synthesis of the root (nested stages are synthesized separately, without
    // the root's constructs), so the report is written once, at the root of the cloud assembly.
    // aws-cdk-lib synthesizes nested stages first, then the root's children in order: the stacks
    // created before this recorder have written their templates, which the report reads instead of
    // resolving their IAM resources again; the others are resolved.
    attachCustomSynthesis(this, {
      onSynthesize: session => writeAccessReport(this, session.outdir, { templatesWrittenSince: this.templatesWrittenSince }),
    });
  }
}

/** Record a grant through an access point, for the access report. */
export function recordGrant(scope: IConstruct, grant: GrantRecord): void {
  AccessReportRecorder.of(scope).grants.push(grant);
}

/** Record an access point created by this library, for the access report. */
export function recordAccessPoint(scope: IConstruct, accessPoint: AccessPointRecord): void {
  AccessReportRecorder.of(scope).accessPoints.push(accessPoint);
}

/** Record what a SharedBucket wrote into its bucket policy, for the access report. */
export function recordBucketPolicy(scope: IConstruct, policy: BucketPolicyRecord): void {
  AccessReportRecorder.of(scope).bucketPolicies.push(policy);
}

/** Record the SCP and RCP of an AccessPointGuardrails, for the access report. */
export function recordGuardrails(scope: IConstruct, guardrails: GuardrailsRecord): void {
  AccessReportRecorder.of(scope).guardrails.push(guardrails);
}

/** The name of the access level an action set stands for (READ, READ_WRITE, ...). */
export function accessLevelName(actions: ActionSet): string {
  const same = (a: string[], b: string[]) => a.length === b.length && a.every(x => b.includes(x));
  const match = Object.entries(ActionSets)
    .find(([, set]) => same(set.objectActions, actions.objectActions) && same(set.listActions, actions.listActions));
  return match ? match[0] : [...actions.objectActions, ...actions.listActions].join(' ');
}
