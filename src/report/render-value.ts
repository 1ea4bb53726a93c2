import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * A value as far as it is known at synth time: resolved in `scope`'s stack, with what only
 * CloudFormation knows written as `${LogicalId}` (Ref), `${LogicalId.Attribute}` (GetAtt) or
 * `${AWS::Partition}`. Deterministic: the same app always gives the same text.
 */
export function renderValue(scope: IConstruct, value: unknown): string {
  if (typeof value === 'string' && !Token.isUnresolved(value)) return value;
  const stack = Stack.of(scope);
  if (typeof value !== 'string' || cache === undefined) return renderResolved(stack.resolve(value));
  const perStack = cache.get(stack) ?? new Map<string, string>();
  cache.set(stack, perStack);
  if (!perStack.has(value)) perStack.set(value, renderResolved(stack.resolve(value)));
  return perStack.get(value)!;
}

/** Rendered tokens by stack, while one report is built (a token's value may change between synths). */
let cache: Map<Stack, Map<string, string>> | undefined;

/** Run `build` with rendered values cached: the same ARN is rendered for every grant that names it. */
export function withRenderCache<T>(build: () => T): T {
  cache = new Map();
  try {
    return build();
  } finally {
    cache = undefined;
  }
}

/**
 * Like `renderValue`, for a value already resolved (e.g. a template fragment). Given the stack the
 * value is in, the names of imports are written with that stack's name, account and Region where
 * known (see `renderExportName`).
 */
export function renderResolved(value: unknown, stack?: Stack): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const render = (v: unknown) => renderResolved(v, stack);
  if (Array.isArray(value)) return value.map(render).join(',');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [fn, arg] = entries[0];
    if (fn === 'Ref') return `\${${render(arg)}}`;
    if (fn === 'Fn::GetAtt' && Array.isArray(arg)) return `\${${arg.map(render).join('.')}}`;
    if (fn === 'Fn::Join' && Array.isArray(arg) && Array.isArray(arg[1])) return arg[1].map(render).join(String(arg[0]));
    if (fn === 'Fn::Select' && Array.isArray(arg) && Array.isArray(arg[1]) && typeof arg[0] !== 'object') return render(arg[1][Number(arg[0])]);
    if (fn === 'Fn::ImportValue') return `\${ImportValue:${renderExportName(arg, stack)}}`;
    if (fn === 'Fn::Sub') return renderSub(arg, stack) ?? `\${${JSON.stringify(value)}}`;
  }
  return `\${${JSON.stringify(value)}}`;
}

/**
 * An export's name as one account and Region know it: names are global there, so the stack's own
 * name, account and Region (where known at synth) replace `${AWS::StackName}`, `${AWS::AccountId}`
 * and `${AWS::Region}`. A name that still holds a reference (a parameter) is not known at synth.
 */
export function renderExportName(name: unknown, stack?: Stack): string {
  let rendered = renderResolved(name, stack);
  if (stack === undefined) return rendered;
  for (const [pseudo, known] of [['AWS::StackName', stack.stackName], ['AWS::AccountId', stack.account], ['AWS::Region', stack.region]]) {
    if (!Token.isUnresolved(known)) rendered = rendered.split(`\${${pseudo}}`).join(known);
  }
  return rendered;
}

/**
 * `Fn::Sub` with its variables put in: what remains (`${Logical}`, `${Logical.Attribute}`,
 * `${AWS::Partition}`) is already written the way `renderResolved` writes references.
 */
function renderSub(arg: unknown, stack: Stack | undefined): string | undefined {
  const [text, variables] = typeof arg === 'string' ? [arg, {}] : Array.isArray(arg) ? [arg[0], arg[1] ?? {}] : [undefined, {}];
  if (typeof text !== 'string' || typeof variables !== 'object' || variables === null) return undefined;
  // `${!Literal}` is the text `${Literal}`, not a variable
  return text.replace(/\$\{(!?)([^}]*)\}/g, (whole, literal: string, name: string) => {
    if (literal) return `\${${name}}`;
    return Object.prototype.hasOwnProperty.call(variables, name) ? renderResolved((variables as Record<string, unknown>)[name], stack) : whole;
  });
}

/** Whether a rendered value is fully known at synth time. */
export function isKnown(rendered: string): boolean {
  return !rendered.includes('${');
}
