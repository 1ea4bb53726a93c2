/**
 * Pure validation: each function returns the problems it found (empty when valid), skips
 * unresolved tokens, and names the prop, the bad value and the rule. Constructs collect every
 * problem and throw once (see `throwIfInvalid`).
 */
import { Annotations, CfnParameter, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { allowedPatternKeepsFolderSafe } from './allowed-pattern';

/** The folder sentinel for per-user home folders (`${aws:username}/`). */
export const PER_USER_FOLDER = '${aws:username}/';

const MAX_KEY_BYTES = 1024;

/** Bucket names: 3-63 characters of a-z, 0-9, `.` and `-`, as S3 requires. */
export function validateBucketName(prop: string, name: string | undefined): string[] {
  if (name === undefined || Token.isUnresolved(name)) return [];
  const problems: string[] = [];
  const bad = (rule: string) => problems.push(`${prop}: "${name}" ${rule}`);
  if (name.length < 3 || name.length > 63) bad(`must be 3-63 characters long (it has ${name.length})`);
  if (/[^a-z0-9.-]/.test(name)) bad('may contain only lowercase letters, digits, "." and "-"');
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) bad('must start and end with a lowercase letter or digit');
  if (name.includes('..')) bad('must not contain ".."');
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) bad('must not look like an IP address');
  if (name.startsWith('xn--') || name.startsWith('sthree-')) bad('must not start with "xn--" or "sthree-" (reserved by S3)');
  if (name.endsWith('-s3alias') || name.endsWith('--ol-s3')) bad('must not end with "-s3alias" or "--ol-s3" (reserved by S3)');
  return problems;
}

/**
 * Access point names (docs/aws-rules.md section 1): 3-50 characters of a-z, 0-9 and `-`, starting and
 * ending with a letter or digit, not ending with the reserved alias suffixes.
 */
export function validateAccessPointName(prop: string, name: string | undefined): string[] {
  if (name === undefined || Token.isUnresolved(name)) return [];
  const problems: string[] = [];
  const bad = (rule: string) => problems.push(`${prop}: "${name}" ${rule}`);
  if (name.length < 3 || name.length > 50) bad(`must be 3-50 characters long (it has ${name.length})`);
  if (/[^a-z0-9-]/.test(name)) bad('may contain only lowercase letters, digits and "-" (no "_", ".", uppercase or spaces)');
  if (name.startsWith('-') || name.endsWith('-')) bad('must start and end with a lowercase letter or digit');
  if (name.endsWith('-s3alias') || name.endsWith('-ext-s3alias')) bad('must not end with "-s3alias" or "-ext-s3alias" (reserved for access point aliases)');
  return problems;
}

/**
 * Folder prefixes (docs/aws-rules.md section 9): no wildcard or policy variable could widen a grant, no
 * leading `/`, not empty, at most 1,024 bytes. `PER_USER_FOLDER` is the one allowed variable.
 */
export function validatePrefix(prop: string, prefix: string, options: { allowPerUserFolder?: boolean } = {}): string[] {
  if (Token.isUnresolved(prefix)) return [];
  if (prefix === PER_USER_FOLDER) {
    return options.allowPerUserFolder ? [] : [`${prop}: PER_USER_FOLDER needs IAM users (aws:username exists only for IAM users); use a user or a group as the identity`];
  }
  const problems: string[] = [];
  const bad = (rule: string) => problems.push(`${prop}: "${prefix}" ${rule}`);
  if (prefix === '' || prefix === '/') bad('must name a folder (an empty prefix would grant the whole bucket)');
  if (/[*?]/.test(prefix)) bad('must not contain "*" or "?": in a policy they are wildcards and would widen the grant');
  if (prefix.includes('${')) bad('must not contain "${": it would be read as a policy variable (use UserAccessPoint.PER_USER_FOLDER for home folders)');
  if (prefix.startsWith('/')) bad('must not start with "/" (S3 keys have no leading slash)');
  if (prefix.split('/').includes('..')) bad('must not have a ".." segment (tools read keys as paths; the reader refuses them)');
  if (Buffer.byteLength(prefix, 'utf8') > MAX_KEY_BYTES) bad(`must be at most ${MAX_KEY_BYTES} bytes (it has ${Buffer.byteLength(prefix, 'utf8')})`);
  return problems;
}

/**
 * A list of folders for one grant: not empty, each a valid prefix (named `prop[i]`), and not
 * `AccessPoint.ALL_KEYS`, which means the whole bucket and has its own call.
 */
export function validateFolders(prop: string, folders: readonly string[]): string[] {
  if (Token.isUnresolved(folders)) return [`${prop}: a list token cannot be checked or turned into one statement per grant: pass the folders as a list of strings`];
  if (folders.length === 0) return [`${prop}: must name at least one folder (an empty list would grant nothing, or be mistaken for every key)`];
  return folders.flatMap((folder, i) => folder === '*'
    ? [`${prop}[${i}]: "*" (AccessPoint.ALL_KEYS) grants every key: pass it alone as keyPrefix to grantRead and the like, not in a list of folders`]
    : validatePrefix(`${prop}[${i}]`, folder));
}

/**
 * Folders as a grant covers them: normalized (see `normalizePrefix`), without duplicates and
 * without folders inside another listed folder (the outer one already covers them), in the
 * order given.
 */
export function normalizeFolders(folders: readonly string[]): string[] {
  const normalized = [...new Set(folders.map(normalizePrefix))];
  const known = normalized.filter(folder => !Token.isUnresolved(folder));
  return normalized.filter(folder => Token.isUnresolved(folder) || !known.some(outer => outer !== folder && folder.startsWith(outer)));
}

/**
 * A prefix as a folder: ends in `/`, so `bob` never matches `bobby/`. An unresolved token is taken
 * as a folder name and gets a `/` too (see `warnIfUnresolvedPrefix` for what cannot be checked).
 */
export function normalizePrefix(prefix: string): string {
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** An `allowedPattern` for a folder parameter: no wildcard, no `$`, no leading, trailing or double `/`. */
export const FOLDER_PARAMETER_PATTERN = '^[^*?$/]+(/[^*?$/]+)*$';

/**
 * Whether every normalized prefix of a grant lies in `folder` (`undefined`: every key, which does
 * not). Tokens cannot be compared: they are let through.
 */
export function isWithinFolder(prefixes: readonly string[] | undefined, folder: string): boolean {
  if (prefixes === undefined) return Token.isUnresolved(folder);
  return prefixes.every(prefix => Token.isUnresolved(folder) || Token.isUnresolved(prefix) || prefix.startsWith(folder));
}

/** The keys of a grant, for messages: `every key`, or the folders in quotes. */
export function describeKeys(prefixes: readonly string[] | undefined): string {
  return prefixes === undefined ? 'every key' : prefixes.map(prefix => `"${prefix}"`).join(', ');
}

/**
 * A prefix that is a token cannot be checked here: say so, since a value with `*` or `?` at
 * deploy time would widen the grant, and `bob/` would become `bob//`. Silent when the token is a
 * CfnParameter (alone, or followed by `/`) whose `allowedValues` or `allowedPattern` admit only
 * folder names without a trailing `/`.
 */
export function warnIfUnresolvedPrefix(scope: IConstruct, prop: string, prefix: string): void {
  if (!Token.isUnresolved(prefix)) return;
  const parameter = folderParameterOf(scope, prefix);
  if (parameter !== undefined && parameterHoldsFolderName(parameter)) return;
  Annotations.of(scope).addWarningV2('cdk-shared-bucket:unresolvedPrefix',
    `${prop}: the folder is only known at deploy time, so it is not checked: a value with "*", "?" or "\${" would widen the grant, `
    + 'and a "/" is appended, so "bob/" would become "bob//". Pass a CfnParameter that holds the folder name without a trailing "/", '
    + `with allowedPattern ${FOLDER_PARAMETER_PATTERN} (or allowedValues of such names); this warning then goes away.`);
}

/** The CfnParameter a prefix is made of: the parameter alone, or followed by `/`. */
function folderParameterOf(scope: IConstruct, prefix: string): CfnParameter | undefined {
  return Stack.of(scope).node.findAll().find((c): c is CfnParameter =>
    c instanceof CfnParameter && (prefix === c.valueAsString || prefix === `${c.valueAsString}/`));
}

/** Whether every value the parameter accepts is a folder name without a trailing `/`. */
function parameterHoldsFolderName(parameter: CfnParameter): boolean {
  const values = parameter.allowedValues;
  if (values !== undefined && values.length > 0 && !values.some(Token.isUnresolved)) {
    return values.every(value => validatePrefix('allowedValues', value).length === 0 && !value.endsWith('/'));
  }
  const pattern = parameter.allowedPattern;
  return pattern !== undefined && !Token.isUnresolved(pattern) && allowedPatternKeepsFolderSafe(pattern);
}

/** Throw one error listing every problem, naming the construct. */
export function throwIfInvalid(scope: IConstruct, constructName: string, problems: string[]): void {
  if (problems.length === 0) return;
  throw new Error(`${constructName} at '${scope.node.path}' has invalid props:\n${problems.map(p => `  - ${p}`).join('\n')}`);
}
