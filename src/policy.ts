/**
 * The policy core: every statement this library writes is built here, from plain values. Constructs
 * decide where a statement goes; they never assemble policy JSON themselves.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import { Access } from './access';
import {
  ACCESS_POINT_BUCKET_READS,
  CONSOLE_LIST_ACTIONS,
  DATA_ACTIONS,
  GET_ACCESS_POINT_ACTIONS,
  KMS_READ_ACTIONS,
  KMS_WRITE_ACTIONS,
  LIST_ACTIONS,
  OBJECT_DELETE_ACTIONS,
  OBJECT_READ_ACTIONS,
  OBJECT_WRITE_ACTIONS,
  VERSION_LIST_ACTIONS,
} from './perms';

/** The actions one access level needs, split by the resource they apply to. */
export interface ActionSet {
  readonly objectActions: string[];
  readonly listActions: string[];
  readonly kmsActions: string[];
}

// READ grants GetObjectVersion, so it lists versions too (docs/access-levels.md).
const READ: ActionSet = { objectActions: OBJECT_READ_ACTIONS, listActions: [...LIST_ACTIONS, ...VERSION_LIST_ACTIONS], kmsActions: KMS_READ_ACTIONS };
const WRITE: ActionSet = { objectActions: OBJECT_WRITE_ACTIONS, listActions: [], kmsActions: KMS_WRITE_ACTIONS };
const DELETE: ActionSet = { objectActions: OBJECT_DELETE_ACTIONS, listActions: [], kmsActions: [] };
const LIST: ActionSet = { objectActions: [], listActions: LIST_ACTIONS, kmsActions: [] };

/** Union of action sets, sorted and without duplicates (stable templates, readable diffs). */
export function combineActions(...sets: ActionSet[]): ActionSet {
  const merge = (pick: (s: ActionSet) => string[]) => [...new Set(sets.flatMap(pick))].sort();
  return { objectActions: merge(s => s.objectActions), listActions: merge(s => s.listActions), kmsActions: merge(s => s.kmsActions) };
}

/** Named action sets behind the grant methods. */
export const ActionSets = {
  READ,
  WRITE,
  DELETE,
  LIST,
  READ_WRITE: combineActions(READ, WRITE),
  READ_WRITE_DELETE: combineActions(READ, WRITE, DELETE),
};

/**
 * What `aws s3 sync` needs at its destination: list the folder and upload (multipart included);
 * with `--delete` (a deployment's prune), delete the keys that are no longer in the sources.
 */
export function syncActions(prune: boolean): ActionSet {
  return prune ? combineActions(WRITE, LIST, DELETE) : combineActions(WRITE, LIST);
}

/** The action set of an access level. */
export function actionsFor(access: Access): ActionSet {
  switch (access) {
    case Access.READ: return ActionSets.READ;
    case Access.WRITE: return ActionSets.WRITE;
    case Access.READ_WRITE: return ActionSets.READ_WRITE;
    case Access.READ_WRITE_DELETE: return ActionSets.READ_WRITE_DELETE;
  }
}

/**
 * Which keys a grant covers: one or more folders (normalized prefixes ending in `/`, without
 * duplicates), or every key when `prefixes` is undefined (the caller asked for that explicitly).
 */
export interface KeyScope {
  readonly prefixes?: readonly string[];
}

/** The ARN of objects under `keyPattern` reached through the access point `accessPointArn`. */
export function accessPointObjectArn(accessPointArn: string, keyPattern: string): string {
  return `${accessPointArn}/object/${keyPattern}`;
}

/** One statement's worth of a grant, without a principal. */
export interface GrantPart {
  readonly actions: string[];
  readonly resourceArns: string[];
  readonly conditions?: Record<string, Record<string, unknown>>;
}

/**
 * A folder grant through an access point: object actions on `object/PREFIX*` (one resource per
 * folder), and ListBucket on the access point ARN limited by `s3:prefix` (without the condition,
 * listing shows every key). Several folders stay two statements, whatever their number.
 */
export function folderGrantParts(accessPointArn: string, scope: KeyScope, actions: ActionSet): GrantPart[] {
  return folderParts(accessPointArn, accessPointObjectArn, scope, actions);
}

/** The object ARN of a key pattern in a bucket (no `/object/` segment, unlike an access point). */
function bucketObjectArn(bucketArn: string, keyPattern: string): string {
  return `${bucketArn}/${keyPattern}`;
}

function folderParts(containerArn: string, objectArn: (arn: string, keyPattern: string) => string, scope: KeyScope, actions: ActionSet): GrantPart[] {
  const parts: GrantPart[] = [];
  if (actions.objectActions.length > 0) {
    parts.push({
      actions: actions.objectActions,
      resourceArns: (scope.prefixes ?? ['']).map(prefix => objectArn(containerArn, `${prefix}*`)),
    });
  }
  if (actions.listActions.length > 0) {
    parts.push({
      actions: actions.listActions,
      resourceArns: [containerArn],
      conditions: scope.prefixes === undefined ? undefined : listPrefixCondition(scope.prefixes),
    });
  }
  return parts;
}

/** `s3:prefix` limited to the folders: each folder itself and everything below it. */
export function listPrefixCondition(prefixes: readonly string[]): Record<string, Record<string, unknown>> {
  return { StringLike: { 's3:prefix': prefixes.flatMap(prefix => [prefix, `${prefix}*`]) } };
}

/** The S3 bucket and object ARNs of a bucket ARN. */
function bucketResources(bucketArn: string): string[] {
  return [bucketArn, `${bucketArn}/*`];
}

/** Which access points a bucket policy delegates to, and what it lets them do. */
export interface DelegationConditions {
  /** The bucket's own account: its access points are trusted with every action (their policies decide). */
  readonly account: string;
  /** Optional ARN pattern of the trusted access points of the bucket's account (`s3:DataAccessPointArn`). */
  readonly accessPointArnPattern?: string;
  /** Other accounts whose access points are trusted, with `partnerActions` only. */
  readonly partnerAccounts: string[];
  /** The actions the access points of `partnerAccounts` may carry to the bucket. */
  readonly partnerActions: ActionSet;
}

/** One string for one value, a list otherwise (the form IAM shows, and stable templates). */
function oneOrMany(values: string[]): string | string[] {
  return values.length === 1 ? values[0] : values;
}

/** The actions of an action set as one sorted list (object, list and bucket resources alike). */
function s3ActionsOf(actions: ActionSet): string[] {
  return [...new Set([...actions.objectActions, ...actions.listActions])].sort();
}

/**
 * AWS's recommended bucket policy for access points: the bucket trusts any request that arrives
 * through an access point of its own account (optionally only those whose ARN matches a pattern);
 * each access point's own policy then decides. Fixed account values keep the statement non-public
 * for Block Public Access.
 *
 * Access points of other accounts get a statement of their own, limited to the data actions of one
 * access level, and a Deny of every other action through them: their policies are written by
 * someone else, so whatever they let through never reaches version deletion, retention or legal
 * holds (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html).
 */
export function delegationStatements(bucketArn: string, delegation: DelegationConditions): iam.PolicyStatement[] {
  const conditions: Record<string, Record<string, unknown>> = {
    StringEquals: { 's3:DataAccessPointAccount': delegation.account },
  };
  if (delegation.accessPointArnPattern !== undefined) {
    conditions.StringLike = { 's3:DataAccessPointArn': delegation.accessPointArnPattern };
  }
  const statements = [new iam.PolicyStatement({
    sid: 'DelegateToAccessPoints',
    effect: iam.Effect.ALLOW,
    principals: [new iam.AnyPrincipal()],
    actions: ['*'],
    resources: bucketResources(bucketArn),
    conditions,
  })];
  if (delegation.partnerAccounts.length > 0) {
    const actions = s3ActionsOf(delegation.partnerActions);
    const partners = { StringEquals: { 's3:DataAccessPointAccount': oneOrMany(delegation.partnerAccounts) } };
    statements.push(new iam.PolicyStatement({
      sid: 'DelegateToPartnerAccessPoints',
      effect: iam.Effect.ALLOW,
      principals: [new iam.AnyPrincipal()],
      actions,
      resources: bucketResources(bucketArn),
      conditions: partners,
    }));
    // Also binds principals of the bucket's account, whose own identity policy would otherwise
    // suffice on the bucket leg of a request through a partner's access point.
    statements.push(new iam.PolicyStatement({
      sid: 'DenyPartnerAccessPointsBeyondAccess',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      notActions: actions,
      resources: bucketResources(bucketArn),
      conditions: partners,
    }));
  }
  return statements;
}

/** Deny every request that is not made over TLS. */
export function sslOnlyStatement(bucketArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DenyInsecureTransport',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['s3:*'],
    resources: bucketResources(bucketArn),
    conditions: { Bool: { 'aws:SecureTransport': 'false' } },
  });
}

/**
 * In a key policy: only AWS services may create grants on the key (Control Tower CT.KMS.PR.3).
 * S3 encrypts and decrypts without grants.
 */
export function denyGrantsExceptForAwsServicesStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DenyGrantsExceptForAwsServices',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  });
}

/**
 * Let S3 server access logging write into a log bucket, for one source bucket only (the bucket
 * policy route: ACLs are disabled on the log bucket).
 */
export function logDeliveryStatement(
  logBucketArn: string, prefix: string | undefined, sourceBucketArn: string, sourceAccount: string,
): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'AllowServerAccessLogDelivery',
    effect: iam.Effect.ALLOW,
    principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
    actions: ['s3:PutObject'],
    resources: [`${logBucketArn}/${prefix ?? ''}*`],
    conditions: { ArnLike: { 'aws:SourceArn': sourceBucketArn }, StringEquals: { 'aws:SourceAccount': sourceAccount } },
  });
}

/**
 * Deny data access that does not come through a trusted access point, except for the named
 * principals. IAM's negated condition operators match when the key is absent
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html),
 * so one condition covers both a direct request (no `s3:DataAccessPointArn`) and a request through
 * an access point the delegation does not trust: with a name pattern, `StringNotLike` on the
 * access point ARN (an admin's own `evil-ap`, a Multi-Region Access Point); otherwise
 * `StringNotEquals` on the access point's account. Only data actions: bucket-policy management is
 * never denied, so nobody is locked out of repairing the policy.
 */
export function denyDirectAccessStatement(bucketArn: string, delegation: DelegationConditions, exemptPrincipalArns: string[]): iam.PolicyStatement {
  const conditions: Record<string, Record<string, unknown>> = delegation.accessPointArnPattern !== undefined
    ? { StringNotLike: { 's3:DataAccessPointArn': delegation.accessPointArnPattern } }
    : { StringNotEquals: { 's3:DataAccessPointAccount': oneOrMany([delegation.account, ...delegation.partnerAccounts]) } };
  if (exemptPrincipalArns.length > 0) {
    conditions.ArnNotLike = { 'aws:PrincipalArn': exemptPrincipalArns };
  }
  return new iam.PolicyStatement({
    sid: 'DenyDirectAccess',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: DATA_ACTIONS,
    resources: bucketResources(bucketArn),
    conditions,
  });
}

/**
 * Make an access point exclusive: every principal whose ARN does not match `allowedPrincipalArns`
 * is denied data access through it, even a same-account admin whose identity policy allows `s3:*`
 * (who may still rewrite this policy: management is never denied, see docs/security-model.md).
 * `aws:PrincipalArn` rather than `NotPrincipal`: for a role it is the role's ARN, so role sessions
 * keep working. Only data actions, so the access point stays manageable.
 */
export function exclusiveAccessStatement(accessPointArn: string, allowedPrincipalArns: string[]): iam.PolicyStatement {
  // Always ArnNotLike: the list may be a Lazy whose entries cannot be seen here, and IAM matches
  // ArnEquals and ArnLike alike, wildcards included, so one operator fits every list
  // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN).
  return denyEveryDataRequestStatement('DenyOtherPrincipals', accessPointArn, { ArnNotLike: { 'aws:PrincipalArn': allowedPrincipalArns } });
}

/**
 * Deny, at an access point, every data request and every bucket read S3 serves through it, for
 * the principals `conditions` select. Data actions only: the access point stays manageable.
 */
function denyEveryDataRequestStatement(
  sid: string, accessPointArn: string, conditions: Record<string, Record<string, unknown>>,
): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: [...DATA_ACTIONS, ...ACCESS_POINT_BUCKET_READS].sort(),
    resources: [accessPointArn, accessPointObjectArn(accessPointArn, '*')],
    conditions,
  });
}

/**
 * Confine an access point to one folder, whoever the principal: data actions on any other key,
 * and listings outside the folder, are denied. For an access point of an IAM group, whose members
 * cannot be named: it keeps IAM users outside the group, who pass the principal deny, out of the
 * members' folders. With `rootListing`, a listing of the top level with delimiter `/` (what the
 * S3 console asks first) is spared, and only that one: see `consoleRootListingPart`.
 */
export function folderConfinementStatements(accessPointArn: string, prefix: string, rootListing = false): iam.PolicyStatement[] {
  const statements = [
    new iam.PolicyStatement({
      sid: 'DenyOutsideFolder',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: DATA_ACTIONS.filter(action => !action.startsWith('s3:ListBucket')),
      notResources: [accessPointArn, accessPointObjectArn(accessPointArn, `${prefix}*`)],
    }),
    new iam.PolicyStatement({
      sid: 'DenyListingOutsideFolder',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:ListBucket*'],
      resources: [accessPointArn],
      conditions: { StringNotLike: { 's3:prefix': rootListing ? ['', prefix, `${prefix}*`] : [prefix, `${prefix}*`] } },
    }),
  ];
  if (rootListing) {
    // A negated operator matches when the key is absent: a top-level listing without a delimiter
    // (which would name every key of the bucket) stays denied. Versions and uploads at the top level
    // too: the console's first request is a ListBucket.
    statements.push(new iam.PolicyStatement({
      sid: 'DenyRootListingWithoutDelimiter',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:ListBucket*'],
      resources: [accessPointArn],
      conditions: { StringEquals: { 's3:prefix': '' }, StringNotEquals: { 's3:delimiter': '/' } },
    }), new iam.PolicyStatement({
      sid: 'DenyRootListingOfVersionsAndUploads',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:ListBucketMultipartUploads', 's3:ListBucketVersions'],
      resources: [accessPointArn],
      conditions: { StringEquals: { 's3:prefix': '' } },
    }));
  }
  return statements;
}

/**
 * The S3 console's first request at an access point: list the top level (`s3:prefix` empty) with
 * delimiter `/`. S3 then answers with the top-level folder names and the names of top-level
 * objects, never with keys inside another folder (docs/aws-rules.md section 2). Only `s3:ListBucket`:
 * versions and other listings stay in the folder.
 */
export function consoleRootListingPart(accessPointArn: string): GrantPart {
  return {
    actions: LIST_ACTIONS,
    resourceArns: [accessPointArn],
    conditions: { StringEquals: { 's3:prefix': '', 's3:delimiter': '/' } },
  };
}

/**
 * What the S3 console needs to reach one access point: list buckets and access points, and look up
 * this access point (resource `*`, narrowed to it by `s3:DataAccessPointArn`).
 */
export function consoleParts(accessPointArn: string): GrantPart[] {
  return [
    { actions: CONSOLE_LIST_ACTIONS, resourceArns: ['*'] },
    getAccessPointPart(accessPointArn),
  ];
}

/** `s3:GetAccessPoint` for one access point: resource `*`, narrowed by `s3:DataAccessPointArn`. */
export function getAccessPointPart(accessPointArn: string): GrantPart {
  return {
    actions: GET_ACCESS_POINT_ACTIONS,
    resourceArns: ['*'],
    conditions: { StringEquals: { 's3:DataAccessPointArn': accessPointArn } },
  };
}

/**
 * The VPC endpoint policy for one folder: the request must be allowed for both the access point
 * ARN and the bucket ARN (docs/aws-rules.md section 4), with the same folder limits as the grant.
 */
export function endpointStatements(accessPointArn: string, bucketArn: string, prefix: string, actions: ActionSet): iam.PolicyStatement[] {
  const scope = { prefixes: [prefix] };
  const throughAccessPoint = folderGrantParts(accessPointArn, scope, actions);
  const onBucket = folderParts(bucketArn, bucketObjectArn, scope, actions);
  return throughAccessPoint.map((part, i) => toResourceStatement({
    ...part,
    resourceArns: [...part.resourceArns, ...onBucket[i].resourceArns],
  }, new iam.AnyPrincipal()));
}

/** A grant part as a statement for an identity policy. */
export function toStatement(part: GrantPart): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions: part.actions, resources: part.resourceArns, conditions: part.conditions });
}

/**
 * A grant part as a statement for a resource policy, naming `principal`. Conditions are kept:
 * aws-cdk-lib's Grant drops them on the resource side, which would let a folder grant list the
 * whole bucket.
 */
export function toResourceStatement(part: GrantPart, principal: iam.IPrincipal): iam.PolicyStatement {
  return new iam.PolicyStatement({ principals: [principal], actions: part.actions, resources: part.resourceArns, conditions: part.conditions });
}

/** The policy variable of a principal tag, e.g. `${aws:PrincipalTag/tenant}`. */
export function principalTagVariable(tagKey: string): string {
  return `\${aws:PrincipalTag/${tagKey}}`;
}

/** The folder of a tenant principal: named by the value of its tenant tag. */
export function tenantFolder(tenantTag: string): string {
  return `${principalTagVariable(tenantTag)}/`;
}

/**
 * Make a tenant access point exclusive in one statement, whatever the number of tenants: every
 * principal without the membership tag (`memberTagKey` = `memberTagValue`) is denied data access,
 * even an admin whose identity policy allows `s3:*`. A missing tag makes `StringNotEquals` true.
 */
export function tenantMembershipStatement(accessPointArn: string, memberTagKey: string, memberTagValue: string): iam.PolicyStatement {
  return denyEveryDataRequestStatement('DenyNonTenants', accessPointArn, { StringNotEquals: { [`aws:PrincipalTag/${memberTagKey}`]: memberTagValue } });
}

/**
 * Deny principals whose tenant tag cannot name a folder of their own: absent or empty
 * (`StringNotLike` with `?*` is true for both), `.` or `..`, or containing `/` (a tenant `acme/x`
 * would be inside `acme/`, which `acme` reads), or a wildcard (IAM tag values cannot contain one).
 */
export function tenantTagSafetyStatements(accessPointArn: string, tenantTag: string): iam.PolicyStatement[] {
  const key = `aws:PrincipalTag/${tenantTag}`;
  return [
    denyEveryDataRequestStatement('DenyMissingTenantTag', accessPointArn, { StringNotLike: { [key]: '?*' } }),
    // `${*}` and `${?}` are a literal `*` and `?`: IAM refuses them in tag values, denied all the same.
    denyEveryDataRequestStatement('DenyUnsafeTenantTag', accessPointArn, { StringLike: { [key]: ['.', '..', '*/*', '*${*}*', '*${?}*'] } }),
  ];
}

/** The bucket key's actions for an access level, as a grant part for an identity policy. */
export function kmsGrantPart(keyArn: string, actions: ActionSet): GrantPart | undefined {
  return actions.kmsActions.length > 0 ? { actions: actions.kmsActions, resourceArns: [keyArn] } : undefined;
}
