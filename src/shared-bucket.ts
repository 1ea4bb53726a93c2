import { Annotations, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { IAccessPoint } from './access-point';
import { AccessPointDelegation } from './access-point-delegation';
import { createSharedBucket } from './bucket-factory';
import { accessPointsOn, registerSharedBucket } from './bucket-registry';
import { RESOURCE_POLICY_MAX_BYTES, checkPolicySize, trackBudgets } from './budgets';
import { ConsumerOutputs } from './consumer-outputs';
import { denyDirectAccessStatement, delegationStatements, sslOnlyStatement } from './policy';
import { principalArn } from './principals';
import { validateConsumerOutputs } from './publish-outputs';
import { recordBucketPolicy } from './report/recorder';
import { TenantAccessPoint, TenantAccessPointOptions } from './tenant-access-point';
import { UserAccessPoint, UserAccessPointOptions } from './user-access-point';
import { throwIfInvalid, validateBucketName } from './validation';
import { VpcAccessPoint, VpcAccessPointOptions } from './vpc-access-point';

/**
 * How a SharedBucket encrypts objects at rest.
 */
export enum SharedBucketEncryption {
  /** SSE-S3: keys managed by S3. */
  S3_MANAGED = 'S3_MANAGED',
  /** SSE-KMS with S3 Bucket Keys, with a key the construct creates or the one you pass as `encryptionKey`. */
  KMS = 'KMS',
}

/**
 * Properties of a SharedBucket.
 */
export interface SharedBucketProps {
  /**
   * Adopt an existing bucket instead of creating one (e.g. `s3.Bucket.fromBucketName`).
   *
   * The construct then creates an `AWS::S3::BucketPolicy` for it, which replaces any policy the
   * bucket already has. Props that configure a new bucket (`bucketName`, `encryption`,
   * `encryptionKey`, `versioned`, `removalPolicy`, `serverAccessLogsBucket`) cannot be combined
   * with it.
   *
   * @default - a new bucket is created
   */
  readonly bucket?: s3.IBucket;

  /**
   * Physical name of the new bucket. Changing it later replaces the bucket (CloudFormation
   * creates a new, empty one), so choose it before the first deployment.
   *
   * @default - CloudFormation generates a unique name
   */
  readonly bucketName?: string;

  /**
   * Server-side encryption of the new bucket.
   *
   * @default - `SharedBucketEncryption.KMS` when `encryptionKey` is given, otherwise `SharedBucketEncryption.S3_MANAGED`
   */
  readonly encryption?: SharedBucketEncryption;

  /**
   * The KMS key for `SharedBucketEncryption.KMS`. Grants through access points add `kms:Decrypt`
   * and `kms:GenerateDataKey` on it.
   *
   * @default - with `SharedBucketEncryption.KMS`, a new key with rotation enabled
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Keep every version of every object, so that an overwrite or delete can be undone.
   *
   * @default true
   */
  readonly versioned?: boolean;

  /**
   * What happens to the new bucket when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Record every request in server access logs. Without `serverAccessLogsBucket`, the construct
   * creates a log bucket beside the shared bucket (SSE-S3, which log delivery requires; Block
   * Public Access; TLS only; log delivery allowed by bucket policy, not ACL; logs kept 365 days).
   *
   * @default - true when `serverAccessLogsBucket` is given, otherwise false
   */
  readonly serverAccessLogs?: boolean;

  /**
   * Where to deliver server access logs of the new bucket, e.g. your organization's log archive
   * bucket. Its owner must allow log delivery from this bucket.
   *
   * @default - a log bucket created by the construct when `serverAccessLogs` is true, otherwise no logs
   */
  readonly serverAccessLogsBucket?: s3.IBucket;

  /**
   * Key prefix for the server access logs.
   *
   * @default - no prefix
   */
  readonly serverAccessLogsPrefix?: string;

  /**
   * Lifecycle rules of the new bucket.
   *
   * @default - one rule: abort incomplete multipart uploads after 7 days (it deletes no object or version)
   */
  readonly lifecycleRules?: s3.LifecycleRule[];

  /**
   * Send the bucket's events (e.g. Object Created) to Amazon EventBridge, so that applications can
   * react when a tenant uploads. Set in the bucket's own CloudFormation properties: no custom
   * resource. Notifications added with aws-cdk-lib's `bucket.addEventNotification` are managed by
   * a custom resource outside CloudFormation and would replace this setting: prefer EventBridge rules.
   *
   * @default true
   */
  readonly eventBridgeEnabled?: boolean;

  /**
   * Turn on S3 Object Lock (write once, read many), with an optional default retention. AWS cannot
   * turn Object Lock off again, and it needs versioning. CloudFormation replaces the bucket when
   * this property changes: decide it before the first deployment.
   *
   * @default false
   */
  readonly objectLockEnabled?: boolean;

  /**
   * Default retention of new objects when `objectLockEnabled` is true.
   *
   * @default - no default retention (objects are locked only when a request asks for it)
   */
  readonly objectLockDefaultRetention?: s3.ObjectLockRetention;

  /**
   * Which access points the bucket policy delegates to.
   *
   * @default AccessPointDelegation.account()
   */
  readonly delegation?: AccessPointDelegation;

  /**
   * Deny object and list actions on the bucket for requests that do not come through an access
   * point the delegation trusts: direct requests, and with `AccessPointDelegation.accessPoints`
   * requests through any access point (or Multi-Region Access Point) whose name does not match
   * the pattern. Bucket-policy management is never denied.
   *
   * It cannot stop a principal who may create an access point the delegation trusts (with
   * `AccessPointDelegation.account()`, any access point of the account, Multi-Region ones
   * included) or change the bucket policy: restrict `s3:CreateAccessPoint`,
   * `s3:CreateMultiRegionAccessPoint` and `s3:PutBucketPolicy` with organization guardrails
   * (SCP/RCP). See docs/security-model.md.
   *
   * Note that `autoDeleteObjects`, `BucketDeployment` and replication call the bucket directly:
   * name their roles in `directAccessPrincipals`, or seed folders with `AccessPointDeployment`,
   * which goes through an access point.
   *
   * @default false
   */
  readonly denyDirectAccess?: boolean;

  /**
   * Principals still allowed to use the bucket directly when `denyDirectAccess` is on (matched on
   * `aws:PrincipalArn`): roles, users or `ArnPrincipal`s.
   *
   * @default - none
   */
  readonly directAccessPrincipals?: iam.IPrincipal[];

  /**
   * Publish the ARN, alias, folder (and console link) of every access point added through
   * `addUserAccessPoint` and `addVpcAccessPoint`, unless its options set `outputs` themselves.
   *
   * @default - nothing is published
   */
  readonly accessPointOutputs?: ConsumerOutputs;
}

/**
 * An S3 bucket shared through access points: secure defaults (Block Public Access, TLS only,
 * encryption, ACLs disabled, versioning, retained on stack deletion) and a bucket policy that
 * delegates access control to access points.
 */
export class SharedBucket extends Construct {
  /** The bucket (created, or adopted through `bucket`). */
  public readonly bucket: s3.IBucket;

  /** The KMS key that encrypts the bucket, when it uses SSE-KMS. */
  public readonly encryptionKey?: kms.IKey;

  /** The bucket policy this construct writes into. */
  private readonly policy: iam.PolicyDocument;

  private readonly delegation: AccessPointDelegation;

  private readonly accessPointOutputs?: ConsumerOutputs;

  constructor(scope: Construct, id: string, props: SharedBucketProps = {}) {
    super(scope, id);
    throwIfInvalid(this, 'SharedBucket', [...validateSharedBucketProps(props), ...validateConsumerOutputs('accessPointOutputs', props.accessPointOutputs)]);
    this.accessPointOutputs = props.accessPointOutputs;

    if (props.bucket) {
      this.bucket = props.bucket;
      this.policy = new s3.BucketPolicy(this, 'Policy', { bucket: props.bucket }).document;
      this.policy.addStatements(sslOnlyStatement(this.bucket.bucketArn));
      Annotations.of(this).addWarningV2('cdk-shared-bucket:adoptedBucketPolicy',
        `The bucket policy of the adopted bucket is now managed by CloudFormation (${this.node.path}/Policy): it replaces any policy the bucket already has. Move statements you need into SharedBucket or bucket.addToResourcePolicy().`);
    } else {
      const bucket = createSharedBucket(this, props);
      this.bucket = bucket;
      // The first statement makes s3.Bucket create its policy; later ones go into the same document.
      bucket.addToResourcePolicy(sslOnlyStatement(bucket.bucketArn));
      this.policy = bucket.policy!.document;
    }
    this.encryptionKey = this.bucket.encryptionKey;
    this.node.addValidation({
      validate: () => checkPolicySize(this, 'the bucket policy', this.policy.toJSON(), RESOURCE_POLICY_MAX_BYTES,
        'AccessPointDelegation keeps the delegation one statement; move statements you added elsewhere'),
    });
    trackBudgets(this);

    this.delegation = props.delegation ?? AccessPointDelegation.account();
    // Every access point on the bucket, whoever creates it and in whichever stack, checks itself
    // against this delegation (see AccessPoint).
    const alreadyShared = registerSharedBucket(this.bucket, { construct: this, delegation: this.delegation, bucketAccount: Stack.of(this).account });
    if (alreadyShared !== undefined) {
      throw new Error(`SharedBucket at '${this.node.path}' has invalid props:\n  - bucket: ${this.bucket.node.path} is already shared by ${alreadyShared.node.path}; `
        + 'two bucket policies for one bucket overwrite each other. Use that SharedBucket.');
    }
    const delegation = this.delegation._bind(this);
    this.policy.addStatements(...delegationStatements(this.bucket.bucketArn, delegation));
    recordBucketPolicy(this, {
      owner: this,
      bucket: this.bucket,
      delegation,
      denyDirectAccess: props.denyDirectAccess ?? false,
      directAccessPrincipals: props.denyDirectAccess ? props.directAccessPrincipals ?? [] : [],
    });
    if (props.denyDirectAccess) {
      // Validated above: every exempt principal has an ARN.
      const exemptArns = (props.directAccessPrincipals ?? []).map(principal => principalArn(principal)!);
      this.policy.addStatements(denyDirectAccessStatement(this.bucket.bucketArn, delegation, exemptArns));
      // Only when nobody is exempt: with directAccessPrincipals given, the choice has been made.
      if (exemptArns.length === 0) {
        Annotations.of(this).addWarningV2('cdk-shared-bucket:denyDirectAccess',
          'denyDirectAccess: requests that do not come through an access point the delegation trusts are denied, and directAccessPrincipals is empty. '
          + 'autoDeleteObjects, BucketDeployment, replication and administrators call the bucket directly: list their roles in directAccessPrincipals (AccessPointDeployment seeds a folder through an access point instead).');
      }
    }
  }

  /**
   * Every access point on the bucket created so far in this app, by any route
   * (`addUserAccessPoint`, `addVpcAccessPoint`, `new UserAccessPoint`, `new VpcAccessPoint`,
   * `new AccessPoint`) and in any stack.
   */
  public get accessPoints(): IAccessPoint[] {
    return accessPointsOn(this.bucket);
  }

  /**
   * Add an Internet-origin access point for one IAM user, role or group, scoped to a folder.
   *
   * @param id construct id, under this SharedBucket
   * @param options the identity, its folder and access
   */
  public addUserAccessPoint(id: string, options: UserAccessPointOptions): UserAccessPoint {
    return new UserAccessPoint(this, id, { ...options, outputs: options.outputs ?? this.accessPointOutputs, bucket: this.bucket });
  }

  /**
   * Add a VPC-origin access point scoped to a folder, with the VPC's S3 gateway endpoint and a
   * reader function in an isolated subnet.
   *
   * @param id construct id, under this SharedBucket
   * @param options the VPC, the folder and its consumers
   */
  public addVpcAccessPoint(id: string, options: VpcAccessPointOptions): VpcAccessPoint {
    return new VpcAccessPoint(this, id, { ...options, outputs: options.outputs ?? this.accessPointOutputs, bucket: this.bucket });
  }

  /**
   * Add one access point for any number of tenants: each tenant role or IAM user reaches only the
   * folder named by its tenant tag. Add tenants with `addTenant`.
   *
   * @param id construct id, under this SharedBucket
   * @param options the tenant tag, the access and the access point's name
   */
  public addTenantAccessPoint(id: string, options: TenantAccessPointOptions = {}): TenantAccessPoint {
    return new TenantAccessPoint(this, id, { ...options, bucket: this.bucket });
  }
}

/** Every problem with SharedBucket props, each naming the prop. */
function validateSharedBucketProps(props: SharedBucketProps): string[] {
  const problems = [...validateBucketName('bucketName', props.bucketName), ...(props.delegation?._validate() ?? [])];
  if (props.encryption === SharedBucketEncryption.S3_MANAGED && props.encryptionKey) {
    problems.push('encryptionKey: a KMS key needs encryption SharedBucketEncryption.KMS (encryption is S3_MANAGED)');
  }
  if (props.serverAccessLogs === false && props.serverAccessLogsBucket) {
    problems.push('serverAccessLogsBucket: given, but serverAccessLogs is false');
  }
  if (props.objectLockEnabled && props.versioned === false) {
    problems.push('versioned: Object Lock needs versioning (objectLockEnabled is true)');
  }
  if (props.objectLockDefaultRetention && !props.objectLockEnabled) {
    problems.push('objectLockDefaultRetention: only applies with objectLockEnabled: true');
  }
  if (props.directAccessPrincipals && !props.denyDirectAccess) {
    problems.push('directAccessPrincipals: only has an effect with denyDirectAccess: true');
  }
  (props.directAccessPrincipals ?? []).forEach((principal, i) => {
    if (principalArn(principal) === undefined) {
      problems.push(`directAccessPrincipals[${i}]: cannot tell the ARN of ${principal}; pass a role, a user or an iam.ArnPrincipal`);
    }
  });
  if (props.bucket) {
    const newBucketOnly: Array<keyof SharedBucketProps> = ['bucketName', 'encryption', 'encryptionKey', 'versioned', 'removalPolicy',
      'serverAccessLogs', 'serverAccessLogsBucket', 'serverAccessLogsPrefix', 'lifecycleRules', 'eventBridgeEnabled', 'objectLockEnabled', 'objectLockDefaultRetention'];
    for (const prop of newBucketOnly.filter(p => props[p] !== undefined)) {
      problems.push(`${prop}: configures a new bucket and cannot be combined with bucket (an adopted bucket keeps its own settings)`);
    }
  }
  return problems;
}
