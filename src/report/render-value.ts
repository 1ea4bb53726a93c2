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

/** Like `renderValue`, for a value already resolved (e.g. a template fragment). */
export function renderResolved(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(renderResolved).join(',');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [fn, arg] = entries[0];
    if (fn === 'Ref') return `\${${renderResolved(arg)}}`;
    if (fn === 'Fn::GetAtt' && Array.isArray(arg)) return `\${${arg.map(renderResolved).join('.')}}`;
    if (fn === 'Fn::Join' && Array.isArray(arg) && Array.isArray(arg[1])) return arg[1].map(renderResolved).join(String(arg[0]));
    if (fn === 'Fn::Select' && Array.isArray(arg) && Array.isArray(arg[1]) && typeof arg[0] !== 'object') return renderResolved(arg[1][Number(arg[0])]);
    if (fn === 'Fn::ImportValue') return `\${ImportValue:${renderResolved(arg)}}`;
    if (fn === 'Fn::Sub') return renderSub(arg) ?? `\${${JSON.stringify(value)}}`;
  }
  return `\${${JSON.stringify(value)}}`;
}

/**
 * `Fn::Sub` with its variables put in: what remains (`${Logical}`, `${Logical.Attribute}`,
 * `${AWS::Partition}`) is already written the way `renderResolved` writes references.
 */
function renderSub(arg: unknown): string | undefined {
  const [text, variables] = typeof arg === 'string' ? [arg, {}] : Array.isArray(arg) ? [arg[0], arg[1] ?? {}] : [undefined, {}];
  if (typeof text !== 'string' || typeof variables !== 'object') return undefined;
  // `${!Literal}` is the text `${Literal}`, not a variable
  return text.replace(/\$\{(!?)([^}]*)\}/g, (whole, literal: string, name: string) => {
    if (literal) return `\${${name}}`;
    return name in variables ? renderResolved((variables as Record<string, unknown>)[name]) : whole;
  });
}

/** Whether a rendered value is fully known at synth time. */
export function isKnown(rendered: string): boolean {
  return !rendered.includes('${');
}
