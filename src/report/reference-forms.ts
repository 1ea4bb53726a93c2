import { CfnOutput, NestedStack, Stack, Token } from 'aws-cdk-lib';
import { isKnown, renderExportName, renderResolved } from './render-value';
import { renderedProperties } from './rendered-resource';

/**
 * How the stacks of an app name a resource of one stack by reference. In its own stack an ARN such
 * as `${Bucket.Arn}` names it; another stack of the same account and Region names it by importing
 * an export of that stack (`${ImportValue:EXPORT}`); a nested stack by a parameter its parent
 * passes it (`${PARAMETER}`); a parent by an output of its nested stack
 * (`${NestedStackResource.Outputs.OUTPUT}`). The forms are carried along those edges, any number
 * of times (a nested stack of a stack that imports the bucket, ...).
 *
 * Only outputs and parameters that carry a bare reference are followed: an export of
 * `${Bucket.Arn}/*` is not, nor an export whose name is made from a parameter, nor references
 * across Regions (`crossRegionReferences`, through SSM parameters).
 */
export function referenceForms(origin: Stack, arns: string[], stacks: Stack[], templates: ReadonlyMap<Stack, any>): Map<Stack, Set<string>> {
  const forms = new Map<Stack, Set<string>>();
  const queue: Stack[] = [];
  const add = (stack: Stack, found: string[]) => {
    const known = forms.get(stack) ?? forms.set(stack, new Set()).get(stack)!;
    const before = known.size;
    found.forEach(arn => known.add(arn));
    if (known.size > before) queue.push(stack);
  };
  add(origin, arns.filter(arn => !isKnown(arn)));
  for (let stack = queue.shift(); stack !== undefined; stack = queue.shift()) {
    const here = [...forms.get(stack)!];
    for (const child of stacks.filter(s => NestedStack.isNestedStack(s) && s.nestedStackParent === stack)) {
      add(child, substituted(here, parametersOf(child as NestedStack, templates)));
    }
    if (NestedStack.isNestedStack(stack) && stack.nestedStackParent !== undefined) {
      add(stack.nestedStackParent, substituted(here, outputsOf(stack, templates)));
    }
    const imported = substituted(here, importsOf(stack, templates));
    if (imported.length === 0) continue;
    for (const other of stacks.filter(s => s !== stack && sameEnvironment(s, stack))) add(other, imported);
  }
  return forms;
}

/** A value as one stack renders it (`value`), and how a neighbouring stack receives it (`as`). */
interface Passed {
  readonly value: string;
  readonly as: string;
}

/** The ARNs with each reference they hold (`${Bucket}`, `${Bucket.Arn}`) written as the neighbour receives it. */
function substituted(arns: string[], passed: Passed[]): string[] {
  const references = passed.filter(p => /^\$\{[^${}]+\}$/.test(p.value));
  return arns.flatMap(arn => references.filter(p => arn.includes(p.value)).map(p => arn.split(p.value).join(p.as)));
}

/**
 * What other stacks import from the stack: `${ImportValue:EXPORT}` for each of its exports whose
 * name is known at synth (a name made from a parameter may be any).
 */
function importsOf(stack: Stack, templates: ReadonlyMap<Stack, any>): Passed[] {
  return outputs(stack, templates)
    .filter(o => o.exportName !== undefined && o.exportName !== null)
    .map(o => ({ value: renderResolved(o.value, stack), name: renderExportName(o.exportName, stack) }))
    .filter(e => isKnown(e.name))
    .map(e => ({ value: e.value, as: `\${ImportValue:${e.name}}` }));
}

/** What a nested stack's parent reads from it: `${RESOURCE.Outputs.OUTPUT}` for each of its outputs. */
function outputsOf(nested: NestedStack, templates: ReadonlyMap<Stack, any>): Passed[] {
  const resource = nested.nestedStackResource;
  if (resource === undefined) return [];
  const resourceId = nested.nestedStackParent!.resolve(resource.logicalId);
  return outputs(nested, templates).map(o => ({ value: renderResolved(o.value, nested), as: `\${${resourceId}.Outputs.${o.logicalId}}` }));
}

/** What a nested stack's parent passes it: `${PARAMETER}` for each parameter of its stack resource. */
function parametersOf(nested: NestedStack, templates: ReadonlyMap<Stack, any>): Passed[] {
  const parent = nested.nestedStackParent!;
  const resource = nested.nestedStackResource;
  if (resource === undefined) return [];
  const template = templates.get(parent);
  const parameters = template !== undefined
    ? template.Resources?.[parent.resolve(resource.logicalId)]?.Properties?.Parameters
    : renderedProperties(resource).Parameters;
  return Object.entries<unknown>(parameters ?? {}).map(([name, value]) => ({ value: renderResolved(value, parent), as: `\${${name}}` }));
}

/**
 * The stack's outputs, from its template when it was read, else from its `CfnOutput`s (aws-cdk-lib
 * adds those that other stacks reference before validation).
 */
function outputs(stack: Stack, templates: ReadonlyMap<Stack, any>): Array<{ logicalId: string; value: unknown; exportName: unknown }> {
  const template = templates.get(stack);
  if (template !== undefined) {
    return Object.entries<any>(template.Outputs ?? {}).map(([logicalId, o]) => ({ logicalId, value: o?.Value, exportName: o?.Export?.Name }));
  }
  return stack.node.findAll()
    .filter((c): c is CfnOutput => c instanceof CfnOutput && Stack.of(c) === stack)
    .map(o => ({ logicalId: stack.resolve(o.logicalId), value: stack.resolve(o.value), exportName: stack.resolve(o.exportName) }));
}

/** Whether two stacks may be in the same account and Region (an environment not known at synth may be). */
function sameEnvironment(a: Stack, b: Stack): boolean {
  const differ = (x: string, y: string) => !Token.isUnresolved(x) && !Token.isUnresolved(y) && x !== y;
  return !differ(a.account, b.account) && !differ(a.region, b.region);
}
