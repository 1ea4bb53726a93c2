/**
 * TEST-ONLY access model, part 2: policy rewrites that work around known iam-simulate gaps.
 *
 * - Context-key aliasing: iam-simulate drops context keys that its service data does not list for the
 *   action/resource type. It drops `s3:DataAccessPointArn`, `s3:DataAccessPointAccount` and
 *   `s3:AccessPointNetworkOrigin` when the resource is a bucket/object ARN (the bucket leg of an access
 *   point request), and `kms:EncryptionContext:<key>` for KMS. The aliases below are principal-tag keys,
 *   which it keeps for every action and resource (any `aws:PrincipalTag/...` matches its
 *   `aws:PrincipalTag/tag-key` entry), so a leg renames the key in its request context AND in the
 *   condition keys / policy variables of every policy it evaluates.
 * - Endpoint policies: iam-simulate only accepts `Principal: "*"` there (it rejects CDK's `{"AWS":"*"}`,
 *   which AWS treats as `"*"`) and ignores principals when evaluating them. So endpoint policies are
 *   specialised per principal: statements whose Principal matches get `"*"`, the others are dropped.
 */
import { assertNoNotPrincipal, PolicyDocument, PrincipalInfo, statementsOf } from './world';

/** Prefix of every alias key; a policy that already uses such a key would be ambiguous, so it throws. */
export const ALIAS_KEY_PREFIX = 'aws:PrincipalTag/xsim-';

/** Alias of each access point condition key in the bucket leg. */
export const ACCESS_POINT_KEY_ALIASES: Readonly<Record<string, string>> = {
  's3:dataaccesspointarn': `${ALIAS_KEY_PREFIX}s3-DataAccessPointArn`,
  's3:dataaccesspointaccount': `${ALIAS_KEY_PREFIX}s3-DataAccessPointAccount`,
  's3:accesspointnetworkorigin': `${ALIAS_KEY_PREFIX}s3-AccessPointNetworkOrigin`,
};

/** Maps a condition key to its alias, or undefined to keep it. */
export type KeyAliaser = ((key: string) => string | undefined) & { readonly id: string };

function makeAliaser(id: string, fn: (key: string) => string | undefined): KeyAliaser {
  return Object.assign(fn, { id });
}

export const accessPointKeyAliaser: KeyAliaser = makeAliaser('s3-access-point', (key) => ACCESS_POINT_KEY_ALIASES[key.toLowerCase()]);

const KMS_CONTEXT_PREFIX = 'kms:encryptioncontext:';
export const kmsKeyAliaser: KeyAliaser = makeAliaser('kms-encryption-context', (key) =>
  key.toLowerCase().startsWith(KMS_CONTEXT_PREFIX)
    ? `${ALIAS_KEY_PREFIX}kms-EncryptionContext-${key.slice(KMS_CONTEXT_PREFIX.length)}`
    : undefined);

const aliasCache = new Map<string, WeakMap<object, PolicyDocument>>();

/**
 * Rename every condition key (and `${key}` policy variable) that `aliaser` maps. Returns the same object
 * when nothing changes; results are cached per input document.
 */
export function aliasPolicy(doc: PolicyDocument, aliaser: KeyAliaser): PolicyDocument {
  let cache = aliasCache.get(aliaser.id);
  if (!cache) aliasCache.set(aliaser.id, cache = new WeakMap());
  const hit = cache.get(doc);
  if (hit) return hit;

  let changed = false;
  const renameVars = (v: any): any => {
    if (typeof v === 'string') {
      return v.replace(/\$\{([^}]+)\}/g, (m: string, name: string) => {
        const a = aliaser(name);
        if (a) changed = true;
        return a ? `\${${a}}` : m;
      });
    }
    if (Array.isArray(v)) return v.map(renameVars);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renameVars(x)]));
    return v;
  };
  const statements = statementsOf(doc).map((st) => {
    const out: any = { ...st };
    for (const el of ['Resource', 'NotResource']) {
      if (el in st) out[el] = renameVars(st[el]);
    }
    if (st.Condition) {
      out.Condition = {};
      for (const [op, block] of Object.entries<any>(st.Condition)) {
        out.Condition[op] = {};
        for (const [key, values] of Object.entries(block ?? {})) {
          if (key.toLowerCase().startsWith(ALIAS_KEY_PREFIX.toLowerCase())) {
            throw new Error(`access model: a policy uses the condition key ${key}, which the harness reserves for context-key aliases`);
          }
          const alias = aliaser(key);
          if (alias) changed = true;
          out.Condition[op][alias ?? key] = renameVars(values);
        }
      }
    }
    return out;
  });
  const result = changed ? { ...doc, Statement: statements } : doc;
  cache.set(doc, result);
  return result;
}

/** Rename the context keys that `aliaser` maps. */
export function aliasContext(context: Record<string, string | string[]>, aliaser: KeyAliaser): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(context)) out[aliaser(k) ?? k] = v;
  return out;
}

/** The ARN iam-simulate sees as the caller: an assumed-role session for roles, the user ARN for users. */
export function requestPrincipalArn(p: PrincipalInfo, partition: string): string {
  return p.kind === 'role' ? `arn:${partition}:sts::${p.account}:assumed-role/${p.name}/access-model-session` : p.arn;
}

/** Does a policy's Principal element name this principal? (No wildcards other than "*" are legal there.) */
export function principalElementMatches(element: any, p: PrincipalInfo, partition: string): boolean {
  if (element === '*') return true;
  if (!element || typeof element !== 'object') return false;
  const aws = element.AWS;
  if (aws === undefined) return false; // Service, Federated, CanonicalUser never name an IAM user or role
  const values: string[] = Array.isArray(aws) ? aws : [aws];
  return values.some((v) => v === '*'
    || v === p.arn
    || v === p.account
    || v === `arn:${partition}:iam::${p.account}:root`
    || (p.kind === 'role' && v === requestPrincipalArn(p, partition)));
}

const endpointCache = new WeakMap<object, Map<string, PolicyDocument>>();

/**
 * The endpoint policy as iam-simulate must see it for one caller: matching statements get `Principal: "*"`
 * (this also normalises CDK's `{"AWS":"*"}`), the others are dropped.
 */
export function endpointPolicyFor(doc: PolicyDocument, p: PrincipalInfo, partition: string): PolicyDocument {
  let perPrincipal = endpointCache.get(doc);
  if (!perPrincipal) endpointCache.set(doc, perPrincipal = new Map());
  const hit = perPrincipal.get(p.arn);
  if (hit) return hit;
  assertNoNotPrincipal(doc, 'endpoint policy');
  const statements = statementsOf(doc)
    .filter((st) => !('Principal' in st) || principalElementMatches(st.Principal, p, partition))
    .map((st) => ('Principal' in st ? { ...st, Principal: '*' } : st));
  const result = { ...doc, Statement: statements };
  perPrincipal.set(p.arn, result);
  return result;
}
