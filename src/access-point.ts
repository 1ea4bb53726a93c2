import { Annotations, Arn, ArnFormat, Fn, IResolveContext, IResource, Lazy, Names, Resource, Stack, Token, TokenComparison } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { Access } from './access';
import { registerAccessPoint, sharerOf } from './bucket-registry';
import { RESOURCE_POLICY_MAX_BYTES, checkResolvedPolicySize, trackBudgets } from './budgets';
import {
  ActionSet,
  ActionSets,
  KeyScope,
  accessPointObjectArn,
  actionsFor,
  exclusiveAccessStatement,
  folderConfinementStatements,
  folderGrantParts,
  toResourceStatement,
} from './policy';
import { principalArn } from './principals';
import { accessLevelName, recordAccessPoint, recordGrant } from './report/recorder';
import { describeKeys, isWithinFolder, normalizeFolders, normalizePrefix, throwIfInvalid, validateAccessPointName, validateFolders, validatePrefix } from './validation';

/**
 * Where an access point accepts requests from.
 */
export enum NetworkOrigin {
  /** Any network, subject to the policies. */
  INTERNET = 'Internet',
  /** Only through a VPC endpoint in one VPC; every other request is rejected before policies are evaluated. */
  VPC = 'VPC',
}

/**
 * An S3 access point.
 */
export interface IAccessPoint extends IResource {
  /**
   * The name of the access point.
   * @attribute
   */
  readonly accessPointName: string;

  /**
   * The ARN of the access point (`arn:PARTITION:s3:REGION:ACCOUNT:accesspoint/NAME`).
   * @attribute
   */
  readonly accessPointArn: string;

  /**
   * The alias of the access point, usable wherever a bucket name is accepted for data operations
   * (not in IAM policies).
   * @attribute
   */
  readonly accessPointAlias: string;

  /** Where the access point accepts requests from. */
  readonly networkOrigin: NetworkOrigin;

  /** The bucket behind the access point, when known. Its KMS key is added to grants. */
  readonly bucket?: s3.IBucket;

  /**
   * The ARN of objects reached through this access point, e.g. `arnForObjects('bob/*')`.
   *
   * @param keyPattern an S3 key or key pattern
   */
  arnForObjects(keyPattern: string): string;

  /**
   * Add a statement to the access point policy.
   *
   * @param statement the statement; its resources should be this access point's ARNs
   */
  addToResourcePolicy(statement: iam.PolicyStatement): iam.AddToResourcePolicyResult;

  /**
   * Allow `grantee` to get objects and list keys under `keyPrefix`, through this access point.
   *
   * @param grantee the principal
   * @param keyPrefix the folder (e.g. `bob/`), or `AccessPoint.ALL_KEYS` for every key.
   */
  grantRead(grantee: iam.IGrantable, keyPrefix?: string): iam.Grant;

  /**
   * Allow `grantee` to put objects (including multipart uploads) under `keyPrefix`.
   *
   * @param grantee the principal
   * @param keyPrefix the folder (e.g. `bob/`), or `AccessPoint.ALL_KEYS` for every key.
   */
  grantWrite(grantee: iam.IGrantable, keyPrefix?: string): iam.Grant;

  /**
   * Allow `grantee` to read and write under `keyPrefix`. Unlike aws-cdk-lib's
   * `Bucket.grantReadWrite`, this does not include delete.
   *
   * @param grantee the principal
   * @param keyPrefix the folder (e.g. `bob/`), or `AccessPoint.ALL_KEYS` for every key.
   */
  grantReadWrite(grantee: iam.IGrantable, keyPrefix?: string): iam.Grant;

  /**
   * Allow `grantee` to delete objects under `keyPrefix` (a delete marker when versioning is on).
   *
   * @param grantee the principal
   * @param keyPrefix the folder (e.g. `bob/`), or `AccessPoint.ALL_KEYS` for every key.
   */
  grantDelete(grantee: iam.IGrantable, keyPrefix?: string): iam.Grant;

  /**
   * Allow `grantee` to list keys under `keyPrefix`.
   *
   * @param grantee the principal
   * @param keyPrefix the folder (e.g. `bob/`), or `AccessPoint.ALL_KEYS` for every key.
   */
  grantList(grantee: iam.IGrantable, keyPrefix?: string): iam.Grant;

  /**
   * Allow `grantee` `access` to several folders at once, through this access point: one statement
   * for the object actions (one resource per folder) and one for listing (`s3:prefix` limited to
   * the folders), however many folders there are, where one `grantRead` per folder writes two
   * statements each.
   *
   * Each folder is checked like `keyPrefix` (a `/` is appended when missing); duplicates, and
   * folders inside another listed folder, are dropped. An empty list is refused.
   *
   * @param grantee the principal
   * @param folders the folders, e.g. `['reports/', 'exports/']`
   * @param access what the grantee may do in each folder
   */
  grantFolders(grantee: iam.IGrantable, folders: string[], access: Access): iam.Grant;
}

/**
 * Attributes of an access point defined elsewhere.
 */
export interface AccessPointAttributes {
  /** The ARN of the access point. */
  readonly accessPointArn: string;

  /**
   * The bucket behind the access point; its KMS key is added to grants.
   *
   * @default - unknown: grants add no KMS permissions
   */
  readonly bucket?: s3.IBucket;

  /**
   * The alias of the access point.
   *
   * @default - unknown: reading `accessPointAlias` throws
   */
  readonly accessPointAlias?: string;

  /**
   * Where the access point accepts requests from.
   *
   * @default NetworkOrigin.INTERNET
   */
  readonly networkOrigin?: NetworkOrigin;
}

/**
 * Properties of an AccessPoint.
 */
export interface AccessPointProps {
  /** The bucket to reach through the access point (a SharedBucket's `bucket` or any bucket). */
  readonly bucket: s3.IBucket;

  /**
   * The name: 3-50 characters, lowercase letters, digits and `-`, unique in the account and
   * Region (it appears in DNS).
   *
   * @default - generated from the construct path, stable across deployments
   */
  readonly accessPointName?: string;

  /**
   * Accept requests only from this VPC (through a VPC endpoint); the network origin is then `VPC`.
   *
   * @default - Internet origin
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The account that owns the bucket, for an access point in another account than the bucket.
   * A value that contradicts the bucket's known account is refused.
   *
   * @default - the bucket's account when it differs from this stack's (a bucket of a stack of
   * another account, or imported with `account`); otherwise none (the bucket is in this account)
   */
  readonly bucketAccountId?: string;

  /**
   * Block Public Access settings of the access point.
   *
   * @default s3.BlockPublicAccess.BLOCK_ALL
   */
  readonly blockPublicAccess?: s3.BlockPublicAccess;
}

/** How the constructs built on AccessPoint grant. */
interface GrantOptions {
  /** Also write the statement into the access point policy, naming this principal. */
  readonly resourcePolicyPrincipal?: iam.IPrincipal;
  /**
   * The caller validated and normalized `keyPrefix` against its own props (and reported problems
   * under their names); `${aws:username}/` is then accepted too.
   */
  readonly prefixChecked?: boolean;
  /**
   * The `aws:PrincipalArn` (or ARN pattern) the exclusive deny must spare for this grantee, when
   * the grantee itself does not tell it (a group's members, a managed-policy grantee).
   */
  readonly exclusiveArn?: string;
}

/**
 * What every access point, created or imported, can do.
 */
export abstract class AccessPointBase extends Resource implements IAccessPoint {
  public abstract readonly accessPointName: string;
  public abstract readonly accessPointArn: string;
  public abstract readonly accessPointAlias: string;
  public abstract readonly networkOrigin: NetworkOrigin;
  public abstract readonly bucket?: s3.IBucket;

  public abstract addToResourcePolicy(statement: iam.PolicyStatement): iam.AddToResourcePolicyResult;

  public arnForObjects(keyPattern: string): string {
    return accessPointObjectArn(this.accessPointArn, keyPattern);
  }

  public grantRead(grantee: iam.IGrantable, keyPrefix?: string): iam.Grant {
    return this._grant(grantee, ActionSets.READ, keyPrefix);
  }

  public grantWrite(grantee: iam.IGrantable, keyPrefix?: string): iam.Grant {
    return this._grant(grantee, ActionSets.WRITE, keyPrefix);
  }

  public grantReadWrite(grantee: iam.IGrantable, keyPrefix?: string): iam.Grant {
    return this._grant(grantee, ActionSets.READ_WRITE, keyPrefix);
  }

  public grantDelete(grantee: iam.IGrantable, keyPrefix?: string): iam.Grant {
    return this._grant(grantee, ActionSets.DELETE, keyPrefix);
  }

  public grantList(grantee: iam.IGrantable, keyPrefix?: string): iam.Grant {
    return this._grant(grantee, ActionSets.LIST, keyPrefix);
  }

  public grantFolders(grantee: iam.IGrantable, folders: string[], access: Access): iam.Grant {
    return this._grant(grantee, actionsFor(access), folders);
  }

  /**
   * The one place grants are made: the statements from the policy core go to the principal's
   * policy, and also to the access point policy when the principal is in another account (or
   * cannot hold a policy), or when `resourcePolicyPrincipal` asks for it; plus the bucket key's
   * KMS actions. `keys` is one folder (or `ALL_KEYS`), or a list of folders.
   *
   * @internal
   */
  public _grant(grantee: iam.IGrantable, actions: ActionSet, keys: string | string[] | undefined, options: GrantOptions = {}): iam.Grant {
    const scope = options.prefixChecked && typeof keys === 'string' ? { prefixes: [keys] } : this.keyScope(keys);
    this._beforeGrant(grantee.grantPrincipal, scope, actions);
    this._recordGrantee(grantee.grantPrincipal, options.exclusiveArn ?? principalArn(grantee.grantPrincipal));
    const grants = folderGrantParts(this.accessPointArn, scope, actions).map(part => {
      const onPrincipal = iam.Grant.addToPrincipal({ grantee, ...part });
      const account = this.compareAccount(grantee);
      const resourcePrincipal = options.resourcePolicyPrincipal
        ?? (onPrincipal.success && account === 'same' ? undefined : grantee.grantPrincipal);
      if (resourcePrincipal === undefined) return onPrincipal;
      this.checkResourcePrincipal(resourcePrincipal);
      const statement = toResourceStatement(part, resourcePrincipal);
      // Grant.success is true even when the resource refused the statement: watch the answer itself.
      let added = false;
      const resource: iam.IResourceWithPolicyV2 = {
        env: this.env,
        addToResourcePolicy: s => {
          const result = this.addToResourcePolicy(s);
          added = result.statementAdded;
          return result;
        },
      };
      const onResource = iam.Grant.addStatementToResourcePolicy({ grantee, ...part, resource, statement });
      if (!added && onPrincipal.success && account === 'unknown') {
        Annotations.of(this).addWarningV2('cdk-shared-bucket:importedAccessPointAccount',
          `Granted ${grantee.grantPrincipal} access through ${this.accessPointArn} in its identity policy only: if the access point is in another account, its own policy must allow the principal too.`);
        return onPrincipal;
      }
      if (!added) {
        throw new Error(`[${this.node.path}] cannot grant ${grantee.grantPrincipal} access through ${this.accessPointArn}: the grant needs the access point policy, and this access point is imported (its policy is managed elsewhere)`);
      }
      return onPrincipal.combine(onResource);
    });
    const key = this.bucket?.encryptionKey;
    if (key && actions.kmsActions.length > 0) grants.push(key.grant(grantee, ...actions.kmsActions));
    // One report row per folder (a multi-folder grant is several rows of one level).
    for (const prefix of scope.prefixes ?? [undefined]) {
      recordGrant(this, {
        accessPoint: this,
        principal: grantee.grantPrincipal,
        identity: (grantee.grantPrincipal as { readonly identity?: IConstruct }).identity,
        prefix,
        access: accessLevelName(actions),
        actions: [...actions.objectActions, ...actions.listActions],
        kmsActions: key ? actions.kmsActions : [],
      });
    }
    return grants.reduce((all, next) => all.combine(next));
  }

  /**
   * Remember who was granted, so that an exclusive access point spares every grantee: a grant the
   * exclusive deny cancelled would be silently void.
   *
   * @internal
   */
  protected _recordGrantee(_principal: iam.IPrincipal, _arn: string | undefined): void {
    // imported access points are never exclusive here: their policy is managed elsewhere
  }

  /**
   * Refuse a grant that the access point's own policy or its network path would void, or widen
   * that path for it.
   *
   * @internal
   */
  protected _beforeGrant(_principal: iam.IPrincipal, _scope: KeyScope, _actions: ActionSet): void {
    // imported access points have no confinement or endpoint written here
  }

  /** Refuse principals S3 would reject in the access point policy, at deploy time. */
  private checkResourcePrincipal(principal: iam.IPrincipal): void {
    const named = Object.values(principal.policyFragment.principalJson).flat();
    if ('groupArn' in principal) {
      throw new Error(`[${this.node.path}] cannot grant ${principal} through the access point policy: IAM groups cannot be principals in a resource policy; grant its members, or use a UserAccessPoint for the group`);
    }
    if (named.includes('*')) {
      throw new Error(`[${this.node.path}] cannot grant ${principal} through the access point policy: it would make the access point public, which Block Public Access refuses`);
    }
  }

  /** Whether the grantee is in this access point's account (then its identity policy suffices). */
  private compareAccount(grantee: iam.IGrantable): 'same' | 'different' | 'unknown' {
    const principalAccount = grantee.grantPrincipal.principalAccount;
    if (principalAccount === undefined) return 'different';
    switch (Token.compareStrings(this.env.account, principalAccount)) {
      case TokenComparison.SAME:
      case TokenComparison.BOTH_UNRESOLVED: return 'same';
      case TokenComparison.DIFFERENT: return 'different';
      default: return 'unknown';
    }
  }

  private keyScope(keys: string | string[] | undefined): KeyScope {
    if (Array.isArray(keys)) {
      throwIfInvalid(this, 'AccessPoint grant', validateFolders('folders', keys));
      return { prefixes: normalizeFolders(keys) };
    }
    const keyPrefix = keys;
    if (keyPrefix === AccessPoint.ALL_KEYS) return {};
    const problems = keyPrefix === undefined
      ? ['keyPrefix: missing: pass a folder such as "bob/", or AccessPoint.ALL_KEYS to grant every key through this access point']
      : validatePrefix('keyPrefix', keyPrefix);
    throwIfInvalid(this, 'AccessPoint grant', problems);
    return { prefixes: [normalizePrefix(keyPrefix!)] };
  }
}

/**
 * An S3 access point (`AWS::S3::AccessPoint`) with a policy, grants and imports.
 *
 * Block Public Access is on. Grants are folder-scoped: pass a key prefix, or
 * `AccessPoint.ALL_KEYS` to say that the whole bucket is meant.
 */
export class AccessPoint extends AccessPointBase {
  /** Pass as `keyPrefix` to grant every key through the access point. */
  public static readonly ALL_KEYS = '*';

  /**
   * Import an access point by ARN. Its policy is managed elsewhere: grants to principals of its own
   * account work (identity policies); grants that need its policy fail.
   *
   * @param scope construct scope
   * @param id construct id
   * @param accessPointArn `arn:PARTITION:s3:REGION:ACCOUNT:accesspoint/NAME`
   */
  public static fromAccessPointArn(scope: Construct, id: string, accessPointArn: string): IAccessPoint {
    return AccessPoint.fromAccessPointAttributes(scope, id, { accessPointArn });
  }

  /**
   * Import an access point from its attributes.
   *
   * @param scope construct scope
   * @param id construct id
   * @param attrs the access point's ARN, and optionally its bucket, alias and network origin
   */
  public static fromAccessPointAttributes(scope: Construct, id: string, attrs: AccessPointAttributes): IAccessPoint {
    const arn = attrs.accessPointArn;
    const parts = Token.isUnresolved(arn) ? undefined : Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME);
    if (parts && (parts.service !== 's3' || parts.resource !== 'accesspoint' || !parts.resourceName)) {
      throw new Error(`[${scope.node.path}/${id}] accessPointArn: "${arn}" is not an S3 access point ARN (arn:PARTITION:s3:REGION:ACCOUNT:accesspoint/NAME)`);
    }
    class Import extends AccessPointBase {
      public readonly accessPointArn = arn;
      // accesspoint/NAME: the last part of the ARN's resource
      public readonly accessPointName = parts?.resourceName ?? Fn.select(1, Fn.split('/', arn));
      public readonly networkOrigin = attrs.networkOrigin ?? NetworkOrigin.INTERNET;
      public readonly bucket = attrs.bucket;

      public get accessPointAlias(): string {
        if (attrs.accessPointAlias === undefined) {
          throw new Error(`[${this.node.path}] accessPointAlias is unknown: pass it to AccessPoint.fromAccessPointAttributes`);
        }
        return attrs.accessPointAlias;
      }

      public addToResourcePolicy(_statement: iam.PolicyStatement): iam.AddToResourcePolicyResult {
        return { statementAdded: false };
      }
    }
    return new Import(scope, id, { environmentFromArn: arn });
  }

  public readonly accessPointName: string;
  public readonly accessPointArn: string;
  public readonly networkOrigin: NetworkOrigin;
  public readonly bucket?: s3.IBucket;

  /** The access point policy; rendered into the resource when it has statements. */
  public readonly policy: iam.PolicyDocument;

  /** The L1 resource. */
  private readonly resource: s3.CfnAccessPoint;

  /** `aws:PrincipalArn` of every grantee, in grant order; the exclusive deny spares exactly these. */
  private readonly grantedArns: string[] = [];
  /** Grantees whose ARN cannot be told: making the access point exclusive would void their grants. */
  private readonly grantedWithoutArn: string[] = [];
  private exclusive = false;
  /** The folder every request is confined to, if any. */
  private confinedTo?: string;
  /** Changes to the policy's statements or to the grantees its statements name (see `renderPolicy`). */
  private policyChanges = 0;
  /** The policy as the last validation resolved it, and the state it was resolved in. */
  private resolvedPolicy?: { readonly statements: number; readonly changes: number; readonly json: unknown };
  /** What the constructs built on this access point do with each grant (e.g. open their endpoint for it). */
  private readonly grantListeners: Array<(principal: iam.IPrincipal, scope: KeyScope, actions: ActionSet) => void> = [];

  constructor(scope: Construct, id: string, props: AccessPointProps) {
    super(scope, id);
    const name = props.accessPointName ?? generateAccessPointName(this);
    const bucketAccount = bucketAccountOf(this, props);
    throwIfInvalid(this, 'AccessPoint', [
      ...validateAccessPointName('accessPointName', name),
      ...claimName(this, name),
      ...bucketAccount.problems,
    ]);

    this.policy = new iam.PolicyDocument();
    this.resource = new s3.CfnAccessPoint(this, 'Resource', {
      bucket: props.bucket.bucketName,
      name,
      bucketAccountId: bucketAccount.value,
      vpcConfiguration: props.vpc ? { vpcId: props.vpc.vpcId } : undefined,
      publicAccessBlockConfiguration: blockPublicAccessConfiguration(props.blockPublicAccess ?? s3.BlockPublicAccess.BLOCK_ALL),
      policy: Lazy.uncachedAny({ produce: context => this.renderPolicy(context) }),
    });
    this.node.addValidation({
      validate: () => {
        if (this.policy.isEmpty) return this.policy.validateForResourcePolicy();
        const resolved = this.resolvePolicy();
        return [
          ...this.policy.validateForResourcePolicy(),
          ...checkResolvedPolicySize(`the access point policy of ${name}`, resolved, RESOURCE_POLICY_MAX_BYTES,
            'give the identities with the most statements access points of their own'),
        ];
      },
    });
    trackBudgets(this);

    this.bucket = props.bucket;
    this.accessPointName = name;
    // Formatted from the name rather than read from the resource: policies that name the access
    // point then need no dependency on it, and other stacks need no export.
    this.accessPointArn = Stack.of(this).formatArn({ service: 's3', resource: 'accesspoint', resourceName: name, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    this.networkOrigin = props.vpc ? NetworkOrigin.VPC : NetworkOrigin.INTERNET;

    // Checked now when the bucket is already shared (the error then points at this line), and again
    // at synth, for a SharedBucket that adopts the bucket later.
    registerAccessPoint(props.bucket, this);
    const problem = this.delegationProblem();
    if (problem !== undefined) throw new Error(problem);
    this.node.addValidation({ validate: () => this.checkBucketDelegates() });
    recordAccessPoint(this, { accessPoint: this, vpc: props.vpc });
  }

  /**
   * The alias of the access point, usable wherever a bucket name is accepted for data operations
   * (not in IAM policies).
   */
  // Read from the resource when asked for: the attribute is a token, and most apps never use it.
  public get accessPointAlias(): string {
    return this.resource.attrAlias;
  }

  public addToResourcePolicy(statement: iam.PolicyStatement): iam.AddToResourcePolicyResult {
    this.policy.addStatements(statement);
    this.policyChanges++;
    return { statementAdded: true, policyDependable: this.resource };
  }

  /**
   * The policy, resolved in this stack, kept for the synthesis that follows validation (see
   * `renderPolicy`).
   */
  private resolvePolicy(): unknown {
    const json = Stack.of(this).resolve(this.policy.toJSON());
    this.resolvedPolicy = { statements: this.policy.statementCount, changes: this.policyChanges, json };
    return json;
  }

  /**
   * The policy for the template. After validation has resolved it (for its size), synthesis
   * renders the resource twice more (the template, the tree): while the policy is unchanged, both
   * get that resolved document instead of resolving every statement again. Every synthesis starts
   * by collecting references between stacks (`preparing`): the policy is then rendered with its
   * tokens, so that they are found, and what an earlier validation resolved is dropped (it may
   * predate this synthesis's references, or tokens whose values have moved since).
   */
  private renderPolicy(context: IResolveContext): unknown {
    if (this.policy.isEmpty) return undefined;
    if (context.preparing) this.resolvedPolicy = undefined;
    const resolved = this.resolvedPolicy;
    const unchanged = resolved !== undefined && resolved.statements === this.policy.statementCount && resolved.changes === this.policyChanges;
    return unchanged ? resolved.json : this.policy.toJSON();
  }

  /**
   * Deny every principal but the grantees (`aws:PrincipalArn`) at this access point, including
   * same-account admins whose identity policies allow `s3:*`. Every grant, before or after,
   * joins the allow-list; while nobody is granted, only the account root is spared.
   *
   * @internal
   */
  public _makeExclusive(): void {
    if (this.exclusive) return;
    if (this.grantedWithoutArn.length > 0) {
      throw new Error(`[${this.node.path}] cannot make the access point exclusive: ${this.grantedWithoutArn.join(', ')} ${this.grantedWithoutArn.length === 1 ? 'was' : 'were'} granted, `
        + 'and the exclusive deny could not spare them (their aws:PrincipalArn cannot be told)');
    }
    this.exclusive = true;
    const root = Stack.of(this).formatArn({ service: 'iam', region: '', resource: 'root', arnFormat: ArnFormat.NO_RESOURCE_NAME });
    // Uncached: grantees added after a synthesis are spared in the next one.
    const spared = Lazy.uncachedList({ produce: () => (this.grantedArns.length > 0 ? [...this.grantedArns] : [root]) });
    this.addToResourcePolicy(exclusiveAccessStatement(this.accessPointArn, spared));
  }

  /**
   * Deny every request outside `prefix`, whoever makes it (for an access point whose grantees
   * cannot all be named, such as a group's members). Grants outside the folder are then refused.
   *
   * @internal
   */
  public _confineToFolder(prefix: string, allowConsoleRootListing: boolean): void {
    this.confinedTo = prefix;
    folderConfinementStatements(this.accessPointArn, prefix, allowConsoleRootListing).forEach(statement => this.addToResourcePolicy(statement));
  }

  /**
   * Call `listener` with every grant through this access point, before it is written: it may
   * refuse the grant (throw) or make its path work.
   *
   * @internal
   */
  public _onGrant(listener: (principal: iam.IPrincipal, scope: KeyScope, actions: ActionSet) => void): void {
    this.grantListeners.push(listener);
  }

  /** @internal */
  protected _beforeGrant(principal: iam.IPrincipal, scope: KeyScope, actions: ActionSet): void {
    const folder = this.confinedTo;
    if (folder !== undefined && !isWithinFolder(scope.prefixes, folder)) {
      throw new Error(`[${this.node.path}] cannot grant ${principal} ${describeKeys(scope.prefixes)} through this access point: `
        + `it is confined to "${folder}" (DenyOutsideFolder denies every request outside it), so the grant would be void. Grant a folder under "${folder}", or use another access point`);
    }
    this.grantListeners.forEach(listener => listener(principal, scope, actions));
  }

  /**
   * Whether the access point denies every principal but its grantees.
   *
   * @internal
   */
  public _isExclusive(): boolean {
    return this.exclusive;
  }

  /**
   * Whether anybody was granted access through this access point.
   *
   * @internal
   */
  public _hasGrantees(): boolean {
    return this.grantedArns.length + this.grantedWithoutArn.length > 0;
  }

  /** @internal */
  protected _recordGrantee(principal: iam.IPrincipal, arn: string | undefined): void {
    if (arn === undefined) {
      if (this.exclusive) {
        throw new Error(`[${this.node.path}] cannot grant ${principal} through the exclusive access point: its aws:PrincipalArn cannot be told, `
          + 'so the DenyOtherPrincipals statement would deny it and the grant would be void. Grant a role, a user, a function with a role or an iam.ArnPrincipal '
          + '(for a group: its members, or a UserAccessPoint for the group), or create the access point with exclusive: false');
      }
      this.grantedWithoutArn.push(`${principal}`);
      return;
    }
    if (!this.grantedArns.includes(arn)) {
      this.grantedArns.push(arn);
      this.policyChanges++;
    }
  }

  /** Why the SharedBucket of this access point's bucket would deny every request through it. */
  private delegationProblem(): string | undefined {
    const sharer = this.bucket === undefined ? undefined : sharerOf(this.bucket);
    if (sharer === undefined) return undefined;
    const problem = sharer.delegation._problemWith(
      { path: this.node.path, name: this.accessPointName, account: Stack.of(this).account }, sharer.bucketAccount);
    return problem === undefined ? undefined : `SharedBucket at '${sharer.construct.node.path}': ${problem}`;
  }

  /**
   * At synth: the delegation of the SharedBucket that shares the bucket trusts this access point;
   * or, for a bucket of this app that no SharedBucket shares, a warning when its policy does not
   * delegate to access points. Grants through an access point name only access point ARNs, and a
   * request through an access point must also be allowed by the bucket policy
   * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html#access-points-delegating-control).
   * An imported bucket's policy is managed elsewhere and cannot be seen here: no warning (a
   * cross-account access point's bucket owner delegates with AccessPointDelegation.accounts).
   */
  private checkBucketDelegates(): string[] {
    const problem = this.delegationProblem();
    if (problem !== undefined) return [problem];
    const bucket = this.bucket!;
    if (sharerOf(bucket) === undefined && bucket.node.defaultChild instanceof s3.CfnBucket && !policyDelegates(bucket)) {
      Annotations.of(this).addWarningV2('cdk-shared-bucket:bucketDoesNotDelegate',
        `bucket: the bucket policy of ${bucket.node.path} does not delegate to access points, so once deployed S3 denies every request through ${this.accessPointName} at the bucket. `
        + 'Wrap the bucket in a SharedBucket (new SharedBucket(this, \'Shared\', { bucket })), which adds the delegation, or add a statement that allows requests with s3:DataAccessPointAccount of this account.');
    }
    return [];
  }
}

/** Whether a bucket's policy has an Allow on requests through access points (`s3:DataAccessPoint*` condition). */
function policyDelegates(bucket: s3.IBucket): boolean {
  const statements: any[] = bucket.policy?.document.toJSON()?.Statement ?? [];
  return statements.some(statement => statement.Effect === 'Allow' && /"s3:DataAccessPoint(Account|Arn)"/.test(JSON.stringify(statement.Condition ?? {})));
}

/**
 * The `BucketAccountId` to write: the given one, or the bucket's account when that differs from
 * the access point's (CloudFormation otherwise looks for the bucket in the access point's own
 * account). A given value that contradicts a bucket account known for sure is refused.
 */
function bucketAccountOf(accessPoint: Construct, props: AccessPointProps): { value?: string; problems: string[] } {
  const bucket = props.bucket;
  const bucketAccount = bucket.env.account;
  // An owned bucket's account is its stack's; an imported bucket's env only says something when it
  // differs from the importing stack's (otherwise it may just be that stack's account, defaulted).
  const owned = bucket.node.defaultChild instanceof s3.CfnBucket;
  const known = owned || Token.compareStrings(bucketAccount, Stack.of(bucket).account) === TokenComparison.DIFFERENT;
  if (props.bucketAccountId !== undefined) {
    if (known && Token.compareStrings(props.bucketAccountId, bucketAccount) === TokenComparison.DIFFERENT) {
      return {
        problems: [`bucketAccountId: "${props.bucketAccountId}" contradicts the account of the bucket ${bucket.node.path} (${bucketAccount}); `
          + `CloudFormation would look for the bucket in account ${props.bucketAccountId}. Remove bucketAccountId (it is inferred from the bucket), or pass the bucket of that account`],
      };
    }
    return { value: props.bucketAccountId, problems: [] };
  }
  const differs = Token.compareStrings(bucketAccount, Stack.of(accessPoint).account) === TokenComparison.DIFFERENT;
  return { value: differs ? bucketAccount : undefined, problems: [] };
}

/**
 * A name like CDK's generated physical names: readable path parts and a hash, unique per stack
 * and construct path, valid for access points.
 */
function generateAccessPointName(scope: Construct): string {
  const unique = Names.uniqueResourceName(scope, { maxLength: 50, separator: '-', allowedSpecialCharacters: '-' });
  return unique.toLowerCase().replace(/-+/g, '-').replace(/^-+|-+$/g, '');
}

/** Names taken per app, account and Region: access point names are unique there. */
const claimedNames = new WeakMap<object, Map<string, string>>();

function claimName(accessPoint: AccessPoint, name: string): string[] {
  if (Token.isUnresolved(name)) return [];
  const stack = Stack.of(accessPoint);
  const root = accessPoint.node.root;
  const names = claimedNames.get(root) ?? new Map<string, string>();
  claimedNames.set(root, names);
  const key = `${stack.account}/${stack.region}/${name}`;
  const owner = names.get(key);
  if (owner !== undefined) {
    return [`accessPointName: "${name}" is already used by ${owner} (access point names are unique per account and Region)`];
  }
  names.set(key, accessPoint.node.path);
  return [];
}

function blockPublicAccessConfiguration(bpa: s3.BlockPublicAccess): s3.CfnAccessPoint.PublicAccessBlockConfigurationProperty {
  return {
    blockPublicAcls: bpa.blockPublicAcls ?? false,
    blockPublicPolicy: bpa.blockPublicPolicy ?? false,
    ignorePublicAcls: bpa.ignorePublicAcls ?? false,
    restrictPublicBuckets: bpa.restrictPublicBuckets ?? false,
  };
}
