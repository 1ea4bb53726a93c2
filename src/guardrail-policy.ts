/**
 * The organization-policy core: the statements of the service control policy (SCP) and resource
 * control policy (RCP) of `AccessPointGuardrails`, built from plain values. Like `policy.ts` for
 * bucket and access point policies, constructs never assemble these statements themselves.
 *
 * Why each statement exists, and the AWS facts behind its resources and condition keys, are in
 * docs/guardrails.md.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import { DATA_ACTIONS } from './perms';

/** Creating and managing the access points the design trusts (resource type `accesspoint`). */
export const ACCESS_POINT_CREATE_ACTIONS = ['s3:CreateAccessPoint'];

/**
 * Changing or removing a trusted access point. `PutAccessPointPolicy` could drop an access point's
 * exclusive deny; deleting it and creating it again is caught by the create deny.
 */
export const ACCESS_POINT_CHANGE_ACTIONS = ['s3:DeleteAccessPoint', 's3:DeleteAccessPointPolicy', 's3:PutAccessPointPolicy'];

/**
 * Multi-Region Access Points: the Service Authorization Reference offers no condition key that
 * names the buckets of one, so these are denied in the whole bucket account.
 */
export const MULTI_REGION_ACCESS_POINT_ACTIONS = ['s3:CreateMultiRegionAccessPoint', 's3:PutMultiRegionAccessPointPolicy'];

/**
 * Bucket settings that decide who may reach the data: the bucket policy, ACLs (and the ownership
 * setting that turns them back on), Block Public Access; the features that copy objects or key
 * names elsewhere (replication, inventory, server access logs, S3 Metadata tables); and the two
 * that let S3 itself destroy what the RCP keeps principals from deleting (lifecycle expiration,
 * suspending versioning so that overwrites replace data). Event notifications (key names to a
 * queue, topic or function) are not denied: aws-cdk-lib sets them from a custom resource with a
 * role of its own, which is not an administrator (docs/guardrails.md).
 */
export const BUCKET_ACCESS_ACTIONS = [
  's3:CreateBucketMetadataTableConfiguration',
  's3:DeleteBucketPolicy',
  's3:PutBucketAcl',
  's3:PutBucketLogging',
  's3:PutBucketOwnershipControls',
  's3:PutBucketPolicy',
  's3:PutBucketPublicAccessBlock',
  's3:PutBucketVersioning',
  's3:PutInventoryConfiguration',
  's3:PutLifecycleConfiguration',
  's3:PutReplicationConfiguration',
];

/**
 * Every IAM and STS action that can give a principal a tag, or take one away: tags at creation,
 * tags on existing users and roles, and session tags (which override a role's tag of the same key).
 */
export const TENANT_TAG_ACTIONS = [
  'iam:CreateRole',
  'iam:CreateUser',
  'iam:TagRole',
  'iam:TagUser',
  'iam:UntagRole',
  'iam:UntagUser',
  'sts:TagSession',
];

/**
 * Taking over a principal the guardrails exempt (`aws:PrincipalArn` compares ARNs only): a new
 * trust policy and then `sts:AssumeRole`; deleting a role or user and creating one with the same
 * ARN (or a new one whose name matches an exempt pattern); new credentials for a user; new
 * permissions for it, which a job or function it is passed to then uses (see
 * `PASS_ROLE_ACTIONS`). The role actions are those AWS Control Tower denies to protect its own
 * roles (CT.IAM.PV.1, https://docs.aws.amazon.com/controltower/latest/controlreference/ct-iam-pv-1.html).
 */
export const EXEMPT_PRINCIPAL_TAKEOVER_ACTIONS = [
  'iam:AttachRolePolicy',
  'iam:AttachUserPolicy',
  'iam:CreateAccessKey',
  'iam:CreateLoginProfile',
  'iam:CreateRole',
  'iam:CreateUser',
  'iam:DeleteRole',
  'iam:DeleteRolePermissionsBoundary',
  'iam:DeleteUser',
  'iam:DeleteUserPermissionsBoundary',
  'iam:PutRolePolicy',
  'iam:PutUserPolicy',
  'iam:UpdateAssumeRolePolicy',
  'iam:UpdateLoginProfile',
];

/**
 * Passing a direct-access role (e.g. replication's, which S3 Batch Replication also assumes) to a
 * service: an S3 Batch Operations copy job run as that role reads the bucket directly, past the
 * RCP. Administrators' roles are not covered: the CDK deploy role passes the CloudFormation
 * execution role, so whoever may do that is an administrator (docs/guardrails.md).
 */
export const PASS_ROLE_ACTIONS = ['iam:PassRole'];

/**
 * What changes the code that runs as a protected function, on its `function` resource: the
 * deployment package, and the configuration (layers, handler, runtime, and environment variables
 * such as `NODE_OPTIONS` or `AWS_LAMBDA_EXEC_WRAPPER`, which load code at start-up). Deleting a
 * function or throttling it (`DeleteFunction`, `PutFunctionConcurrency`) stops it but runs nothing
 * as its role; versions and aliases only point at code these two actions wrote.
 */
export const PROTECTED_FUNCTION_ACTIONS = ['lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration'];

/**
 * What lets other code run as a protected function's role, on its `role` resource: handing the
 * role to new compute (a function, a task, an instance), or rewriting its trust policy so that
 * anyone may assume it.
 */
export const PROTECTED_ROLE_ACTIONS = ['iam:PassRole', 'iam:UpdateAssumeRolePolicy'];

/** What the guardrails protect and whom they exempt, as plain (possibly token) strings. */
export interface GuardrailInput {
  /** Partition of the ARNs, e.g. `aws`. */
  readonly partition: string;
  readonly bucketName: string;
  /** The 12-digit account that owns the bucket (and the trusted access points). */
  readonly bucketAccount: string;
  /**
   * Names of the access points the design trusts, with `*` and `?`. Without it, every access point
   * of the bucket account (and of `accessPointAccounts`) is trusted.
   */
  readonly accessPointNamePattern?: string;
  /** Other accounts whose access points are trusted (only without a name pattern). */
  readonly accessPointAccounts: string[];
  /** `aws:PrincipalArn` values (or patterns) that the guardrails never stop. */
  readonly administratorArns: string[];
  /** `aws:PrincipalArn` values that may also call the bucket directly (e.g. replication). */
  readonly directAccessPrincipalArns: string[];
  /** The principal tag that decides a principal's tenant, if the design uses one. */
  readonly tenantTag?: string;
  /** ARNs of the functions whose code only administrators may change (e.g. a VPC access point's reader). */
  readonly protectedFunctionArns: string[];
  /** ARNs of those functions' execution roles, which only administrators may pass or make assumable. */
  readonly protectedRoleArns: string[];
}

/** The bucket ARN. */
export function guardrailBucketArn(input: GuardrailInput): string {
  return `arn:${input.partition}:s3:::${input.bucketName}`;
}

/**
 * The ARNs of the trusted access points. The Region is `*`: an access point lives in its bucket's
 * Region anyway, and the guardrails may be deployed from a stack in another Region.
 */
export function trustedAccessPointArnPattern(input: GuardrailInput): string {
  return `arn:${input.partition}:s3:*:${input.bucketAccount}:accesspoint/${input.accessPointNamePattern ?? '*'}`;
}

function exemptAdministrators(input: GuardrailInput): Record<string, Record<string, unknown>> {
  return { ArnNotLike: { 'aws:PrincipalArn': input.administratorArns } };
}

/**
 * The SCP: what no principal of the bucket account but an administrator may do. SCPs have no
 * Principal element and only Deny here; `aws:PrincipalArn` spares the administrators.
 */
export function guardrailScpStatements(input: GuardrailInput): iam.PolicyStatement[] {
  const accessPoints = trustedAccessPointArnPattern(input);
  const inBucketAccount = { StringEquals: { 'aws:ResourceAccount': input.bucketAccount } };
  const statements = [
    new iam.PolicyStatement({
      sid: 'DenyCreateTrustedAccessPoint',
      effect: iam.Effect.DENY,
      actions: ACCESS_POINT_CREATE_ACTIONS,
      resources: [accessPoints],
      conditions: exemptAdministrators(input),
    }),
    new iam.PolicyStatement({
      sid: 'DenyTrustedAccessPointChanges',
      effect: iam.Effect.DENY,
      actions: ACCESS_POINT_CHANGE_ACTIONS,
      resources: [accessPoints],
      conditions: exemptAdministrators(input),
    }),
    new iam.PolicyStatement({
      sid: 'DenyMultiRegionAccessPoints',
      effect: iam.Effect.DENY,
      actions: MULTI_REGION_ACCESS_POINT_ACTIONS,
      resources: ['*'],
      conditions: { ...exemptAdministrators(input), ...inBucketAccount },
    }),
    new iam.PolicyStatement({
      sid: 'DenyBucketAccessChanges',
      effect: iam.Effect.DENY,
      actions: BUCKET_ACCESS_ACTIONS,
      resources: [guardrailBucketArn(input)],
      conditions: exemptAdministrators(input),
    }),
    new iam.PolicyStatement({
      sid: 'DenyExemptPrincipalTakeover',
      effect: iam.Effect.DENY,
      actions: EXEMPT_PRINCIPAL_TAKEOVER_ACTIONS,
      resources: [...new Set([...input.administratorArns, ...input.directAccessPrincipalArns])],
      conditions: exemptAdministrators(input),
    }),
  ];
  if (input.directAccessPrincipalArns.length > 0) {
    statements.push(new iam.PolicyStatement({
      sid: 'DenyPassingDirectAccessRoles',
      effect: iam.Effect.DENY,
      actions: PASS_ROLE_ACTIONS,
      resources: input.directAccessPrincipalArns,
      conditions: exemptAdministrators(input),
    }));
  }
  if (input.tenantTag !== undefined) {
    statements.push(new iam.PolicyStatement({
      sid: 'DenyTenantTagChanges',
      effect: iam.Effect.DENY,
      actions: TENANT_TAG_ACTIONS,
      resources: ['*'],
      conditions: {
        ...exemptAdministrators(input),
        ...inBucketAccount,
        // IAM tag keys are unique regardless of case, so `Tenant` must not slip through.
        'ForAnyValue:StringEqualsIgnoreCase': { 'aws:TagKeys': [input.tenantTag] },
      },
    }));
  }
  if (input.protectedFunctionArns.length > 0) {
    // One statement for both: a lambda action never matches a role ARN, nor an iam action a function ARN.
    statements.push(new iam.PolicyStatement({
      sid: 'DenyProtectedFunctionChanges',
      effect: iam.Effect.DENY,
      actions: [...PROTECTED_FUNCTION_ACTIONS, ...PROTECTED_ROLE_ACTIONS],
      resources: [...new Set([...input.protectedFunctionArns, ...input.protectedRoleArns])],
      conditions: exemptAdministrators(input),
    }));
  }
  return statements;
}

/**
 * The RCP: data access to the bucket that does not come through a trusted access point is denied,
 * whoever asks, except administrators, `directAccessPrincipalArns` and AWS services. Negated
 * operators match when the key is absent, so one condition covers direct requests and requests
 * through other access points.
 */
export function guardrailRcpStatements(input: GuardrailInput): iam.PolicyStatement[] {
  const bucketArn = guardrailBucketArn(input);
  const notTrusted: Record<string, Record<string, unknown>> = input.accessPointNamePattern === undefined
    ? { StringNotEquals: { 's3:DataAccessPointAccount': [...new Set([input.bucketAccount, ...input.accessPointAccounts])] } }
    : { StringNotLike: { 's3:DataAccessPointArn': trustedAccessPointArnPattern(input) } };
  return [
    new iam.PolicyStatement({
      sid: 'DenyDataOutsideTrustedAccessPoints',
      effect: iam.Effect.DENY,
      principals: [new iam.StarPrincipal()],
      actions: DATA_ACTIONS,
      resources: [bucketArn, `${bucketArn}/*`],
      conditions: {
        ...notTrusted,
        ArnNotLike: { 'aws:PrincipalArn': [...input.administratorArns, ...input.directAccessPrincipalArns] },
        BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
      },
    }),
  ];
}
