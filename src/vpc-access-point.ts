import { Annotations, ArnFormat, Duration, Lazy, Names, Stack, Token, TokenComparison } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { Access } from './access';
import { AccessPoint } from './access-point';
import { trackBudgets } from './budgets';
import { ConsumerOutputs } from './consumer-outputs';
import { ActionSet, actionsFor, combineActions, endpointStatements, exclusiveAccessStatement, getAccessPointPart } from './policy';
import { principalArn } from './principals';
import { addConsumerOutputs, validateConsumerOutputs } from './publish-outputs';
import { ReaderFunction } from './reader-function';
import { normalizePrefix, throwIfInvalid, validateAccessPointName, validatePrefix, warnIfUnresolvedPrefix } from './validation';

/**
 * Options for a VpcAccessPoint, as `SharedBucket.addVpcAccessPoint` takes them.
 */
export interface VpcAccessPointOptions {
  /** The only VPC the access point accepts requests from. */
  readonly vpc: ec2.IVpc;

  /**
   * The folder the VPC's consumers may use (a `/` is appended when missing). A `CfnParameter`
   * must hold the folder name without a trailing `/`; without an `allowedPattern` such as
   * `^[^*?$/]+(/[^*?$/]+)*$` (or `allowedValues`) that ensures it, the construct warns.
   */
  readonly prefix: string;

  /**
   * What consumers may do in the folder. The reader function always gets `Access.READ`.
   *
   * @default Access.READ
   */
  readonly access?: Access;

  /**
   * The access point's name.
   *
   * @default - generated from the construct path
   */
  readonly accessPointName?: string;

  /**
   * An existing S3 gateway endpoint of the VPC. Its policy is left alone unless
   * `restrictEndpoint` is true.
   *
   * @default - one S3 gateway endpoint per VPC, created by this library and shared by its VpcAccessPoints
   */
  readonly endpoint?: ec2.IGatewayVpcEndpoint;

  /**
   * Make the policy of the endpoint passed as `endpoint` an allow-list of this library's access
   * points and folders. Other S3 use through that endpoint stops working. An endpoint this library
   * creates always has the allow-list.
   *
   * @default false
   */
  readonly restrictEndpoint?: boolean;

  /**
   * The subnets whose route tables reach S3 through the endpoint, and where the reader runs.
   *
   * @default - the VPC's private isolated subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Create the reader function: a Lambda in `vpcSubnets` that reads objects through the access
   * point ARN.
   *
   * @default true
   */
  readonly reader?: boolean;

  /**
   * How long one invocation of the reader may run (Lambda allows 1 second to 15 minutes). One
   * invocation streams up to 100 objects through the access point.
   *
   * @default Duration.minutes(5)
   */
  readonly readerTimeout?: Duration;

  /**
   * Memory of the reader function in MB (Lambda allows 128 to 10,240). Lambda gives a function CPU
   * and network bandwidth in proportion to its memory, and the reader hashes every byte it reads.
   *
   * @default 1024
   */
  readonly readerMemorySize?: number;

  /**
   * Your own principals or functions that get `access` to the folder through the access point.
   *
   * @default - none
   */
  readonly consumers?: iam.IGrantable[];

  /**
   * Deny data requests of every principal but the reader and the consumers (matched on
   * `aws:PrincipalArn`) at this access point, including same-account admins whose identity
   * policies allow `s3:*`. Consumers must then be roles, users, functions with a role, or
   * `ArnPrincipal`s.
   *
   * It spares the reader's and consumers' roles, whoever runs as them (`lambda:UpdateFunctionCode`,
   * `iam:PassRole`), and cannot stop a principal who may change the access point's policy; the
   * bucket path is closed only by the SharedBucket's `denyDirectAccess`. See docs/security-model.md.
   *
   * @default true
   */
  readonly exclusive?: boolean;

  /**
   * Publish the access point's ARN, alias and folder as CloudFormation outputs and/or SSM
   * parameters, for the applications in the VPC. (No console link: the S3 console cannot use
   * VPC-origin access points.)
   *
   * @default - nothing is published (or `SharedBucketProps.accessPointOutputs` for access points added through a SharedBucket)
   */
  readonly outputs?: ConsumerOutputs;
}

/**
 * Properties of a VpcAccessPoint.
 */
export interface VpcAccessPointProps extends VpcAccessPointOptions {
  /** The bucket to share (e.g. `SharedBucket.bucket`). */
  readonly bucket: s3.IBucket;
}

/**
 * A VPC-origin access point scoped to one folder, the S3 gateway endpoint that carries its
 * traffic (with a matching endpoint policy), and a reader function in an isolated subnet.
 */
export class VpcAccessPoint extends Construct {
  /**
   * The VPC-origin access point. Grants made directly on it are denied by the exclusive statement
   * unless `exclusive` is false: use `grantRead` instead.
   */
  public readonly accessPoint: AccessPoint;

  /** The S3 gateway endpoint requests take. */
  public readonly endpoint: ec2.IGatewayVpcEndpoint;

  /** The reader function, unless `reader: false`. */
  public readonly readerFunction?: lambda.IFunction;

  /** The folder, ending in `/`. */
  public readonly prefix: string;

  /** What consumers may do in the folder. */
  public readonly access: Access;

  /** `aws:PrincipalArn` of every principal granted access; the exclusive deny spares only these. */
  private readonly consumerArns: string[] = [];

  private readonly exclusive: boolean;

  /** The endpoint whose policy this construct writes, and the actions it lets through so far. */
  private readonly restrictedEndpoint?: ec2.GatewayVpcEndpoint;
  private endpointActions: ActionSet = { objectActions: [], listActions: [], kmsActions: [] };

  private readonly bucket: s3.IBucket;

  constructor(scope: Construct, id: string, props: VpcAccessPointProps) {
    super(scope, id);
    const selection = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const { problems, subnets } = validateVpcProps(this, props, selection);
    throwIfInvalid(this, 'VpcAccessPoint', problems);
    if (subnets.some(subnet => props.vpc.privateSubnets.includes(subnet))) {
      Annotations.of(this).addWarningV2('cdk-shared-bucket:egressSubnets',
        'vpcSubnets: PRIVATE_WITH_EGRESS subnets are selected. S3 traffic still takes the gateway endpoint, but the subnets can reach the internet; PRIVATE_ISOLATED subnets cannot.');
    }

    warnIfUnresolvedPrefix(this, 'prefix', props.prefix);
    this.prefix = normalizePrefix(props.prefix);
    this.access = props.access ?? Access.READ;
    this.bucket = props.bucket;
    this.exclusive = props.exclusive ?? true;
    this.accessPoint = new AccessPoint(this, 'AccessPoint', { bucket: props.bucket, vpc: props.vpc, accessPointName: props.accessPointName });
    if (this.exclusive) {
      // Rendered at synth, so that grantRead() after construction counts too. With nobody granted
      // yet, only the account root (which could rewrite the policy anyway) is spared.
      const spared = Lazy.list({ produce: () => (this.consumerArns.length > 0 ? this.consumerArns : [accountRootArn(this)]) });
      this.accessPoint.addToResourcePolicy(exclusiveAccessStatement(this.accessPoint.accessPointArn, spared));
    }
    this.endpoint = props.endpoint ?? sharedEndpoint(this, props.vpc, subnets);

    if (props.endpoint === undefined || props.restrictEndpoint) {
      this.restrictedEndpoint = this.endpoint as ec2.GatewayVpcEndpoint;
      this.allowThroughEndpoint(this.access);
    } else {
      Annotations.of(this).addWarningV2('cdk-shared-bucket:endpointPolicyUnchanged',
        'endpoint: the policy of the given endpoint is left as it is. It must allow the access point and bucket ARNs of this folder (or set restrictEndpoint: true).');
    }

    if (props.reader ?? true) {
      const securityGroup = new ec2.SecurityGroup(this, 'ReaderSecurityGroup', {
        vpc: props.vpc,
        description: `Reader of ${this.prefix} through ${this.accessPoint.accessPointName}: no inbound rules`,
      });
      const reader = new ReaderFunction(this, 'Reader', {
        description: `Reads ${this.prefix} through the VPC access point ${this.accessPoint.accessPointName}`,
        vpc: props.vpc,
        vpcSubnets: selection,
        securityGroups: [securityGroup],
        environment: { ACCESS_POINT_ARN: this.accessPoint.accessPointArn, PREFIX: this.prefix },
        timeout: props.readerTimeout ?? READER_DEFAULT_TIMEOUT,
        memorySize: props.readerMemorySize ?? READER_DEFAULT_MEMORY_MB,
      });
      this.readerFunction = reader;
      this.grantAccess(reader, Access.READ);
      trackBudgets(this);
    }
    (props.consumers ?? []).forEach(consumer => this.grantAccess(consumer, this.access));
    addConsumerOutputs(this, {
      accessPointName: this.accessPoint.accessPointName,
      arn: this.accessPoint.accessPointArn,
      alias: this.accessPoint.accessPointAlias,
      folder: this.prefix,
    }, props.outputs);
  }

  /**
   * Allow `grantee` to read the folder through the access point (and look it up with
   * `s3:GetAccessPoint`).
   *
   * @param grantee the principal or function
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.grantAccess(grantee, Access.READ);
  }

  /** Let `access` through the endpoint this construct restricts, once per access level granted. */
  private allowThroughEndpoint(access: Access): void {
    if (this.restrictedEndpoint === undefined) return;
    const actions = actionsFor(access);
    const covered = (granted: string[], wanted: string[]) => wanted.every(action => granted.includes(action));
    if (covered(this.endpointActions.objectActions, actions.objectActions) && covered(this.endpointActions.listActions, actions.listActions)) return;
    endpointStatements(this.accessPoint.accessPointArn, this.bucket.bucketArn, this.prefix, actions)
      .forEach(statement => this.restrictedEndpoint!.addToPolicy(statement));
    this.endpointActions = combineActions(this.endpointActions, actions);
  }

  private grantAccess(grantee: iam.IGrantable, access: Access): iam.Grant {
    if (this.exclusive) {
      const arn = principalArn(grantee.grantPrincipal);
      if (arn === undefined) {
        throw new Error(`VpcAccessPoint at '${this.node.path}': cannot tell the ARN of ${grantee.grantPrincipal}, so the exclusive access point would deny it; `
          + 'grant a role, a user, a function with a role or an ArnPrincipal, or set exclusive: false');
      }
      this.consumerArns.push(arn);
    }
    this.allowThroughEndpoint(access);
    const lookup = iam.Grant.addToPrincipal({ grantee, ...getAccessPointPart(this.accessPoint.accessPointArn) });
    return this.accessPoint._grant(grantee, actionsFor(access), this.prefix, { prefixChecked: true }).combine(lookup);
  }
}

/**
 * The reader's defaults: Lambda's own (3 seconds, 128 MB) time out while streaming one large
 * object, and hashing is CPU-bound while Lambda allots CPU in proportion to memory
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). Limits:
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
const READER_DEFAULT_TIMEOUT = Duration.minutes(5);
const READER_DEFAULT_MEMORY_MB = 1024;
const LAMBDA_MAX_TIMEOUT = Duration.minutes(15);
const LAMBDA_MEMORY_MB = { min: 128, max: 10240 };

/** The reader's timeout and memory within Lambda's limits, and only where there is a reader. */
function validateReaderOptions(props: VpcAccessPointProps): string[] {
  const problems: string[] = [];
  if (props.reader === false) {
    for (const prop of ['readerTimeout', 'readerMemorySize'] as const) {
      if (props[prop] !== undefined) problems.push(`${prop}: only applies to the reader function, and reader is false`);
    }
    return problems;
  }
  const timeout = props.readerTimeout;
  if (timeout !== undefined && !timeout.isUnresolved()) {
    const ms = timeout.toMilliseconds();
    if (ms < 1000 || ms > LAMBDA_MAX_TIMEOUT.toMilliseconds() || ms % 1000 !== 0) {
      problems.push(`readerTimeout: ${timeout.toHumanString()} must be a whole number of seconds from 1 second to 15 minutes (Lambda's limits)`);
    }
  }
  const memory = props.readerMemorySize;
  if (memory !== undefined && !Token.isUnresolved(memory)
    && (!Number.isInteger(memory) || memory < LAMBDA_MEMORY_MB.min || memory > LAMBDA_MEMORY_MB.max)) {
    problems.push(`readerMemorySize: ${memory} must be a whole number of MB from ${LAMBDA_MEMORY_MB.min} to ${LAMBDA_MEMORY_MB.max} (Lambda's limits)`);
  }
  return problems;
}

function accountRootArn(scope: Construct): string {
  return Stack.of(scope).formatArn({ service: 'iam', region: '', resource: 'root', arnFormat: ArnFormat.NO_RESOURCE_NAME });
}

/** Every problem with the VPC props, and the selected subnets. */
function validateVpcProps(scope: IConstruct, props: VpcAccessPointProps, selection: ec2.SubnetSelection) {
  const problems = [
    ...validatePrefix('prefix', props.prefix),
    ...validateAccessPointName('accessPointName', props.accessPointName),
    ...validateConsumerOutputs('outputs', props.outputs),
    ...validateReaderOptions(props),
  ];
  let subnets: ec2.ISubnet[] = [];
  try {
    subnets = props.vpc.selectSubnets(selection).subnets;
  } catch (e) {
    problems.push(`vpcSubnets: the VPC has no subnets matching the selection${props.vpcSubnets ? '' : ' (default: PRIVATE_ISOLATED)'}: ${(e as Error).message}`);
  }
  if (subnets.length === 0 && problems.every(p => !p.startsWith('vpcSubnets'))) {
    problems.push('vpcSubnets: the selection matches no subnets');
  }
  const publicSubnets = subnets.filter(subnet => props.vpc.publicSubnets.includes(subnet));
  if (publicSubnets.length > 0) {
    problems.push(`vpcSubnets: ${publicSubnets.map(s => s.node.path).join(', ')} ${publicSubnets.length === 1 ? 'is a public subnet' : 'are public subnets'} (a route to an internet gateway); select PRIVATE_ISOLATED subnets`);
  }
  const stack = Stack.of(scope);
  for (const [what, mine, theirs] of [['account', stack.account, props.vpc.env.account], ['Region', stack.region, props.vpc.env.region]]) {
    if (Token.compareStrings(mine, theirs) === TokenComparison.DIFFERENT) {
      problems.push(`vpc: the VPC is in ${what} ${theirs}, the access point in ${mine}; a VPC-origin access point needs a VPC of its own ${what}`);
    }
  }
  if (props.exclusive ?? true) {
    (props.consumers ?? []).forEach((consumer, i) => {
      if (principalArn(consumer.grantPrincipal) === undefined) {
        problems.push(`consumers[${i}]: cannot tell the ARN of ${consumer.grantPrincipal}, so the exclusive access point would deny it; pass a role, a user, a function with a role or an ArnPrincipal, or set exclusive: false`);
      }
    });
  }
  if (props.restrictEndpoint !== undefined && props.endpoint === undefined) {
    problems.push('restrictEndpoint: only applies to an endpoint passed as endpoint; the endpoint this library creates always allows just its own access points and folders');
  }
  if (props.restrictEndpoint && props.endpoint && !(props.endpoint instanceof ec2.GatewayVpcEndpoint)) {
    problems.push('restrictEndpoint: the endpoint is imported, so its policy cannot be changed here; restrict it where it is defined, or pass the GatewayVpcEndpoint construct');
  }
  return { problems, subnets };
}

/**
 * The S3 gateway endpoint this library keeps per VPC and stack: created once, in the stack of the
 * first VpcAccessPoint (so a VPC from another stack gets no reference back to the bucket), then
 * reused, with the route tables of every selection added.
 */
function sharedEndpoint(scope: Construct, vpc: ec2.IVpc, subnets: ec2.ISubnet[]): ec2.GatewayVpcEndpoint {
  const stack = Stack.of(scope);
  const id = `SharedBucketS3Endpoint${Names.nodeUniqueId(vpc.node)}`;
  let shared = sharedEndpoints.get(stack)?.get(vpc);
  if (shared === undefined) {
    const routeTables = new Set<string>();
    const endpoint = new ec2.GatewayVpcEndpoint(stack, id, { vpc, service: ec2.GatewayVpcEndpointAwsService.S3 });
    (endpoint.node.defaultChild as ec2.CfnVPCEndpoint).routeTableIds = Lazy.list({ produce: () => [...routeTables] });
    shared = { endpoint, routeTables };
    const perVpc = sharedEndpoints.get(stack) ?? new Map();
    perVpc.set(vpc, shared);
    sharedEndpoints.set(stack, perVpc);
  }
  subnets.forEach(subnet => shared!.routeTables.add(subnet.routeTable.routeTableId));
  return shared.endpoint;
}

const sharedEndpoints = new WeakMap<Stack, Map<ec2.IVpc, { endpoint: ec2.GatewayVpcEndpoint; routeTables: Set<string> }>>();
