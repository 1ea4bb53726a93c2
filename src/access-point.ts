import { Annotations, Arn, ArnFormat, Fn, IResource, Lazy, Names, Resource, Stack, Token, TokenComparison } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { RESOURCE_POLICY_MAX_BYTES, checkPolicySize, trackBudgets } from './budgets';
import { ActionSet, ActionSets, KeyScope, accessPointObjectArn, folderGrantParts, toResourceStatement } from './policy';
import { accessLevelName, recordAccessPoint, recordGrant } from './report/recorder';
import { normalizePrefix, throwIfInvalid, validateAccessPointName, validatePrefix } from './validation';

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
   *
   * @default - the bucket is in this stack's account
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

  /**
   * The one place grants are made: the statements from the policy core go to the principal's
   * policy, and also to the access point policy when the principal is in another account (or
   * cannot hold a policy), or when `resourcePolicyPrincipal` asks for it; plus the bucket key's
   * KMS actions.
   *
   * @internal
   */
  public _grant(grantee: iam.IGrantable, actions: ActionSet, keyPrefix: string | undefined, options: GrantOptions = {}): iam.Grant {
    const scope = options.prefixChecked ? { prefix: keyPrefix } : this.keyScope(keyPrefix);
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
    recordGrant(this, {
      accessPoint: this,
      principal: grantee.grantPrincipal,
      identity: (grantee.grantPrincipal as { readonly identity?: IConstruct }).identity,
      prefix: scope.prefix,
      access: accessLevelName(actions),
      actions: [...actions.objectActions, ...actions.listActions],
      kmsActions: key ? actions.kmsActions : [],
    });
    return grants.reduce((all, next) => all.combine(next));
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

  private keyScope(keyPrefix: string | undefined): KeyScope {
    if (keyPrefix === AccessPoint.ALL_KEYS) return {};
    const problems = keyPrefix === undefined
      ? ['keyPrefix: missing: pass a folder such as "bob/", or AccessPoint.ALL_KEYS to grant every key through this access point']
      : validatePrefix('keyPrefix', keyPrefix);
    throwIfInvalid(this, 'AccessPoint grant', problems);
    return { prefix: normalizePrefix(keyPrefix!) };
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
  public readonly accessPointAlias: string;
  public readonly networkOrigin: NetworkOrigin;
  public readonly bucket?: s3.IBucket;

  /** The access point policy; rendered into the resource when it has statements. */
  public readonly policy: iam.PolicyDocument;

  /** The L1 resource. */
  private readonly resource: s3.CfnAccessPoint;

  constructor(scope: Construct, id: string, props: AccessPointProps) {
    super(scope, id);
    const name = props.accessPointName ?? generateAccessPointName(this);
    throwIfInvalid(this, 'AccessPoint', [
      ...validateAccessPointName('accessPointName', name),
      ...claimName(this, name),
    ]);

    this.policy = new iam.PolicyDocument();
    this.resource = new s3.CfnAccessPoint(this, 'Resource', {
      bucket: props.bucket.bucketName,
      name,
      bucketAccountId: props.bucketAccountId,
      vpcConfiguration: props.vpc ? { vpcId: props.vpc.vpcId } : undefined,
      publicAccessBlockConfiguration: blockPublicAccessConfiguration(props.blockPublicAccess ?? s3.BlockPublicAccess.BLOCK_ALL),
      policy: Lazy.any({ produce: () => (this.policy.isEmpty ? undefined : this.policy.toJSON()) }),
    });
    this.node.addValidation({
      validate: () => [
        ...this.policy.validateForResourcePolicy(),
        ...(this.policy.isEmpty ? [] : checkPolicySize(this, `the access point policy of ${name}`, this.policy.toJSON(), RESOURCE_POLICY_MAX_BYTES,
          'give the identities with the most statements access points of their own')),
      ],
    });
    trackBudgets(this);

    this.bucket = props.bucket;
    this.accessPointName = name;
    // Formatted from the name rather than read from the resource: policies that name the access
    // point then need no dependency on it, and other stacks need no export.
    this.accessPointArn = Stack.of(this).formatArn({ service: 's3', resource: 'accesspoint', resourceName: name, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    this.accessPointAlias = this.resource.attrAlias;
    this.networkOrigin = props.vpc ? NetworkOrigin.VPC : NetworkOrigin.INTERNET;
    recordAccessPoint(this, { accessPoint: this, vpc: props.vpc });
  }

  public addToResourcePolicy(statement: iam.PolicyStatement): iam.AddToResourcePolicyResult {
    this.policy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.resource };
  }
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
