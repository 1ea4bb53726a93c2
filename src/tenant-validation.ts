/**
 * Pure checks of the tags and trust policies a TenantAccessPoint relies on. Each returns the
 * problems it found (empty when valid) and names the value and the rule.
 *
 * IAM tag keys and values may contain only Unicode letters, digits, white space and `_ . : / = + - @`
 * (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Tag.html): never `*`, `?` or `$`, so a
 * tag value can never be a wildcard or a policy variable once it is inserted into a policy.
 */
import { Token } from 'aws-cdk-lib';

/** The characters IAM accepts in tag keys and values. */
const IAM_TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const MAX_TAG_KEY_LENGTH = 128;
const MAX_TAG_VALUE_LENGTH = 256;

/** A tag key the library writes into policies (`aws:PrincipalTag/KEY`) and onto identities. */
export function validateTagKey(prop: string, key: string): string[] {
  if (Token.isUnresolved(key)) return [`${prop}: must be known at synth time (it is written into the access point policy as aws:PrincipalTag/KEY)`];
  const problems: string[] = [];
  const bad = (rule: string) => problems.push(`${prop}: "${key}" ${rule}`);
  if (key.length < 1 || key.length > MAX_TAG_KEY_LENGTH) bad(`must be 1-${MAX_TAG_KEY_LENGTH} characters long (it has ${key.length})`);
  if (!IAM_TAG_CHARACTERS.test(key)) bad('may contain only letters, digits, spaces and _ . : / = + - @ (IAM tag keys)');
  if (key.toLowerCase().startsWith('aws:')) bad('must not start with "aws:" (reserved by AWS)');
  return problems;
}

/**
 * The value of a tenant tag: it names the tenant's folder, `VALUE/`. Refused: empty (the folder
 * would be `/`), `/` anywhere (a tenant `acme/sub` would live inside tenant `acme`'s folder, which
 * `acme` could read), `.` and `..` (path segments tools resolve), and characters IAM refuses.
 */
export function validateTenantTagValue(what: string, value: string): string[] {
  if (Token.isUnresolved(value)) return [];
  const problems: string[] = [];
  const bad = (rule: string) => problems.push(`${what} is "${value}", which ${rule}`);
  if (value === '') bad('is empty: the folder would be "/" (the access point policy denies such principals)');
  if (value.includes('/')) bad('contains "/": the tenant would nest inside the folder of another tenant, who could read it (the access point policy denies such principals)');
  if (value === '.' || value === '..') bad('is a relative path segment (the access point policy denies such principals)');
  if (!IAM_TAG_CHARACTERS.test(value)) bad('has characters IAM refuses in tag values (only letters, digits, spaces and _ . : = + - @ name a tenant)');
  if (value.length > MAX_TAG_VALUE_LENGTH) bad(`is longer than the ${MAX_TAG_VALUE_LENGTH} characters IAM allows`);
  return problems;
}

/** The condition operator that keeps session tags away from the protected keys, whatever their case. */
export const SESSION_TAG_GUARD_OPERATOR = 'ForAllValues:StringNotEqualsIgnoreCase';

/**
 * Statements of a trust policy (as JSON) that let a caller pass session tags with any of the
 * protected keys. Session tags override the role's own tags with the same key, compared without
 * case (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html, `Tags`), so a
 * caller could pick its tenant at AssumeRole. A statement that allows `sts:TagSession` is safe only
 * with `ForAllValues:StringNotEqualsIgnoreCase` on `aws:TagKeys` listing every protected key.
 */
export function sessionTagProblems(what: string, trustPolicy: unknown, protectedKeys: string[]): string[] {
  const statements = asList((trustPolicy as { Statement?: unknown } | undefined)?.Statement);
  const problems: string[] = [];
  statements.forEach((statement: any, i) => {
    if (statement?.Effect !== 'Allow' || !allowsTagSession(statement)) return;
    const guarded = asList(conditionValues(statement.Condition, SESSION_TAG_GUARD_OPERATOR, 'aws:TagKeys')).map(v => String(v).toLowerCase());
    const open = protectedKeys.filter(key => !guarded.includes(key.toLowerCase()));
    if (open.length > 0) {
      problems.push(`${what}: trust policy statement ${statement.Sid ?? i} allows sts:TagSession, so whoever assumes the role can set the tags `
        + `${open.map(k => `"${k}"`).join(', ')} and pick any tenant (session tags override the role's tags). Remove withSessionTags(), or add the condition `
        + `{ "${SESSION_TAG_GUARD_OPERATOR}": { "aws:TagKeys": [${protectedKeys.map(k => `"${k}"`).join(', ')}] } } to that statement`);
    }
  });
  return problems;
}

function allowsTagSession(statement: any): boolean {
  if (statement.NotAction !== undefined) return !asList(statement.NotAction).some(a => actionMatches(String(a), 'sts:TagSession'));
  return asList(statement.Action).some(a => actionMatches(String(a), 'sts:TagSession'));
}

/** IAM action patterns: case-insensitive, `*` and `?` wildcards. */
function actionMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return regex.test(action);
}

function conditionValues(condition: any, operator: string, key: string): unknown {
  const find = (record: unknown, name: string) => Object.entries(record ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  return find(find(condition, operator), key);
}

function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
