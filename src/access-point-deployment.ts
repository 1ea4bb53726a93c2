import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct, IConstruct } from 'constructs';
import { AccessPoint, AccessPointBase, IAccessPoint, NetworkOrigin } from './access-point';
import { exclusiveAccessStatement, syncActions } from './policy';
import { normalizePrefix, throwIfInvalid, validateAccessPointName, validatePrefix, warnIfUnresolvedPrefix } from './validation';

/**
 * BucketDeployment tags the destination with `aws-cdk:cr-owned:PREFIX:ID` (at most 128
 * characters), which leaves the prefix 104.
 */
const MAX_DEPLOYMENT_PREFIX = 104;

/**
 * Properties of an AccessPointDeployment.
 */
export interface AccessPointDeploymentProps {
  /** The bucket behind the access point (a SharedBucket's `bucket` or any bucket of this account). */
  readonly bucket: s3.IBucket;

  /** The files to deploy, e.g. `s3deploy.Source.asset('./site')`. */
  readonly sources: s3deploy.ISource[];

  /**
   * The folder to deploy into (a `/` is appended when missing). The deployment writes, and with
   * `prune` deletes, only under it.
   */
  readonly prefix: string;

  /**
   * Deploy through this access point (Internet origin) rather than one the construct creates. The
   * handler's role is granted the folder through it; an exclusive access point must admit the role.
   *
   * @default - a new Internet-origin access point, exclusive to the deployment's handler role
   */
  readonly accessPoint?: IAccessPoint;

  /**
   * The name of the access point the construct creates (not with `accessPoint`). Give one that
   * matches the bucket's delegation when it trusts named access points only.
   *
   * @default - generated from the construct path
   */
  readonly accessPointName?: string;

  /**
   * Delete keys under `prefix` that are not in the sources (`aws s3 sync --delete`). Keys outside
   * the folder are never touched.
   *
   * @default true
   */
  readonly prune?: boolean;

  /**
   * Memory of the deployment handler, in MiB. BucketDeployment creates one handler per stack and
   * memory size: deployments with the same value share a handler, and its role (see the README).
   *
   * @default 128
   */
  readonly memoryLimit?: number;
}

/** The BucketDeployments this library created, to tell them from plain ones that share the handler. */
const ownDeployments = new WeakSet<IConstruct>();

/**
 * Deploy files into one folder of a bucket through an access point, with aws-cdk-lib's
 * BucketDeployment: works when the bucket denies direct access (`denyDirectAccess`), without
 * exempting the handler.
 *
 * The handler's role gets the folder only, through the access point only: list and upload, and
 * with `prune` delete (plus KMS for an SSE-KMS bucket, and reading the sources). The broad grants
 * BucketDeployment makes on its destination are replaced by that folder grant.
 */
export class AccessPointDeployment extends Construct {
  /** The access point the files go through (created, or the one passed as `accessPoint`). */
  public readonly accessPoint: IAccessPoint;

  /** The folder, ending in `/`. */
  public readonly prefix: string;

  /**
   * The role of the deployment handler. Shared by every BucketDeployment of the stack with the
   * same memory size: its grants are the union of theirs.
   */
  public readonly handlerRole: iam.IRole;

  /**
   * The deployment, to add dependencies on it. Its `deployedBucket` names the access point alias
   * as a bucket: reach the files through `accessPoint` instead.
   */
  public readonly deployment: s3deploy.BucketDeployment;

  constructor(scope: Construct, id: string, props: AccessPointDeploymentProps) {
    super(scope, id);
    throwIfInvalid(this, 'AccessPointDeployment', [
      ...validateDeploymentProps(props),
      ...(props.accessPoint?.bucket && !this.sameBucket(props.accessPoint.bucket, props.bucket)
        ? [`accessPoint: ${props.accessPoint.node.path} is for another bucket than ${props.bucket.node.path}`]
        : []),
    ]);
    warnIfUnresolvedPrefix(this, 'prefix', props.prefix);
    this.prefix = normalizePrefix(props.prefix);
    const prune = props.prune ?? true;

    const accessPoint = props.accessPoint ?? new AccessPoint(this, 'AccessPoint', { bucket: props.bucket, accessPointName: props.accessPointName });
    this.accessPoint = accessPoint;

    // S3 accepts an access point alias wherever a bucket name is used for object operations
    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-access-points.html), so the
    // handler's `aws s3 sync` to s3://ALIAS/PREFIX goes through the access point.
    const destination = s3.Bucket.fromBucketAttributes(this, 'ViaAccessPoint', {
      bucketName: accessPoint.accessPointAlias,
      account: Stack.of(this).account,
      region: Stack.of(this).region,
    });
    // BucketDeployment grants its handler `destination.grantReadWrite` (and `grantPutAcl` with
    // `accessControl`): on an alias those are statements on arn:aws:s3:::ALIAS, which authorize
    // nothing through the access point and read as a bucket-wide grant. The folder grant through
    // the access point replaces them.
    const actions = syncActions(prune);
    const folderGrant = (grantee: iam.IGrantable) => (accessPoint as AccessPointBase)._grant(grantee, actions, this.prefix, { prefixChecked: true });
    destination.grantReadWrite = folderGrant;
    destination.grantWrite = folderGrant;
    destination.grantPut = folderGrant;
    destination.grantDelete = folderGrant;
    destination.grantPutAcl = grantee => {
      throw new Error(`[${this.node.path}] cannot grant ${grantee.grantPrincipal} PutObjectAcl: the bucket's ACLs are not granted through an AccessPointDeployment`);
    };

    this.deployment = new s3deploy.BucketDeployment(this, 'Deployment', {
      sources: props.sources,
      destinationBucket: destination,
      destinationKeyPrefix: this.prefix,
      prune,
      memoryLimit: props.memoryLimit,
    });
    ownDeployments.add(this.deployment);
    this.handlerRole = this.deployment.handlerRole;
    // Through an access point, the bucket leg is allowed by the bucket policy's delegation: the
    // deployment must not run before that policy exists (nothing else orders them).
    for (const policy of bucketPolicies(props.bucket)) this.deployment.node.addDependency(policy);

    if (!props.accessPoint) {
      (accessPoint as AccessPoint).addToResourcePolicy(exclusiveAccessStatement(accessPoint.accessPointArn, [this.handlerRole.roleArn]));
    }
    this.node.addValidation({ validate: () => [...this.checkNoAliasGrant(destination), ...this.warnAboutSharedHandler()] });
  }

  /**
   * The replaced grant methods are how BucketDeployment grants today; if it granted some other
   * way, statements on the alias would come back unseen: refuse them.
   */
  private checkNoAliasGrant(destination: s3.IBucket): string[] {
    const policy = this.handlerRole.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined;
    const statements = policy?.document.toJSON()?.Statement ?? [];
    const onAlias = statements.filter((statement: any) => JSON.stringify(statement).includes(destination.bucketName));
    return onAlias.length === 0 ? [] : [`the deployment handler's role has ${onAlias.length} statement(s) on the access point alias as a bucket `
      + '(BucketDeployment granted its destination in a way this construct does not replace): its grants would not be limited to the folder'];
  }

  /** Whether two bucket references name the same bucket, as far as synth can tell. */
  private sameBucket(a: s3.IBucket, b: s3.IBucket): boolean {
    const stack = Stack.of(this);
    return a === b || JSON.stringify(stack.resolve(a.bucketName)) === JSON.stringify(stack.resolve(b.bucketName));
  }

  /** A plain BucketDeployment on the same handler adds its broad grants to this role. */
  private warnAboutSharedHandler(): string[] {
    const others = Stack.of(this).node.findAll()
      .filter((c): c is s3deploy.BucketDeployment => c instanceof s3deploy.BucketDeployment && !ownDeployments.has(c))
      .filter(deployment => deployment.handlerRole === this.handlerRole);
    if (others.length > 0) {
      Annotations.of(this).addWarningV2('cdk-shared-bucket:sharedDeploymentHandler',
        `The deployment handler (and its role) is shared with ${others.map(o => o.node.path).join(', ')}, whose grants on its destination are then the handler's too: give this AccessPointDeployment another memoryLimit, or put it in another stack.`);
    }
    return [];
  }
}

/** The bucket policies of `bucket` defined so far (a SharedBucket's, also for an adopted bucket). */
function bucketPolicies(bucket: s3.IBucket): s3.BucketPolicy[] {
  const found = Stack.of(bucket).node.findAll()
    .filter((c): c is s3.BucketPolicy => c instanceof s3.BucketPolicy && c.bucket === bucket);
  return [...new Set([...(bucket.policy ? [bucket.policy] : []), ...found])];
}

/** Every problem with AccessPointDeployment props, each naming the prop. */
function validateDeploymentProps(props: AccessPointDeploymentProps): string[] {
  const problems = [...validatePrefix('prefix', props.prefix), ...validateAccessPointName('accessPointName', props.accessPointName)];
  if (!Token.isUnresolved(props.prefix) && normalizePrefix(props.prefix).length > MAX_DEPLOYMENT_PREFIX) {
    problems.push(`prefix: "${props.prefix}" must be at most ${MAX_DEPLOYMENT_PREFIX} characters (BucketDeployment tags the destination with it)`);
  }
  if (props.sources.length === 0) problems.push('sources: must name at least one source');
  const accessPoint = props.accessPoint;
  if (accessPoint === undefined) return problems;
  if (props.accessPointName !== undefined) {
    problems.push(`accessPointName: names the access point the construct creates, but accessPoint ${accessPoint.node.path} is given`);
  }
  if (!(accessPoint instanceof AccessPointBase)) {
    problems.push(`accessPoint: ${accessPoint.node.path} is not an access point of this library (AccessPoint, or AccessPoint.fromAccessPointAttributes)`);
  }
  if (accessPoint.networkOrigin === NetworkOrigin.VPC) {
    problems.push(`accessPoint: ${accessPoint.node.path} accepts requests from its VPC only, and the deployment handler runs outside any VPC: pass an Internet-origin access point`);
  }
  if (accessPoint.bucket === undefined && props.bucket.encryptionKey !== undefined) {
    problems.push(`accessPoint: ${accessPoint.node.path} was imported without its bucket, so grants through it add nothing on the bucket's KMS key: pass bucket to AccessPoint.fromAccessPointAttributes`);
  }
  return problems;
}
