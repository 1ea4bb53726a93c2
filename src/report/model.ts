/**
 * The shape of `access-report.json`. Values that CloudFormation only knows at deploy time are
 * written as `${LogicalId.Attribute}`, `${LogicalId}` (a Ref) or `${AWS::Partition}`, so that the
 * report is the same for every synth of the same app.
 */

/** Who a row is about. */
export interface ReportPrincipal {
  /**
   * `role`, `user`, `group`; `tenants` for every tenant of a TenantAccessPoint (each in the folder
   * its `tenantTag` names); or `principal` for anything else (an ARN, an account, a service).
   */
  readonly kind: 'role' | 'user' | 'group' | 'tenants' | 'principal';
  /** Construct path of the identity (without `/Resource`), when it is a construct of the app. */
  readonly path?: string;
  /** The stack the identity is defined in (its construct path). */
  readonly stack?: string;
  /** Logical ID in its stack's template. */
  readonly logicalId?: string;
  /** The IAM name, when known at synth time. */
  readonly name?: string;
  /** The ARN (`aws:PrincipalArn`), as far as it is known at synth time. */
  readonly arn?: string;
  /** For `tenants`: the principal tag whose value names each tenant's folder. */
  readonly tenantTag?: string;
  /** For `tenants`: the tag (`key=value`) every tenant carries. */
  readonly memberTag?: string;
}

/** One access point of a bucket. */
export interface ReportAccessPoint {
  readonly name: string;
  readonly arn: string;
  readonly path?: string;
  readonly stack?: string;
  readonly networkOrigin: 'Internet' | 'VPC';
  readonly vpc?: { readonly path?: string; readonly id: string };
}

/** One grant the library wrote: a principal, a folder through an access point, an access level. */
export interface ReportGrant {
  readonly principal: ReportPrincipal;
  readonly accessPoint: string;
  readonly networkOrigin: 'Internet' | 'VPC';
  readonly vpc?: { readonly path?: string; readonly id: string };
  /** The folder, ending in `/` (or `${aws:username}/`); `*` for every key. */
  readonly folder: string;
  /** READ, WRITE, READ_WRITE, READ_WRITE_DELETE, DELETE or LIST. */
  readonly access: string;
  /** The S3 actions the grant allows in the folder. */
  readonly actions: string[];
  /** The KMS actions it allows on the bucket's key (SSE-KMS buckets). */
  readonly kmsActions: string[];
  /**
   * Whether the bucket policy delegates to the access point (its account, and its name when
   * delegation is by name). `false`: the bucket refuses every request through it, whatever the
   * grant says. Absent when no SharedBucket of the app manages the bucket policy.
   */
  readonly delegated?: boolean;
  /**
   * Granted actions the bucket policy refuses through this access point although it delegates to
   * it: an access point of another account carries only the delegation's access level
   * (`AccessPointDelegation.accounts(ids, { access })`). Empty when every action gets through.
   */
  readonly refusedActions?: string[];
}

/** A principal whose own identity policies reach the bucket without an access point. */
export interface ReportDirectAccess {
  readonly principal: ReportPrincipal;
  /** The S3 data actions allowed on the bucket or its objects. */
  readonly actions: string[];
  /** The resources of the allowing statements, as written. */
  readonly resources: string[];
  /** The policies the statements come from (construct paths). */
  readonly policies: string[];
  /** Some allowing statement has conditions: the access may be narrower than shown. */
  readonly conditional: boolean;
  /**
   * `allowed`; `exempt` (denyDirectAccess is on, the principal is in directAccessPrincipals);
   * `denied` (denyDirectAccess is on); `other account` (the bucket policy does not allow it).
   */
  readonly status: 'allowed' | 'exempt' | 'denied' | 'other account';
}

/** What SharedBucket wrote into the bucket policy. */
export interface ReportBucketPolicy {
  readonly path: string;
  /** Accounts whose access points the bucket trusts (its own, and `partnerAccounts`). */
  readonly delegatedAccounts: string[];
  /** Other accounts whose access points the bucket trusts with `partnerActions` only. */
  readonly partnerAccounts: string[];
  /** The S3 actions the bucket lets through the access points of `partnerAccounts`. */
  readonly partnerActions: string[];
  /** ARN pattern of the trusted access points, when delegation is by name. */
  readonly accessPointArnPattern?: string;
  readonly denyDirectAccess: boolean;
  /** Principals exempt from denyDirectAccess (`aws:PrincipalArn`). */
  readonly directAccessPrincipals: ReportPrincipal[];
}

/** Everything about one bucket. */
export interface ReportBucket {
  /** The bucket name when known at synth time, else its construct path. */
  readonly bucket: string;
  readonly name?: string;
  readonly path?: string;
  readonly stack?: string;
  readonly arn?: string;
  /** Undefined when no SharedBucket manages the bucket's policy in this app. */
  readonly sharedBucket?: ReportBucketPolicy;
  readonly accessPoints: ReportAccessPoint[];
  readonly grants: ReportGrant[];
  readonly direct: ReportDirectAccess[];
  /** The organization guardrails (AccessPointGuardrails) of the app that guard this bucket. */
  readonly guardrails?: ReportGuardrails[];
}

/** One AccessPointGuardrails: its SCP and RCP, as written into the cloud assembly. */
export interface ReportGuardrails {
  /** Construct path of the AccessPointGuardrails. */
  readonly path: string;
  /** The files beside this report: the SCP and the RCP as JSON. */
  readonly files: string[];
  /** Organization roots, OUs or accounts they are attached to, when the app attaches them. */
  readonly targetIds?: string[];
  /** The service control policy. */
  readonly serviceControlPolicy: unknown;
  /** The resource control policy. */
  readonly resourceControlPolicy: unknown;
}

/** The report. */
export interface AccessReportDocument {
  readonly version: 1;
  readonly generatedBy: 'cdk-shared-bucket';
  readonly buckets: ReportBucket[];
}
