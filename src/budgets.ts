/**
 * Size budgets AWS enforces at deploy time, checked at synth time (docs/aws-rules.md sections 1 and 9,
 * CloudFormation quotas) so that a template that cannot deploy never leaves the machine.
 */
import { CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

/** Access point and bucket policies: 20 KB each. */
export const RESOURCE_POLICY_MAX_BYTES = 20 * 1024;

/**
 * All inline policies of one identity together, by kind. Roles are not checked: aws-cdk-lib moves
 * the overflow of a role's default policy into managed policies by itself.
 */
export const INLINE_POLICY_MAX_CHARS = { user: 2_048, group: 5_120 };

/** One customer managed policy. */
export const MANAGED_POLICY_MAX_CHARS = 6_144;

/** Service control policies and resource control policies: 5,120 characters each (AWS Organizations quotas). */
export const ORGANIZATION_POLICY_MAX_CHARS = 5_120;

/** Resources in one CloudFormation stack. */
export const STACK_MAX_RESOURCES = 500;

/** aws-cdk-lib's context key that changes (or, with 0, turns off) the resource limit. */
const STACK_RESOURCE_LIMIT_CONTEXT = '@aws-cdk/core:stackResourceLimit';

// Upper estimates for values CloudFormation fills in at deploy time.
const PSEUDO_LENGTHS: Record<string, number> = {
  'AWS::Partition': 10, 'AWS::AccountId': 12, 'AWS::Region': 14, 'AWS::URLSuffix': 13, 'AWS::StackName': 128,
};
const REF_LENGTH = 64;
const GETATT_ARN_LENGTH = 160;
const OTHER_INTRINSIC_LENGTH = 128;

/**
 * The length of a policy as IAM counts it (no whitespace), with every CloudFormation intrinsic
 * replaced by an upper estimate of the value it resolves to.
 */
export function policyLength(scope: IConstruct, policy: unknown): number {
  return resolvedPolicyLength(Stack.of(scope).resolve(policy));
}

/** Like `policyLength`, for a policy already resolved (CloudFormation intrinsics, no tokens). */
export function resolvedPolicyLength(resolved: unknown): number {
  return JSON.stringify(estimate(resolved)).length;
}

function estimate(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(estimate);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) {
    return 'x'.repeat(intrinsicLength(entries[0][0], entries[0][1]));
  }
  return Object.fromEntries(entries.map(([key, v]) => [key, estimate(v)]));
}

function intrinsicLength(name: string, args: any): number {
  switch (name) {
    case 'Ref': return PSEUDO_LENGTHS[args] ?? REF_LENGTH;
    case 'Fn::GetAtt': return GETATT_ARN_LENGTH;
    case 'Fn::Join': return (args[1] as unknown[]).map(part => {
      const estimated = estimate(part);
      return typeof estimated === 'string' ? estimated.length : OTHER_INTRINSIC_LENGTH;
    }).reduce((sum, length) => sum + length, 0) + args[0].length * Math.max(0, args[1].length - 1);
    default: return OTHER_INTRINSIC_LENGTH;
  }
}

/** A problem if `policy` is over `max`, naming what and how to fix it. */
export function checkPolicySize(scope: IConstruct, what: string, policy: unknown, max: number, fix: string): string[] {
  return checkResolvedPolicySize(what, Stack.of(scope).resolve(policy), max, fix);
}

/** Like `checkPolicySize`, for a policy already resolved. */
export function checkResolvedPolicySize(what: string, resolved: unknown, max: number, fix: string): string[] {
  const length = resolvedPolicyLength(resolved);
  return length > max ? [`${what} is about ${length.toLocaleString('en-US')} characters, over the ${max.toLocaleString('en-US')} AWS allows: ${fix}`] : [];
}

type IdentityKind = keyof typeof INLINE_POLICY_MAX_CHARS;

/** An identity this library writes into: its name (usually a token) and kind. */
interface TrackedIdentity {
  readonly name: string;
  readonly kind: IdentityKind;
  readonly path: string;
}

/** Identities this library wrote into, per stack: only theirs are checked. */
const trackedIdentities = new WeakMap<Stack, TrackedIdentity[]>();

/**
 * Check `scope`'s stack once, at synth: its resource count, and the inline policy totals of the
 * identities passed here (those this library writes grants into).
 */
export function trackBudgets(scope: IConstruct, identity?: { name: string; kind: IdentityKind; construct: IConstruct }): void {
  const stack = Stack.of(scope);
  let identities = trackedIdentities.get(stack);
  if (identities === undefined) {
    const tracked: TrackedIdentity[] = [];
    identities = tracked;
    trackedIdentities.set(stack, tracked);
    stack.node.addValidation({ validate: () => validateStack(stack, tracked) });
  }
  if (identity) identities.push({ name: identity.name, kind: identity.kind, path: identity.construct.node.path });
}

function validateStack(stack: Stack, tracked: TrackedIdentity[]): string[] {
  const problems: string[] = [];
  // Names as they appear in the template (a Ref for a new identity, the name for an imported one).
  const identities = new Map(tracked.map(identity => [JSON.stringify(stack.resolve(identity.name)), identity]));
  const resources = stack.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c) && Stack.of(c) === stack);
  // The same context key as aws-cdk-lib's own check: a number, or 0 to turn the check off.
  const maxResources = Number(stack.node.tryGetContext(STACK_RESOURCE_LIMIT_CONTEXT) ?? STACK_MAX_RESOURCES);
  if (maxResources > 0 && resources.length > maxResources) {
    problems.push(`the stack has ${resources.length} resources, over the ${maxResources} CloudFormation allows: shard it, putting UserAccessPoints in other stacks of the same account and Region (see the README's Limits section)`);
  }

  // Inline policies count together per identity: AWS::IAM::Policy resources attached to it, and its own Policies.
  const totals = new Map<string, number>();
  const add = (name: unknown, length: number) => {
    const k = JSON.stringify(name);
    if (identities.has(k)) totals.set(k, (totals.get(k) ?? 0) + length);
  };
  for (const resource of resources) {
    // Inline totals are kept only for tracked identities: with none, resolving attachments is wasted.
    if (identities.size === 0 && !(resource instanceof iam.CfnManagedPolicy)) continue;
    if (resource instanceof iam.CfnPolicy) {
      const names = stack.resolve([resource.users, resource.roles, resource.groups]) as Array<unknown[] | undefined>;
      const attached = names.flatMap(list => list ?? []);
      // Only policies of identities this library writes into are measured: resolving is the cost.
      if (!attached.some(name => identities.has(JSON.stringify(name)))) continue;
      const length = policyLength(stack, resource.policyDocument);
      attached.forEach(name => add(name, length));
    } else if (resource instanceof iam.CfnUser || resource instanceof iam.CfnRole || resource instanceof iam.CfnGroup) {
      const inline = stack.resolve(resource.policies) as Array<{ policyDocument: unknown }> | undefined;
      const ref = { Ref: stack.resolve(resource.logicalId) };
      (inline ?? []).forEach(policy => add(ref, policyLength(stack, policy.policyDocument)));
    } else if (resource instanceof iam.CfnManagedPolicy) {
      problems.push(...checkPolicySize(resource, `the managed policy ${resource.node.path}`, resource.policyDocument, MANAGED_POLICY_MAX_CHARS,
        'grant fewer access points to one identity through it'));
    }
  }
  for (const [k, total] of totals) {
    const { kind, path } = identities.get(k)!;
    const max = INLINE_POLICY_MAX_CHARS[kind];
    if (total > max) {
      problems.push(`the inline policies of the IAM ${kind} ${path} are about ${total.toLocaleString('en-US')} characters together, over the ${max.toLocaleString('en-US')} AWS allows for a ${kind}: `
        + 'set identityPolicy: IdentityPolicy.MANAGED on its UserAccessPoints to put the grants in managed policies (6,144 characters each)');
    }
  }
  return problems;
}
