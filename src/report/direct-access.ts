import * as fs from 'fs';
import * as path from 'path';
import { CfnResource, Stack, Stage } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { AWS_MANAGED_S3_POLICIES, awsManagedPolicyName } from './aws-managed-policies';
import { BUCKET_LEVEL_DATA_ACTIONS, DATA_ACTION_NAMES, actionMatches, globToRegExp } from './data-actions';
import { referenceForms } from './reference-forms';
import { isKnown, renderResolved } from './render-value';
import { renderedProperties } from './rendered-resource';

/**
 * Which identities of the app reach a bucket with their OWN identity policies, without an access
 * point: every AWS::IAM::Policy, AWS::IAM::ManagedPolicy and inline role, user and group policy,
 * read from the resources as CloudFormation receives them: from the synthesized templates once
 * the stacks are synthesized, otherwise resolved from the constructs with `Stack.resolve`.
 */

/** An IAM role or user of the app, as a template resource. */
export interface ScannedIdentity {
  readonly kind: 'role' | 'user';
  /** The L1 construct, when the template resource has one. */
  readonly resource?: CfnResource;
  readonly stack: Stack;
  readonly logicalId: string;
}

/** What one identity may do on one bucket without an access point. */
export interface DirectFinding {
  readonly identity: ScannedIdentity;
  readonly actions: Set<string>;
  readonly resources: Set<string>;
  readonly policies: Set<string>;
  conditional: boolean;
}

/** A bucket to look for, by the ARNs a policy may name it with. */
export interface BucketTarget {
  readonly key: string;
  /** Normalized ARNs of the bucket (`arn:aws:s3:::NAME`, `${Logical.Arn}`, ...). */
  readonly arns: string[];
  /**
   * The stack of the bucket's construct: an ARN that holds a reference (`${Logical.Arn}`) names the
   * bucket only in the policies of that stack (another stack's bucket may have the same logical ID);
   * other stacks name it by the forms `referenceForms` gives (imports, nested stack parameters and
   * outputs).
   */
  readonly stack?: Stack;
}

/** Where the scan reads the IAM resources. */
export interface ScanSource {
  /**
   * Read a stack's template from the cloud assembly when it was written at or after this time
   * (milliseconds since the epoch: the start of the synthesis under way), and resolve the
   * constructs of any other stack: one not synthesized yet, or whose file is from an earlier
   * synthesis (a reused `cdk.out`, a stack synthesizer that writes no template).
   *
   * @default - resolve every stack's constructs (before synthesis, e.g. at validation)
   */
  readonly templatesWrittenSince?: number;
}

const IAM_TYPES = ['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::UserToGroupAddition'];

/** Condition keys that tie a statement to access points: such statements never allow direct access. */
const ACCESS_POINT_KEYS = ['s3:dataaccesspointarn', 's3:dataaccesspointaccount', 's3:accesspointnetworkorigin'];

interface Scanned {
  readonly stack: Stack;
  readonly logicalId: string;
  readonly type: string;
  readonly props: Record<string, any>;
  /** The L1 construct, looked up only for what the report names (a finding). */
  readonly resource: () => CfnResource | undefined;
}

/** A policy document with where it comes from and who holds it. */
interface HeldPolicy {
  /** Where the document comes from, named only for findings. */
  readonly source: () => string;
  /** The stack of the template the document is in. */
  readonly stack: Stack;
  readonly document: any;
  readonly holders: Scanned[];
}

/** Every identity's direct reach, per bucket key. */
export function scanDirectAccess(root: IConstruct, buckets: BucketTarget[], source: ScanSource): Map<string, DirectFinding[]> {
  const stacks = root.node.findAll().filter((c): c is Stack => Stack.isStack(c));
  const templates = new Map<Stack, any>();
  const resources = collect(stacks, source, templates);
  // Indexes: policies name their holders by Ref (same stack) or by name.
  const byRef = new Map<string, Scanned>();
  const byName = new Map<string, Scanned[]>();
  const nameProps: Record<string, string> = { 'AWS::IAM::Role': 'RoleName', 'AWS::IAM::User': 'UserName', 'AWS::IAM::Group': 'GroupName' };
  const stackIds = new Map<Stack, number>();
  const stackId = (stack: Stack) => stackIds.get(stack) ?? stackIds.set(stack, stackIds.size).get(stack)!;
  for (const r of resources) {
    byRef.set(`${stackId(r.stack)} ${r.logicalId}`, r);
    const name = nameProps[r.type] !== undefined ? r.props[nameProps[r.type]] : undefined;
    if (typeof name === 'string') byName.set(`${r.type} ${name}`, [...(byName.get(`${r.type} ${name}`) ?? []), r]);
  }
  const find = (from: Scanned, ref: unknown, type: string): Scanned[] => {
    if (ref !== null && typeof ref === 'object' && 'Ref' in (ref as object)) {
      const found = byRef.get(`${stackId(from.stack)} ${(ref as { Ref: string }).Ref}`);
      return found !== undefined && found.type === type ? [found] : [];
    }
    return typeof ref === 'string' ? byName.get(`${type} ${ref}`) ?? [] : [];
  };
  const holdersOf = (r: Scanned): Scanned[] => [
    ...asArray(r.props.Roles).flatMap(ref => find(r, ref, 'AWS::IAM::Role')),
    ...asArray(r.props.Users).flatMap(ref => find(r, ref, 'AWS::IAM::User')),
    ...asArray(r.props.Groups).flatMap(ref => find(r, ref, 'AWS::IAM::Group')),
  ];

  // Identities that attach a managed policy of their stack by Ref in ManagedPolicyArns.
  const attachedByArn = new Map<string, Scanned[]>();
  for (const r of resources) {
    for (const arn of asArray(r.props.ManagedPolicyArns).filter(isRef)) {
      const key = `${stackId(r.stack)} ${arn.Ref}`;
      attachedByArn.set(key, [...(attachedByArn.get(key) ?? []), r]);
    }
  }

  const held: HeldPolicy[] = [];
  for (const r of resources) {
    const where = () => scannedPath(r);
    const stack = r.stack;
    if (r.type === 'AWS::IAM::Policy') held.push({ source: where, stack, document: r.props.PolicyDocument, holders: holdersOf(r) });
    if (r.type === 'AWS::IAM::ManagedPolicy') {
      const attachedFromIdentity = attachedByArn.get(`${stackId(r.stack)} ${r.logicalId}`) ?? [];
      held.push({ source: where, stack, document: r.props.PolicyDocument, holders: [...holdersOf(r), ...attachedFromIdentity] });
    }
    if (['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group'].includes(r.type)) {
      asArray(r.props.Policies).forEach((p: any) => held.push({
        source: () => `${where()} (inline ${renderResolved(p.PolicyName)})`, stack, document: p.PolicyDocument, holders: [r],
      }));
      for (const name of asArray(r.props.ManagedPolicyArns).map(arn => awsManagedPolicyName(normalizeArn(renderResolved(arn))))) {
        const document = name !== undefined ? AWS_MANAGED_S3_POLICIES[name] : undefined;
        if (document) held.push({ source: () => `AWS managed policy ${name}`, stack, document, holders: [r] });
      }
    }
  }

  // Users also hold their groups' policies.
  const groupsOfUser = new Map<Scanned, Scanned[]>();
  for (const r of resources) {
    if (r.type === 'AWS::IAM::User') groupsOfUser.set(r, asArray(r.props.Groups).flatMap(ref => find(r, ref, 'AWS::IAM::Group')));
  }
  for (const addition of resources.filter(r => r.type === 'AWS::IAM::UserToGroupAddition')) {
    const groups = find(addition, addition.props.GroupName, 'AWS::IAM::Group');
    asArray(addition.props.Users).flatMap(ref => find(addition, ref, 'AWS::IAM::User'))
      .forEach(user => groupsOfUser.set(user, [...(groupsOfUser.get(user) ?? []), ...groups]));
  }
  const identitiesHolding = (policy: HeldPolicy): Scanned[] => [...new Set(policy.holders.flatMap(holder => (holder.type === 'AWS::IAM::Group'
    ? [...groupsOfUser].filter(([, groups]) => groups.includes(holder)).map(([user]) => user)
    : [holder])))];

  const findings = new Map<string, Map<Scanned, DirectFinding>>();
  // The ARNs that name each bucket in the templates of a stack: other stacks name it by its known
  // ARNs, and by the forms its references take there (worked out when some other stack has a policy).
  const elsewhere = new Map<BucketTarget, Map<Stack, string[]>>();
  const arnsIn = (bucket: BucketTarget, stack: Stack): string[] => {
    if (bucket.stack === stack) return bucket.arns;
    let perStack = elsewhere.get(bucket);
    if (perStack === undefined) {
      const forms = bucket.stack !== undefined ? referenceForms(bucket.stack, bucket.arns, stacks, templates) : new Map<Stack, Set<string>>();
      perStack = new Map(stacks.map(s => [s, [...bucket.arns.filter(isKnown), ...forms.get(s) ?? []]]));
      elsewhere.set(bucket, perStack);
    }
    return perStack.get(stack)!; // every policy is in one of `stacks`
  };
  for (const policy of held) {
    for (const statement of asArray(policy.document?.Statement)) {
      for (const bucket of buckets) {
        const reach = statementReach(statement, arnsIn(bucket, policy.stack), policy.stack);
        if (reach === undefined) continue;
        for (const identity of identitiesHolding(policy)) {
          const perBucket = findings.get(bucket.key) ?? new Map<Scanned, DirectFinding>();
          findings.set(bucket.key, perBucket);
          const finding = perBucket.get(identity) ?? {
            identity: { kind: identity.type === 'AWS::IAM::Role' ? 'role' : 'user', resource: identity.resource(), stack: identity.stack, logicalId: identity.logicalId },
            actions: new Set<string>(),
            resources: new Set<string>(),
            policies: new Set<string>(),
            conditional: false,
          } as DirectFinding;
          perBucket.set(identity, finding);
          reach.actions.forEach(a => finding.actions.add(a));
          reach.resources.forEach(a => finding.resources.add(a));
          finding.policies.add(policy.source());
          finding.conditional = finding.conditional || reach.conditional;
        }
      }
    }
  }
  return new Map([...findings].map(([key, perBucket]) => [key, [...perBucket.values()]]));
}

/** What a statement allows on a bucket without an access point. */
export interface StatementReach {
  readonly actions: string[];
  readonly resources: string[];
  readonly conditional: boolean;
}

/** The data actions and resources of an Allow statement (of a policy in `stack`) that reach the bucket, if any. */
export function statementReach(statement: any, bucketArns: string[], stack?: Stack): StatementReach | undefined {
  if (statement?.Effect !== 'Allow') return undefined;
  const conditionKeys = Object.values(statement.Condition ?? {}).flatMap(block => Object.keys(block as object)).map(k => k.toLowerCase());
  if (conditionKeys.some(key => ACCESS_POINT_KEYS.includes(key))) return undefined;

  // Resources first: most statements of an app name other resources, and matching actions costs more.
  let onBucket: string[];
  let onObjects: string[];
  if (statement.NotResource !== undefined) {
    // Everything but some resources: it reaches the bucket unless it excludes it; say so plainly.
    const excluded = asArray(statement.NotResource).map(r => normalizeArn(renderResolved(r, stack)));
    const label = [`NotResource ${excluded.join(', ')}`];
    onBucket = bucketArns.some(arn => excluded.some(e => matchesBucket(e, arn))) ? [] : label;
    onObjects = bucketArns.some(arn => excluded.some(e => e === '*' || e === `${arn}/*`)) ? [] : label;
  } else {
    const resources = asArray(statement.Resource).map(r => normalizeArn(renderResolved(r, stack)));
    onBucket = resources.filter(r => bucketArns.some(arn => matchesBucket(r, arn)));
    onObjects = resources.filter(r => bucketArns.some(arn => matchesObjects(r, arn)));
  }
  if (onBucket.length === 0 && onObjects.length === 0) return undefined;

  const named = DATA_ACTION_NAMES.filter(action => (statement.NotAction !== undefined
    ? !asArray(statement.NotAction).some(p => actionMatches(renderResolved(p), action))
    : asArray(statement.Action).some(p => actionMatches(renderResolved(p), action))));
  const actions = named.filter(action => (BUCKET_LEVEL_DATA_ACTIONS.includes(action) ? onBucket.length > 0 : onObjects.length > 0));
  if (actions.length === 0) return undefined;
  return { actions, resources: [...new Set([...onBucket, ...onObjects])], conditional: statement.Condition !== undefined };
}

/** One partition spelling, so that `arn:${AWS::Partition}:s3:::x` and `arn:aws:s3:::x` compare equal. */
export function normalizeArn(arn: string): string {
  return arn.replace(/^arn:(\$\{AWS::Partition\}|aws-cn|aws-us-gov|aws-iso[a-z-]*|aws):/, 'arn:aws:');
}

function matchesBucket(resource: string, bucketArn: string): boolean {
  const wildcard = resource.search(/[*?]/);
  if (wildcard < 0) return resource === bucketArn;
  // Most patterns of an app (other buckets, access points) part from the bucket's ARN before their first wildcard.
  return bucketArn.startsWith(resource.slice(0, wildcard)) && globToRegExp(resource).test(bucketArn);
}

/** Whether the pattern can match some object of the bucket (`BUCKET_ARN/KEY`). */
function matchesObjects(resource: string, bucketArn: string): boolean {
  const wildcard = resource.search(/[*?]/);
  if (wildcard < 0) return resource.startsWith(`${bucketArn}/`);
  const literal = resource.slice(0, wildcard);
  return `${bucketArn}/`.startsWith(literal) || literal.startsWith(`${bucketArn}/`);
}

/**
 * Every IAM resource of the app's stacks, with its properties as CloudFormation receives them.
 * The templates read go into `templates`.
 */
function collect(stacks: Stack[], source: ScanSource, templates: Map<Stack, any>): Scanned[] {
  return stacks.flatMap(stack => {
    const template = source.templatesWrittenSince !== undefined ? readTemplate(stack, source.templatesWrittenSince) : undefined;
    if (template !== undefined) templates.set(stack, template);
    return template !== undefined ? fromTemplate(stack, template) : fromConstructs(stack);
  });
}

/** The stack's template as synthesized into its assembly, if it was written there since `since`. */
function readTemplate(stack: Stack, since: number): any {
  const outdir = Stage.of(stack)?.outdir;
  const file = outdir !== undefined ? path.join(outdir, stack.templateFile) : undefined;
  const written = file !== undefined && fs.existsSync(file) ? fs.statSync(file).mtimeMs : undefined;
  // A file time coarser than the clock only sends a fresh template to the constructs (slower, same result).
  if (written === undefined || written < since) return undefined;
  return JSON.parse(fs.readFileSync(file!, 'utf-8'));
}

function fromTemplate(stack: Stack, template: any): Scanned[] {
  const constructs = lazyConstructIndex(stack);
  return Object.entries<any>(template.Resources ?? {})
    .filter(([, r]) => IAM_TYPES.includes(r?.Type))
    .map(([logicalId, r]) => ({ stack, logicalId, type: r.Type, props: r.Properties ?? {}, resource: () => constructs().get(logicalId) }));
}

function fromConstructs(stack: Stack): Scanned[] {
  return iamResources(stack).map(c => ({
    stack, logicalId: stack.resolve(c.logicalId), type: c.cfnResourceType, props: renderedProperties(c), resource: () => c,
  }));
}

/** The IAM L1 constructs of the stack (its nested stacks have their own templates). */
function iamResources(stack: Stack): CfnResource[] {
  return stack.node.findAll()
    .filter((c): c is CfnResource => CfnResource.isCfnResource(c) && IAM_TYPES.includes(c.cfnResourceType) && Stack.of(c) === stack);
}

/** The stack's IAM L1 constructs by logical ID, built on first use (allocating logical IDs costs). */
function lazyConstructIndex(stack: Stack): () => Map<string, CfnResource> {
  let index: Map<string, CfnResource> | undefined;
  return () => (index ??= new Map(iamResources(stack).map(c => [stack.resolve(c.logicalId) as string, c])));
}

/** The construct path of a scanned resource's L2, or its stack's path and logical ID. */
function scannedPath(r: Scanned): string {
  const resource = r.resource();
  return resource !== undefined ? constructPath(resource) : `${r.stack.node.path}/${r.logicalId}`;
}

function isRef(value: unknown): value is { Ref: string } {
  return value !== null && typeof value === 'object' && typeof (value as { Ref?: unknown }).Ref === 'string';
}

function asArray(value: unknown): any[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** The construct path of a resource's L2 (without `/Resource`). */
export function constructPath(c: IConstruct): string {
  return c.node.path.replace(/\/Resource$/, '');
}
