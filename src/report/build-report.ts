import { CfnElement, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { globToRegExp } from './data-actions';
import { BucketTarget, ScanSource, ScannedIdentity, constructPath, normalizeArn, scanDirectAccess } from './direct-access';
import { AccessReportDocument, ReportBucket, ReportDirectAccess, ReportGrant, ReportPrincipal, ReportAccessPoint, ReportBucketPolicy } from './model';
import type { AccessReportRecorder, TenantsRecord } from './recorder';
import type { IAccessPoint } from '../access-point';
import { isKnown, renderValue, withRenderCache } from './render-value';

/**
 * The access report of the app `recorder` belongs to, from its records and its identity policies
 * (read from `source`: the templates this synthesis wrote, or the constructs).
 */
export function buildAccessReport(recorder: AccessReportRecorder, source: ScanSource): AccessReportDocument {
  return withRenderCache(() => build(recorder, source));
}

function build(recorder: AccessReportRecorder, source: ScanSource): AccessReportDocument {
  const buckets = new Map<string, MutableBucket>();
  // Described once per bucket construct: every access point and grant names its bucket.
  const describedBuckets = new Map<s3.IBucket | undefined, ReturnType<typeof describeBucket>>();
  const bucketOf = (bucket: s3.IBucket | undefined): MutableBucket => {
    const described = describedBuckets.get(bucket) ?? describedBuckets.set(bucket, describeBucket(bucket)).get(bucket)!;
    const existing = buckets.get(described.bucket);
    if (existing) {
      // The bucket's own construct (a created bucket) describes it better than an import.
      if (bucket && !existing.created && isCreated(bucket)) Object.assign(existing, described);
      return existing;
    }
    const fresh: MutableBucket = { ...described, accessPoints: [], grants: [], direct: [] };
    buckets.set(described.bucket, fresh);
    return fresh;
  };

  for (const policy of recorder.bucketPolicies) {
    const entry = bucketOf(policy.bucket);
    entry.sharedBucket = describeBucketPolicy(policy.owner, policy);
  }
  const accessPointsByPath = new Map<string, ReportAccessPoint>();
  for (const { accessPoint, vpc } of recorder.accessPoints) {
    const entry = bucketOf(accessPoint.bucket);
    const apPath = accessPoint.node.path;
    const described: ReportAccessPoint = {
      name: renderValue(accessPoint, accessPoint.accessPointName),
      arn: renderValue(accessPoint, accessPoint.accessPointArn),
      path: apPath,
      stack: Stack.of(accessPoint).node.path,
      networkOrigin: accessPoint.networkOrigin === 'VPC' ? 'VPC' : 'Internet',
      ...(vpc ? { vpc: { path: vpc.node.path, id: renderValue(accessPoint, vpc.vpcId) } } : {}),
    };
    entry.accessPoints.push(described);
    accessPointsByPath.set(apPath, described);
  }
  const grantAccessPoints = new Map<MutableBucket, IAccessPoint[]>();
  for (const grant of recorder.grants) {
    const entry = bucketOf(grant.accessPoint.bucket);
    const accessPoint = accessPointsByPath.get(grant.accessPoint.node.path);
    const ofEntry = grantAccessPoints.get(entry) ?? grantAccessPoints.set(entry, []).get(entry)!;
    ofEntry.push(grant.accessPoint);
    entry.grants.push({
      principal: grant.tenants ? describeTenants(grant.tenants) : describePrincipal(grant.principal!, grant.identity, grant.accessPoint),
      accessPoint: renderValue(grant.accessPoint, grant.accessPoint.accessPointName),
      networkOrigin: grant.accessPoint.networkOrigin === 'VPC' ? 'VPC' : 'Internet',
      ...(accessPoint?.vpc ? { vpc: accessPoint.vpc } : {}),
      folder: grant.prefix ?? '*',
      access: grant.access,
      actions: [...grant.actions].sort(),
      kmsActions: [...grant.kmsActions].sort(),
    });
  }

  for (const entry of buckets.values()) {
    if (entry.sharedBucket === undefined) continue;
    const policy = entry.sharedBucket;
    entry.grants = entry.grants.map((grant, i) => {
      const accessPoint = grantAccessPoints.get(entry)![i];
      const delegated = delegates(policy, accessPoint);
      const partner = policy.partnerAccounts.includes(renderValue(accessPoint, accessPoint.env.account));
      const refusedActions = delegated && partner ? grant.actions.filter(action => !policy.partnerActions.includes(action)) : [];
      return { ...grant, delegated, ...(refusedActions.length > 0 ? { refusedActions } : {}) };
    });
  }

  const targets: BucketTarget[] = [...buckets.values()].map(b => ({ key: b.bucket, arns: [...b.targets], stack: b.targetsStack }));
  const direct = scanDirectAccess(recorder.node.root, targets, source);
  for (const entry of buckets.values()) {
    entry.direct = (direct.get(entry.bucket) ?? []).map(finding => {
      const principal = describeScannedIdentity(finding.identity);
      return {
        principal,
        actions: [...finding.actions].sort(),
        resources: [...finding.resources].sort(),
        policies: [...finding.policies].sort(),
        conditional: finding.conditional,
        status: directStatus(entry, principal, finding.identity.stack),
      } satisfies ReportDirectAccess;
    }).sort((a, b) => compare(principalKey(a.principal), principalKey(b.principal)));
  }

  for (const guardrails of recorder.guardrails) {
    const entry = bucketOf(guardrails.bucket);
    const stack = Stack.of(guardrails.owner);
    entry.guardrails = [...(entry.guardrails ?? []), {
      path: guardrails.owner.node.path,
      files: guardrails.files,
      ...(guardrails.targetIds ? { targetIds: guardrails.targetIds } : {}),
      serviceControlPolicy: stack.resolve(guardrails.serviceControlPolicy.toJSON()),
      resourceControlPolicy: stack.resolve(guardrails.resourceControlPolicy.toJSON()),
    }];
  }

  return {
    version: 1,
    generatedBy: 'cdk-shared-bucket',
    buckets: [...buckets.values()].sort((a, b) => compare(a.bucket, b.bucket)).map(b => ({
      bucket: b.bucket,
      ...(b.name !== undefined ? { name: b.name } : {}),
      ...(b.path !== undefined ? { path: b.path } : {}),
      ...(b.stack !== undefined ? { stack: b.stack } : {}),
      ...(b.arn !== undefined ? { arn: b.arn } : {}),
      ...(b.sharedBucket ? { sharedBucket: b.sharedBucket } : {}),
      accessPoints: [...b.accessPoints].sort((x, y) => compare(x.name, y.name)),
      grants: [...b.grants].sort((x, y) => compare(`${x.accessPoint} ${principalKey(x.principal)} ${x.folder}`, `${y.accessPoint} ${principalKey(y.principal)} ${y.folder}`)),
      direct: b.direct,
      ...(b.guardrails ? { guardrails: [...b.guardrails].sort((x, y) => compare(x.path, y.path)) } : {}),
    })),
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
interface MutableBucket extends Mutable<ReportBucket> {
  created?: boolean;
  /** The bucket's account, when known at synth time. */
  account?: string;
  /** The ARNs identity policies may name the bucket with (normalized). */
  targets: Set<string>;
  /** The stack whose templates name the bucket by reference (`${Logical.Arn}`). */
  targetsStack?: Stack;
  accessPoints: ReportAccessPoint[];
  grants: ReportGrant[];
  direct: ReportDirectAccess[];
}

function isCreated(bucket: s3.IBucket): boolean {
  return bucket.node.defaultChild instanceof s3.CfnBucket;
}

function describeBucket(bucket: s3.IBucket | undefined): Omit<MutableBucket, 'accessPoints' | 'grants' | 'direct'> {
  if (bucket === undefined) return { bucket: '(unknown bucket)', targets: new Set() };
  const cfnName = bucket.node.defaultChild instanceof s3.CfnBucket ? bucket.node.defaultChild.bucketName : undefined;
  // A generated name is a token on the L1 that resolves to nothing: then the bucket's Ref.
  const given = cfnName !== undefined ? renderValue(bucket, cfnName) : '';
  const name = given !== '' ? given : renderValue(bucket, bucket.bucketName);
  const arn = renderValue(bucket, bucket.bucketArn);
  const targets = new Set([normalizeArn(arn)]);
  const cfn = bucket.node.defaultChild;
  if (cfn instanceof CfnElement) targets.add(`arn:aws:s3:::\${${Stack.of(cfn).resolve(cfn.logicalId)}}`);
  if (isKnown(name)) targets.add(`arn:aws:s3:::${name}`);
  return {
    bucket: isKnown(name) ? name : bucket.node.path,
    ...(isKnown(name) ? { name } : {}),
    path: bucket.node.path,
    stack: Stack.of(bucket).node.path,
    arn,
    created: isCreated(bucket),
    account: Token.isUnresolved(bucket.env.account) ? undefined : bucket.env.account,
    targets,
    targetsStack: Stack.of(bucket),
  };
}

function describeBucketPolicy(owner: IConstruct, policy: AccessReportRecorder['bucketPolicies'][number]): ReportBucketPolicy {
  return {
    path: owner.node.path,
    delegatedAccounts: [policy.delegation.account, ...policy.delegation.partnerAccounts].map(a => renderValue(owner, a)),
    partnerAccounts: policy.delegation.partnerAccounts.map(a => renderValue(owner, a)),
    partnerActions: policy.delegation.partnerAccounts.length === 0 ? []
      : [...new Set([...policy.delegation.partnerActions.objectActions, ...policy.delegation.partnerActions.listActions])].sort(),
    ...(policy.delegation.accessPointArnPattern !== undefined
      ? { accessPointArnPattern: renderValue(owner, policy.delegation.accessPointArnPattern) }
      : {}),
    denyDirectAccess: policy.denyDirectAccess,
    directAccessPrincipals: policy.directAccessPrincipals.map(p => describePrincipal(p, undefined, owner)),
  };
}

/** An identity found in the templates, by its L1 (and its L2 when the L1 is the L2's resource). */
function describeScannedIdentity(identity: ScannedIdentity): ReportPrincipal {
  const l1 = identity.resource;
  const l2 = l1?.node.scope !== undefined && l1.node.scope.node.defaultChild === l1 ? l1.node.scope : undefined;
  const attrs = l2 ? identityAttributes(l2) : undefined;
  return {
    kind: identity.kind,
    path: l1 !== undefined ? constructPath(l1) : `${identity.stack.node.path}/${identity.logicalId}`,
    stack: identity.stack.node.path,
    logicalId: identity.logicalId,
    ...(attrs?.name !== undefined ? { name: attrs.name } : {}),
    arn: attrs?.arn ?? `\${${identity.logicalId}.Arn}`,
  };
}

/** A principal as the report names it: construct path, logical ID, name and ARN as far as known. */
/** Every tenant of a TenantAccessPoint, as one principal of the report. */
function describeTenants(tenants: TenantsRecord): ReportPrincipal {
  return {
    kind: 'tenants',
    path: tenants.owner.node.path,
    stack: Stack.of(tenants.owner).node.path,
    tenantTag: tenants.tenantTag,
    memberTag: tenants.memberTag,
  };
}

export function describePrincipal(principal: iam.IPrincipal, identity: IConstruct | undefined, scope: IConstruct): ReportPrincipal {
  const candidate = identity ?? (Construct.isConstruct(principal) ? principal : undefined);
  if (candidate === undefined) {
    const arn = (principal as Partial<iam.ArnPrincipal>).arn ?? principal.policyFragment.principalJson.AWS?.[0];
    return { kind: 'principal', ...(arn !== undefined ? { arn: renderValue(scope, arn) } : { name: String(principal) }) };
  }
  const attrs = identityAttributes(candidate);
  const cfn = candidate.node.defaultChild;
  return {
    kind: attrs.kind,
    path: candidate.node.path,
    stack: Stack.of(candidate).node.path,
    ...(cfn instanceof CfnElement ? { logicalId: Stack.of(cfn).resolve(cfn.logicalId) } : {}),
    ...(attrs.name !== undefined ? { name: attrs.name } : {}),
    ...(attrs.arn !== undefined ? { arn: attrs.arn } : {}),
  };
}

function identityAttributes(c: IConstruct): { kind: ReportPrincipal['kind']; name?: string; arn?: string } {
  const identity = c as Partial<iam.IRole & iam.IUser & iam.IGroup>;
  const [kind, name, arn] = identity.roleArn !== undefined ? ['role', identity.roleName, identity.roleArn] as const
    : identity.userArn !== undefined ? ['user', identity.userName, identity.userArn] as const
      : identity.groupArn !== undefined ? ['group', identity.groupName, identity.groupArn] as const
        : ['principal', undefined, undefined] as const;
  // A created identity's name is a Ref; the name given to its L1, if any, is known.
  const cfn = c.node.defaultChild;
  const given = cfn instanceof iam.CfnRole ? cfn.roleName
    : cfn instanceof iam.CfnUser ? cfn.userName
      : cfn instanceof iam.CfnGroup ? cfn.groupName : undefined;
  // A generated name resolves to nothing.
  const givenName = given !== undefined ? renderValue(c, given) || undefined : undefined;
  const renderedName = givenName ?? (name !== undefined ? renderValue(c, name) : undefined);
  const knownName = renderedName !== undefined && isKnown(renderedName) ? renderedName : undefined;
  // With its name known, a created identity's ARN is known too (IAM ARNs hold the path and name).
  const iamPath = cfn instanceof iam.CfnRole || cfn instanceof iam.CfnUser || cfn instanceof iam.CfnGroup ? cfn.path : undefined;
  const builtArn = knownName !== undefined && givenName !== undefined && kind !== 'principal'
    ? `arn:\${AWS::Partition}:iam::${renderValue(c, Stack.of(c).account)}:${kind}${iamPath !== undefined ? renderValue(c, iamPath) : '/'}${knownName}`
    : undefined;
  return {
    kind,
    ...(knownName !== undefined ? { name: knownName } : {}),
    ...(builtArn !== undefined ? { arn: builtArn } : arn !== undefined ? { arn: renderValue(c, arn) } : {}),
  };
}

/** Whether the bucket policy trusts the access point (its account, and its name if delegation is by name). */
function delegates(policy: ReportBucketPolicy, accessPoint: IAccessPoint): boolean {
  const account = renderValue(accessPoint, accessPoint.env.account);
  const arn = normalizeArn(renderValue(accessPoint, accessPoint.accessPointArn));
  const pattern = policy.accessPointArnPattern !== undefined ? normalizeArn(policy.accessPointArnPattern) : undefined;
  return policy.delegatedAccounts.includes(account) && (pattern === undefined || arn === pattern || globToRegExp(pattern).test(arn));
}

/** Whether the bucket policy lets a direct request of this principal through. */
function directStatus(bucket: MutableBucket, principal: ReportPrincipal, principalStack: Stack): ReportDirectAccess['status'] {
  const bucketAccount = bucket.account;
  const principalAccount = principalStack.account;
  if (bucketAccount !== undefined && !Token.isUnresolved(principalAccount) && principalAccount !== bucketAccount) return 'other account';
  if (!bucket.sharedBucket?.denyDirectAccess) return 'allowed';
  const arn = normalizeArn(principal.arn ?? '');
  const exempt = bucket.sharedBucket.directAccessPrincipals.some(p => p.arn !== undefined
    && (normalizeArn(p.arn) === arn || (isKnown(p.arn) && globToRegExp(normalizeArn(p.arn)).test(arn))));
  return exempt ? 'exempt' : 'denied';
}

function principalKey(p: ReportPrincipal): string {
  return p.path ?? p.arn ?? p.name ?? '';
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
