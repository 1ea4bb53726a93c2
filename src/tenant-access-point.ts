import { Annotations, Stack, Tags, Token, TokenComparison } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { Access } from './access';
import { AccessPoint } from './access-point';
import { trackBudgets } from './budgets';
import {
  actionsFor, folderConfinementStatements, folderGrantParts, kmsGrantPart, tenantFolder, tenantMembershipStatement,
  tenantTagSafetyStatements, toStatement,
} from './policy';
import { recordGrant } from './report/recorder';
import { sessionTagProblems, validateTagKey, validateTenantTagValue } from './tenant-validation';
import { throwIfInvalid, validateAccessPointName } from './validation';

/**
 * Options for a TenantAccessPoint, as `SharedBucket.addTenantAccessPoint` takes them.
 */
export interface TenantAccessPointOptions {
  /**
   * The access point's name. It is also part of the membership tag key
   * (`tenant-access-point-NAME`), so it must be known at synth time.
   *
   * @default - generated from the construct path
   */
  readonly accessPointName?: string;

  /**
   * The principal tag whose value names each tenant's folder: a role tagged `tenant=acme` reaches
   * `acme/` only.
   *
   * @default 'tenant'
   */
  readonly tenantTag?: string;

  /**
   * What each tenant may do in its folder.
   *
   * @default Access.READ_WRITE
   */
  readonly access?: Access;
}

/**
 * Properties of a TenantAccessPoint.
 */
export interface TenantAccessPointProps extends TenantAccessPointOptions {
  /** The bucket to share (e.g. `SharedBucket.bucket`). */
  readonly bucket: s3.IBucket;
}

/**
 * One Internet-origin access point for any number of tenants (attribute-based access control):
 * each tenant role or IAM user reaches only the folder named by its tenant tag,
 * `${aws:PrincipalTag/tenant}/`.
 *
 * The access point policy, the bucket policy and the number of resources do not grow with the
 * tenants: grants come from one managed policy attached to every tenant, and the access point
 * policy denies, in a fixed number of statements, every principal without the membership tag that
 * `addTenant` sets, every principal whose tenant tag is missing or unsafe, and every request
 * outside the principal's own folder. Whoever may tag IAM roles and users (`iam:TagRole`,
 * `iam:TagUser`, `sts:TagSession`) can therefore add tenants and move them between folders: see
 * the README's "Many tenants" section for the guardrails.
 */
export class TenantAccessPoint extends Construct {
  /** The tenant tag when none is given. */
  public static readonly DEFAULT_TENANT_TAG = 'tenant';

  /** The value of the membership tag that `addTenant` sets. */
  public static readonly MEMBER_TAG_VALUE = 'true';

  /** The access point. Its policy denies every principal that is not a tenant. */
  public readonly accessPoint: AccessPoint;

  /** The access point's name. */
  public readonly accessPointName: string;

  /** The principal tag whose value names each tenant's folder. */
  public readonly tenantTag: string;

  /** The folder pattern of every tenant, `${aws:PrincipalTag/TENANT_TAG}/`. */
  public readonly prefix: string;

  /** What each tenant may do in its folder. */
  public readonly access: Access;

  /**
   * The key of the membership tag that `addTenant` puts on each tenant (value `MEMBER_TAG_VALUE`):
   * principals without it are denied at the access point. Tag imported identities yourself.
   */
  public readonly memberTagKey: string;

  /** The managed policy with every tenant's grants, attached to each tenant. */
  public readonly policy: iam.ManagedPolicy;

  private readonly _tenants: iam.IIdentity[] = [];

  constructor(scope: Construct, id: string, props: TenantAccessPointProps) {
    super(scope, id);
    const tenantTag = props.tenantTag ?? TenantAccessPoint.DEFAULT_TENANT_TAG;
    throwIfInvalid(this, 'TenantAccessPoint', [
      ...validateTagKey('tenantTag', tenantTag),
      ...validateAccessPointName('accessPointName', props.accessPointName),
      ...(props.accessPointName !== undefined && Token.isUnresolved(props.accessPointName)
        ? ['accessPointName: must be known at synth time (it is part of the membership tag key)'] : []),
    ]);

    this.tenantTag = tenantTag;
    this.prefix = tenantFolder(tenantTag);
    this.access = props.access ?? Access.READ_WRITE;
    this.accessPoint = new AccessPoint(this, 'AccessPoint', { bucket: props.bucket, accessPointName: props.accessPointName });
    // Its policy denies every principal without the membership tag and every key outside the
    // tag's folder: a grant made on the access point itself would be silently void.
    this.accessPoint._onGrant(principal => {
      throw new Error(`[${this.accessPoint.node.path}] cannot grant ${principal} through a TenantAccessPoint's access point: it admits only tenants, each in the folder `
        + `named by its "${tenantTag}" tag. Add the principal with addTenant(), or grant through another access point`);
    });
    this.accessPointName = this.accessPoint.accessPointName;
    this.memberTagKey = `tenant-access-point-${this.accessPointName}`;
    throwIfInvalid(this, 'TenantAccessPoint', [
      ...validateTagKey('accessPointName (in the membership tag key)', this.memberTagKey),
      ...(this.memberTagKey.toLowerCase() === tenantTag.toLowerCase() ? [`tenantTag: "${tenantTag}" is the membership tag key; choose another`] : []),
    ]);

    const apArn = this.accessPoint.accessPointArn;
    const actions = actionsFor(this.access);
    this.policy = new iam.ManagedPolicy(this, 'TenantPolicy', {
      description: `Tenants of ${this.node.path}: the folder named by the ${tenantTag} tag (cdk-shared-bucket)`,
    });
    folderGrantParts(apArn, { prefixes: [this.prefix] }, actions).forEach(part => this.policy.addStatements(toStatement(part)));
    const key = props.bucket.encryptionKey;
    const kmsPart = key && kmsGrantPart(key.keyArn, actions);
    if (kmsPart) this.policy.addStatements(toStatement(kmsPart));

    [
      tenantMembershipStatement(apArn, this.memberTagKey, TenantAccessPoint.MEMBER_TAG_VALUE),
      ...tenantTagSafetyStatements(apArn, tenantTag),
      // The same confinement as a group's access point, with the folder named by the tag: it also
      // holds tenants whose own identity policies allow more (e.g. `s3:*`).
      ...folderConfinementStatements(apArn, this.prefix),
    ].forEach(statement => this.accessPoint.addToResourcePolicy(statement));
    recordGrant(this, {
      accessPoint: this.accessPoint,
      tenants: { owner: this, tenantTag, memberTag: `${this.memberTagKey}=${TenantAccessPoint.MEMBER_TAG_VALUE}` },
      prefix: this.prefix,
      access: this.access,
      actions: [...actions.objectActions, ...actions.listActions],
      kmsActions: kmsPart ? actions.kmsActions : [],
    });

    trackBudgets(this);
    this.node.addValidation({ validate: () => this.validateTenants() });
  }

  /** The tenants added with `addTenant`. */
  public get tenants(): iam.IIdentity[] {
    return [...this._tenants];
  }

  /**
   * Make a role or IAM user a tenant: attaches the tenants' managed policy and sets the membership
   * tag. Give it the tenant tag yourself, e.g. `Tags.of(role).add('tenant', 'acme')`. An imported
   * identity must carry both tags already (they cannot be checked or set from here), and its trust
   * policy must keep session tags away from them.
   *
   * @param identity a role or IAM user of this access point's account
   */
  public addTenant(identity: iam.IIdentity): void {
    const kind = tenantKind(identity);
    throwIfInvalid(this, 'TenantAccessPoint.addTenant', [
      ...(kind === undefined ? [`identity: ${identity.node.path} is not an IAM role or user (group members cannot be told apart by tag: add each user)`] : []),
      ...(this.otherAccount(identity) ? [`identity: ${identity.node.path} is in account ${identity.principalAccount}, not the access point's: cross-account tenants are not supported (the access point policy would have to allow each of them)`] : []),
    ]);
    if (this._tenants.includes(identity)) return;
    this._tenants.push(identity);
    if (inApp(identity)) {
      Tags.of(identity).add(this.memberTagKey, TenantAccessPoint.MEMBER_TAG_VALUE);
      identity.addManagedPolicy(this.policy);
      return;
    }
    if (kind === 'role') this.policy.attachToRole(identity as iam.IRole);
    else this.policy.attachToUser(identity as iam.IUser);
    Annotations.of(this).addWarningV2('cdk-shared-bucket:importedTenant',
      `${identity.node.path} is imported: its tags and trust policy cannot be checked here. Tag it ${this.tenantTag}=<tenant> and ${this.memberTagKey}=${TenantAccessPoint.MEMBER_TAG_VALUE}, `
      + `and if its trust policy allows sts:TagSession, add { "ForAllValues:StringNotEqualsIgnoreCase": { "aws:TagKeys": ["${this.tenantTag}", "${this.memberTagKey}"] } } to that statement.`);
  }

  private otherAccount(identity: iam.IIdentity): boolean {
    const account = identity.principalAccount;
    return account !== undefined && Token.compareStrings(Stack.of(this).account, account) === TokenComparison.DIFFERENT;
  }

  /** After aspects (which apply `Tags.of`): the tags and trust policies of the tenants in the app. */
  private validateTenants(): string[] {
    const problems: string[] = [];
    for (const identity of this._tenants.filter(inApp)) {
      const path = identity.node.path;
      const cfn = identity.node.defaultChild as iam.CfnRole | iam.CfnUser;
      const tags = cfn.tags.tagValues();
      const value = tags[this.tenantTag];
      if (value === undefined) {
        problems.push(`tenant ${path} has no "${this.tenantTag}" tag: give it one, e.g. Tags.of(role).add('${this.tenantTag}', 'acme') (the access point policy denies it without one)`);
      } else {
        problems.push(...validateTenantTagValue(`the "${this.tenantTag}" tag of tenant ${path}`, value));
      }
      if (tags[this.memberTagKey] !== TenantAccessPoint.MEMBER_TAG_VALUE) {
        problems.push(`tenant ${path}: its membership tag ${this.memberTagKey} was removed or changed (the access point policy denies it without ${this.memberTagKey}=${TenantAccessPoint.MEMBER_TAG_VALUE})`);
      }
      if (cfn instanceof iam.CfnRole) {
        problems.push(...sessionTagProblems(`tenant ${path}`, Stack.of(cfn).resolve(cfn.assumeRolePolicyDocument), [this.tenantTag, this.memberTagKey]));
      }
    }
    return problems;
  }
}

function tenantKind(identity: iam.IIdentity): 'role' | 'user' | undefined {
  if ('roleArn' in identity) return 'role';
  if ('userArn' in identity) return 'user';
  return undefined;
}

/** A role or user defined in the app, whose tags and trust policy are known at synth. */
function inApp(identity: iam.IIdentity): boolean {
  const child = identity.node.defaultChild;
  return child instanceof iam.CfnRole || child instanceof iam.CfnUser;
}
