import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { Access } from './access';
import { AccessPoint } from './access-point';
import { trackBudgets } from './budgets';
import { accessPointConsoleUrl } from './console-url';
import { ConsumerOutputs } from './consumer-outputs';
import { identityGrantee } from './identity-grantee';
import { IdentityPolicy } from './identity-policy';
import {
  actionsFor,
  consoleParts,
  consoleRootListingPart,
  toResourceStatement,
  toStatement,
} from './policy';
import { principalArn } from './principals';
import { addConsumerOutputs, validateConsumerOutputs } from './publish-outputs';
import { PER_USER_FOLDER, normalizePrefix, throwIfInvalid, validateAccessPointName, validatePrefix, warnIfUnresolvedPrefix } from './validation';

/**
 * Options for a UserAccessPoint, as `SharedBucket.addUserAccessPoint` takes them.
 */
export interface UserAccessPointOptions {
  /** The IAM user, role or group that uses the access point. */
  readonly identity: iam.IIdentity;

  /**
   * The folder the identity may use (a `/` is appended when missing, so `bob` never matches
   * `bobby/`). `UserAccessPoint.PER_USER_FOLDER` gives each IAM user (or each member of a group)
   * the folder named after the user. A `CfnParameter` must hold the folder name without a
   * trailing `/`; without an `allowedPattern` such as `^[^*?$/]+(/[^*?$/]+)*$` (or
   * `allowedValues`) that ensures it, the construct warns.
   *
   * @default - the user's name for an IAM user whose name is known at synth time; otherwise required
   */
  readonly prefix?: string;

  /**
   * What the identity may do in its folder.
   *
   * @default Access.READ_WRITE
   */
  readonly access?: Access;

  /**
   * The access point's name.
   *
   * @default - generated from the construct path
   */
  readonly accessPointName?: string;

  /**
   * Let the identity use the access point in the S3 console: adds `s3:ListAllMyBuckets`,
   * `s3:ListAccessPoints` and `s3:GetAccessPoint` (narrowed to this access point) to its policy.
   *
   * The console opens an access point at its top level, and listing the top level is outside the
   * folder, so it is denied: open the access point with `consoleUrl`, which starts in the folder.
   * To let the console open at the top level, set `consoleRootListing` as well.
   *
   * @default false
   */
  readonly consoleAccess?: boolean;

  /**
   * Also allow the one listing outside the folder that the S3 console makes when it opens the
   * access point at its top level: `s3:ListBucket` with an empty `s3:prefix` and `s3:delimiter` `/`.
   *
   * This reveals the names of every top-level folder of the bucket (often the names of the other
   * tenants) and of every object at the top level, but no key inside another folder, no object's
   * content, and no listing without the delimiter. Requires `consoleAccess`.
   *
   * @default false - the identity opens the access point with `consoleUrl`
   */
  readonly consoleRootListing?: boolean;

  /**
   * Publish the access point's ARN, alias, folder and console link as CloudFormation outputs
   * and/or SSM parameters, for the people and applications that use it.
   *
   * @default - nothing is published (or `SharedBucketProps.accessPointOutputs` for access points added through a SharedBucket)
   */
  readonly outputs?: ConsumerOutputs;

  /**
   * Deny data requests of every other principal at this access point, including same-account
   * admins whose identity policies allow `s3:*`. It cannot stop a principal who may change the
   * access point's policy (`s3:PutAccessPointPolicy`, part of `s3:*`): organization guardrails
   * (SCP/RCP) close that (see docs/security-model.md). A group's members cannot be named in a policy: for a group, every
   * principal that is not an IAM user of this account is denied, and every request outside the
   * folder is denied whoever makes it. An IAM user outside the group whose own policy allows the
   * access point can still reach the folder (with `PER_USER_FOLDER`: only a folder of their name).
   * Principals granted through `accessPoint` later are spared too.
   *
   * @default true
   */
  readonly exclusive?: boolean;

  /**
   * Where the identity's grants go. `IdentityPolicy.MANAGED` creates a managed policy for this
   * access point, for identities whose inline policies would exceed IAM's size limit.
   *
   * @default IdentityPolicy.INLINE
   */
  readonly identityPolicy?: IdentityPolicy;
}

/**
 * Properties of a UserAccessPoint.
 */
export interface UserAccessPointProps extends UserAccessPointOptions {
  /** The bucket to share (e.g. `SharedBucket.bucket`). */
  readonly bucket: s3.IBucket;
}

/**
 * An Internet-origin access point for one IAM user, role or group, scoped to one folder.
 *
 * Writes both sides together: the access point policy allows the identity on its folder (and, by
 * default, denies everyone else), and the identity's policy allows the access point's ARNs only,
 * never the bucket's.
 */
export class UserAccessPoint extends Construct {
  /** Each IAM user gets the folder named after them (`${aws:username}/`). Not for roles. */
  public static readonly PER_USER_FOLDER = PER_USER_FOLDER;

  /**
   * The access point. Grants made directly on it (e.g. `accessPoint.grantRead(role, 'reports/')`)
   * also spare the grantee from the exclusive deny; a grantee whose ARN cannot be told (a service,
   * an account, a group) is refused while `exclusive` is true.
   */
  public readonly accessPoint: AccessPoint;

  /** The folder, ending in `/` (or `${aws:username}/`). */
  public readonly prefix: string;

  /** The identity that uses the access point. */
  public readonly identity: iam.IIdentity;

  /** What the identity may do in its folder. */
  public readonly access: Access;

  /**
   * The S3 console page of the access point, opened at the folder
   * (`https://console.aws.amazon.com/s3/ap/ACCOUNT/NAME?region=REGION&prefix=FOLDER`). With
   * `PER_USER_FOLDER` the folder differs per user: the link then has no `prefix`, and each user
   * adds `&prefix=<their user name>/` (or set `consoleRootListing`).
   *
   * AWS documents how to open an access point in the console
   * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/list-object-ap.html) but not the page's
   * URL: the form is the one the console itself uses, for the `aws` partition, and may change with
   * the console. The identity needs `consoleAccess` to use it.
   */
  public readonly consoleUrl: string;

  constructor(scope: Construct, id: string, props: UserAccessPointProps) {
    super(scope, id);
    const kind = identityKind(props.identity);
    const prefix = props.prefix ?? defaultPrefix(props.identity);
    throwIfInvalid(this, 'UserAccessPoint', [
      ...(prefix === undefined
        ? ['prefix: required unless the identity is an IAM user whose name is known at synth time (pass the folder, e.g. "reports/")']
        : validatePrefix('prefix', prefix, { allowPerUserFolder: kind !== 'role' })),
      ...validateAccessPointName('accessPointName', props.accessPointName),
      ...(props.consoleRootListing && !props.consoleAccess
        ? ['consoleRootListing: only applies with consoleAccess: true (the console needs both)'] : []),
      ...validateConsumerOutputs('outputs', props.outputs),
    ]);

    warnIfUnresolvedPrefix(this, 'prefix', prefix!);
    this.identity = props.identity;
    this.prefix = normalizePrefix(prefix!);
    this.access = props.access ?? Access.READ_WRITE;
    this.accessPoint = new AccessPoint(this, 'AccessPoint', { bucket: props.bucket, accessPointName: props.accessPointName });

    // A group cannot be named in a resource policy: name the account, and let the members' group
    // policy (written by the same grant) decide.
    const resourcePolicyPrincipal = kind === 'group'
      ? new iam.AccountPrincipal(Stack.of(this).account)
      : props.identity.grantPrincipal;
    const grantee = identityGrantee(this, props.identity, kind, props.identityPolicy ?? IdentityPolicy.INLINE);
    this.accessPoint._grant(grantee, actionsFor(this.access), this.prefix, {
      resourcePolicyPrincipal, prefixChecked: true, exclusiveArn: this.identityArnPattern(kind),
    });
    // A role's overflow is moved into managed policies by aws-cdk-lib; users and groups get no such help.
    trackBudgets(this, kind === 'role' ? undefined : { name: identityName(props.identity, kind), kind, construct: props.identity });

    if (props.exclusive ?? true) {
      // Later grants on the access point (accessPoint.grantRead(...)) join the allow-list.
      this.accessPoint._makeExclusive();
      // Any IAM user of the account passes the group's principal deny: keep them in the folder.
      if (kind === 'group') this.accessPoint._confineToFolder(this.prefix, props.consoleRootListing ?? false);
    }
    if (props.consoleAccess) {
      consoleParts(this.accessPoint.accessPointArn).forEach(part => grantee.grantPrincipal.addToPrincipalPolicy(toStatement(part)));
    }
    if (props.consoleAccess && props.consoleRootListing) {
      // Both policies, like the folder grant itself.
      const rootListing = consoleRootListingPart(this.accessPoint.accessPointArn);
      grantee.grantPrincipal.addToPrincipalPolicy(toStatement(rootListing));
      this.accessPoint.addToResourcePolicy(toResourceStatement(rootListing, resourcePolicyPrincipal));
    }

    const stack = Stack.of(this);
    this.consoleUrl = accessPointConsoleUrl(stack, this.accessPoint.accessPointName, this.prefix === PER_USER_FOLDER ? undefined : this.prefix);
    addConsumerOutputs(this, () => ({
      accessPointName: this.accessPoint.accessPointName,
      arn: this.accessPoint.accessPointArn,
      alias: this.accessPoint.accessPointAlias,
      folder: this.prefix,
      consoleUrl: this.consoleUrl,
    }), props.outputs);
  }

  /** The `aws:PrincipalArn` of requests the identity makes: for a group's members, any IAM user of the account. */
  private identityArnPattern(kind: IdentityKind): string {
    return kind === 'group'
      ? Stack.of(this).formatArn({ service: 'iam', region: '', resource: 'user', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME })
      : principalArn(this.identity)!;
  }
}

type IdentityKind = 'user' | 'role' | 'group';

function identityName(identity: iam.IIdentity, kind: IdentityKind): string {
  const named = identity as Partial<iam.IUser & iam.IRole & iam.IGroup>;
  return { user: named.userName, role: named.roleName, group: named.groupName }[kind]!;
}

function identityKind(identity: iam.IIdentity): IdentityKind {
  if ('userArn' in identity) return 'user';
  if ('roleArn' in identity) return 'role';
  if ('groupArn' in identity) return 'group';
  throw new Error(`identity: ${identity} is not an IAM user, role or group`);
}

/** The user's name when known at synth time: an imported user's, or the name given to a new one. */
function defaultPrefix(identity: iam.IIdentity): string | undefined {
  const cfnUser = identity.node.defaultChild;
  const userName = cfnUser instanceof iam.CfnUser ? cfnUser.userName : (identity as Partial<iam.IUser>).userName;
  return userName !== undefined && !Token.isUnresolved(userName) ? userName : undefined;
}
