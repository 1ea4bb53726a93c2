/**
 * Sizes read from a synthesized template, and a canonical form of policies for comparing the
 * library with the hand-written baseline.
 */

/** A CloudFormation template as synthesized (JSON). */
export interface Template {
  readonly Resources: Record<string, { readonly Type: string; readonly Properties?: Record<string, any> }>;
}

/** What the report shows about one template. */
export interface TemplateMetrics {
  /** `JSON.stringify(template)` (no indentation), in bytes. */
  readonly templateBytes: number;
  /** The bucket policy document, in bytes. */
  readonly bucketPolicyBytes: number;
  /** The largest access point policy, in bytes. */
  readonly maxAccessPointPolicyBytes: number;
  /** The largest sum of inline policies of one role, in characters without whitespace (as IAM counts). */
  readonly maxIdentityPolicyChars: number;
  /** Number of resources per type. */
  readonly resourceTypes: Map<string, number>;
  /** Number of resources. */
  readonly resourceCount: number;
}

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

function resourcesOfType(template: Template, type: string) {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/** Sizes as they appear in the template: tokens are CloudFormation intrinsics (`Fn::Join`, `Ref`, ...). */
export function templateMetrics(template: Template): TemplateMetrics {
  const bucketPolicies = resourcesOfType(template, 'AWS::S3::BucketPolicy');
  if (bucketPolicies.length !== 1) throw new Error(`expected one bucket policy, found ${bucketPolicies.length}`);

  // IAM's limit is per identity, all its inline policies together.
  const perRole = new Map<string, number>();
  for (const [, policy] of resourcesOfType(template, 'AWS::IAM::Policy')) {
    const chars = JSON.stringify(policy.Properties!.PolicyDocument).replace(/\s/g, '').length;
    for (const role of policy.Properties!.Roles ?? []) {
      const key = JSON.stringify(role);
      perRole.set(key, (perRole.get(key) ?? 0) + chars);
    }
  }

  const resourceTypes = new Map<string, number>();
  Object.values(template.Resources).forEach(r => resourceTypes.set(r.Type, (resourceTypes.get(r.Type) ?? 0) + 1));

  return {
    templateBytes: bytes(template),
    bucketPolicyBytes: bytes(bucketPolicies[0][1].Properties!.PolicyDocument),
    maxAccessPointPolicyBytes: Math.max(0, ...resourcesOfType(template, 'AWS::S3::AccessPoint').map(([, r]) => bytes(r.Properties!.Policy ?? ''))),
    maxIdentityPolicyChars: Math.max(0, ...perRole.values()),
    resourceTypes,
    resourceCount: Object.keys(template.Resources).length,
  };
}

/** The bucket and the three policies of a one-tenant template, canonical, with the bucket's logical ID replaced by `<Bucket>`. */
export interface TenantPolicies {
  readonly bucket: string;
  readonly bucketPolicy: string;
  readonly accessPointPolicy: string;
  readonly identityPolicy: string;
}

/**
 * The bucket's settings and the policies of a one-tenant template, in a canonical form: keys sorted; Action, Resource,
 * principal and condition values as sorted lists; statements sorted. Two documents that differ only
 * in formatting have the same canonical form.
 */
export function tenantPolicies(template: Template): TenantPolicies {
  const single = (type: string) => {
    const found = resourcesOfType(template, type);
    if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
    return found[0];
  };
  const [bucketId, bucket] = single('AWS::S3::Bucket');
  const canonical = (doc: unknown) => JSON.stringify(canonicalDocument(doc)).split(JSON.stringify(bucketId)).join('"<Bucket>"');
  const { Type: _type, ...bucketSettings } = bucket;
  return {
    bucket: JSON.stringify(sortKeys(bucketSettings)),
    bucketPolicy: canonical(single('AWS::S3::BucketPolicy')[1].Properties!.PolicyDocument),
    accessPointPolicy: canonical(single('AWS::S3::AccessPoint')[1].Properties!.Policy),
    identityPolicy: canonical(single('AWS::IAM::Policy')[1].Properties!.PolicyDocument),
  };
}

const LIST_KEYS = new Set(['Action', 'NotAction', 'Resource', 'NotResource']);

function canonicalDocument(doc: any): unknown {
  const statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]).map(canonicalStatement);
  return sortKeys({ ...doc, Statement: statements.sort((a: unknown, b: unknown) => compare(JSON.stringify(a), JSON.stringify(b))) });
}

function canonicalStatement(statement: Record<string, any>): unknown {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(statement)) {
    if (LIST_KEYS.has(key)) {
      result[key] = sortedList(value);
    } else if ((key === 'Principal' || key === 'NotPrincipal') && typeof value === 'object') {
      result[key] = mapValues(value, sortedList);
    } else if (key === 'Condition') {
      result[key] = mapValues(value, (operator: Record<string, unknown>) => mapValues(operator, sortedList));
    } else {
      result[key] = value;
    }
  }
  return sortKeys(result);
}

function sortedList(value: unknown): unknown[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map(sortKeys).sort((a, b) => compare(JSON.stringify(a), JSON.stringify(b)));
}

function mapValues<T>(obj: Record<string, T>, fn: (value: T) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, fn(v)]));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort(compare).map(k => [k, sortKeys((value as Record<string, unknown>)[k])]));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
