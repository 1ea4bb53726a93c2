import { Annotations, Duration, Stack, Token, TokenComparison, Tokenization } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { Access } from './access';
import { AccessPoint } from './access-point';
import { trackBudgets } from './budgets';
import { ConsumerOutputs } from './consumer-outputs';
import { ActionSet, actionsFor, combineActions, endpointStatements, getAccessPointPart } from './policy';
import { principalArn } from './principals';
import { addConsumerOutputs, validateConsumerOutputs } from './publish-outputs';
import { ReaderFunction } from './reader-function';
import { chooseS3Endpoint, routeTablesOfEndpoint } from './s3-gateway-endpoint';
import { describeKeys, isWithinFolder, normalizePrefix, throwIfInvalid, validateAccessPointName, validatePrefix, warnIfUnresolvedPrefix } from './validation';

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
   * @default - an S3 gateway endpoint that the app already defines on the VPC and that covers the
   * route tables of `vpcSubnets` (used like a passed one); otherwise one S3 gateway endpoint per
   * VPC and stack, created by this library and shared by its VpcAccessPoints
   */
  readonly endpoint?: ec2.IGatewayVpcEndpoint;

  /**
   * Make the policy of the endpoint passed as `endpoint` (or found on the VPC) an allow-list of
   * this library's access points and folders. Other S3 use through that endpoint stops working. An
   * endpoint this library creates always has the allow-list.
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
   * A Lambda function of the app must run in subnets of the VPC whose route tables the endpoint
   * holds: one that cannot reach the access point is refused.
   *
   * @default - none
   */
  readonly consumers?: iam.IGrantable[];

  /**
   * Deny data requests of every principal but the reader, the consumers and later grantees
   * (matched on `aws:PrincipalArn`) at this access point, including same-account admins whose
   * identity policies allow `s3:*`. Consumers must then be roles, users, functions with a role, or
   * `ArnPrincipal`s.
   *
   * It spares the reader's and consumers' roles, whoever runs as them (`lambda:UpdateFunctionCode`,
   * `iam:PassRole`; `AccessPointGuardrails` `protectedFunctions` closes that for the reader), and
   * cannot stop a principal who may change the access point's policy; the bucket path is closed
   * only by the SharedBucket's `denyDirectAccess`. See docs/security-model.md.
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
   * The VPC-origin access point. Grants made directly on it (in the folder) join the exclusive
   * allow-list and the endpoint's allow-list, like `grantRead`; grants outside the folder, which
   * the endpoint would deny, are refused.
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

  /** Functions of the app granted access, with where they were granted (for messages). */
  private readonly functionGrantees: Array<{ readonly fn: lambda.Function; readonly where: string }> = [];

  private readonly vpc: ec2.IVpc;

  private readonly reader: boolean;

  /** The endpoint whose policy this construct writes, and the actions it lets through so far. */
  private readonly restrictedEndpoint?: ec2.GatewayVpcEndpoint;
  private endpointActions: ActionSet = { objectActions: [], listActions: [], kmsActions: [] };

  private readonly bucket: s3.IBucket;

  constructor(scope: Construct, id: string, props: VpcAccessPointProps) {
    super(scope, id);
    const selection = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const { problems, subnets } = validateVpcProps(this, props, selection);
    throwIfInvalid(this, 'VpcAccessPoint', problems);
    const choice = props.endpoint === undefined ? chooseS3Endpoint(this, props.vpc, subnets) : undefined;
    throwIfInvalid(this, 'VpcAccessPoint', [
      ...(choice?.problems ?? []),
      ...(props.restrictEndpoint !== undefined && props.endpoint === undefined && !choice?.found
        ? ['restrictEndpoint: only applies to an endpoint passed as endpoint (or found on the VPC); the endpoint this library creates always allows just its own access points and folders']
        : []),
    ]);
    if (subnets.some(subnet => props.vpc.privateSubnets.includes(subnet))) {
      Annotations.of(this).addWarningV2('cdk-shared-bucket:egressSubnets',
        'vpcSubnets: PRIVATE_WITH_EGRESS subnets are selected. S3 traffic still takes the gateway endpoint, but the subnets can reach the internet; PRIVATE_ISOLATED subnets cannot.');
    }

    warnIfUnresolvedPrefix(this, 'prefix', props.prefix);
    this.prefix = normalizePrefix(props.prefix);
    this.access = props.access ?? Access.READ;
    this.bucket = props.bucket;
    this.vpc = props.vpc;
    this.reader = props.reader ?? true;
    this.accessPoint = new AccessPoint(this, 'AccessPoint', { bucket: props.bucket, vpc: props.vpc, accessPointName: props.accessPointName });
    // Every grant on the access point, now or later (grantRead, accessPoint.grantRead), joins the
    // allow-list; with nobody granted yet, only the account root is spared.
    if (props.exclusive ?? true) this.accessPoint._makeExclusive();
    this.endpoint = props.endpoint ?? choice!.endpoint!;

    if ((props.endpoint === undefined && !choice!.found) || props.restrictEndpoint) {
      this.restrictedEndpoint = this.endpoint as ec2.GatewayVpcEndpoint;
      this.allowThroughEndpoint(actionsFor(this.access));
      // Grants made on the access point itself must pass the endpoint's allow-list too.
      this.accessPoint._onGrant((principal, keys, actions) => {
        if (!isWithinFolder(keys.prefixes, this.prefix)) {
          throw new Error(`[${this.accessPoint.node.path}] cannot grant ${principal} ${describeKeys(keys.prefixes)} through this VPC access point: `
            + `the policy of its endpoint ${this.endpoint.node.path} allows only "${this.prefix}", so the grant would be void. Grant a folder under "${this.prefix}", or use another VpcAccessPoint`);
        }
        this.allowThroughEndpoint(actions);
      });
    } else {
      const which = choice?.found
        ? `S3 gateway endpoint the VPC already has (${this.endpoint.node.path}), used because a route table takes one S3 gateway endpoint only,`
        : 'given endpoint';
      // Decided at synth: statements may be added to an endpoint of the app after this construct.
      this.node.addValidation({
        validate: () => {
          Annotations.of(this).addWarningV2('cdk-shared-bucket:endpointPolicyUnchanged', hasNoPolicy(this.endpoint)
            ? `endpoint: the ${which} has no policy, so it lets every S3 request from the VPC through (AWS's default full-access policy); `
              + 'set restrictEndpoint: true to let only this library\'s access points and folders through.'
            : `endpoint: the policy of the ${which} is left as it is. It must allow the access point and bucket ARNs of this folder (or set restrictEndpoint: true).`);
          return [];
        },
      });
    }
    this.node.addValidation({ validate: () => this.checkReachable() });

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
      this.grantAccess(reader, Access.READ, 'reader');
      trackBudgets(this);
    }
    (props.consumers ?? []).forEach((consumer, i) => this.grantAccess(consumer, this.access, `consumers[${i}]`));
    addConsumerOutputs(this, () => ({
      accessPointName: this.accessPoint.accessPointName,
      arn: this.accessPoint.accessPointArn,
      alias: this.accessPoint.accessPointAlias,
      folder: this.prefix,
    }), props.outputs);
  }

  /**
   * Allow `grantee` to read the folder through the access point (and look it up with
   * `s3:GetAccessPoint`).
   *
   * @param grantee the principal or function
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.grantAccess(grantee, Access.READ, 'grantRead');
  }

  /**
   * At synth: every Lambda function of the app granted access runs in subnets of this VPC whose
   * route tables the endpoint holds (S3 rejects any other request to a VPC-origin access point
   * before policies are evaluated); and somebody can use the access point at all.
   */
  private checkReachable(): string[] {
    const problems: string[] = [];
    const routed = routeTablesOfEndpoint(this.endpoint);
    const allSubnets = [...this.vpc.publicSubnets, ...this.vpc.privateSubnets, ...this.vpc.isolatedSubnets];
    const vpcSubnets = new Map(allSubnets.map(subnet => [subnet.subnetId, subnet]));
    for (const { fn, where } of this.functionGrantees) {
      const config = (fn.node.defaultChild as lambda.CfnFunction).vpcConfig as lambda.CfnFunction.VpcConfigProperty | undefined;
      const subnetIds = config?.subnetIds;
      const fix = `run it in the access point's subnets (vpc and vpcSubnets of the function, like ${this.node.path}'s own selection)`;
      if (subnetIds === undefined || subnetIds.length === 0) {
        problems.push(`${where}: the function ${fn.node.path} is not in a VPC, so it can never reach the VPC access point ${this.accessPoint.accessPointName} (S3 accepts only requests through an endpoint of ${this.vpc.node.path}); ${fix}`);
        continue;
      }
      if (Token.isUnresolved(config) || Tokenization.reverseList(subnetIds) !== undefined) continue;
      const outside = subnetIds.filter(id => !vpcSubnets.has(id));
      if (outside.length > 0) {
        problems.push(`${where}: the function ${fn.node.path} runs in subnets that are not in ${this.vpc.node.path}, so it can never reach the VPC access point ${this.accessPoint.accessPointName}; ${fix}`);
        continue;
      }
      const unrouted = subnetIds.map(id => vpcSubnets.get(id)!)
        .filter(subnet => routed !== undefined && !routed.includes(subnet.routeTable.routeTableId));
      if (unrouted.length > 0) {
        problems.push(`${where}: the function ${fn.node.path} runs in ${unrouted.map(subnet => subnet.node.path).join(', ')}, whose route tables do not take the S3 gateway endpoint ${this.endpoint.node.path}, `
          + `so its requests never reach the VPC access point ${this.accessPoint.accessPointName}; ${fix}`);
      }
    }
    if (!this.reader && !this.accessPoint._hasGrantees()) {
      // A warning, not an error: the access point may be meant for principals granted elsewhere.
      Annotations.of(this).addWarningV2('cdk-shared-bucket:unusedVpcAccessPoint',
        'reader is false, consumers is empty and nobody was granted access (grantRead), so nobody in this app can use the access point'
        + `${this.accessPoint._isExclusive() ? ', and its exclusive policy denies everyone but the account root' : ''}. Add consumers, call grantRead, or keep the reader.`);
    }
    return problems;
  }

  /** Let `actions` on the folder through the endpoint this construct restricts, once per action. */
  private allowThroughEndpoint(actions: ActionSet): void {
    if (this.restrictedEndpoint === undefined) return;
    const covered = (granted: string[], wanted: string[]) => wanted.every(action => granted.includes(action));
    if (covered(this.endpointActions.objectActions, actions.objectActions) && covered(this.endpointActions.listActions, actions.listActions)) return;
    endpointStatements(this.accessPoint.accessPointArn, this.bucket.bucketArn, this.prefix, actions)
      .forEach(statement => this.restrictedEndpoint!.addToPolicy(statement));
    this.endpointActions = combineActions(this.endpointActions, actions);
  }

  private grantAccess(grantee: iam.IGrantable, access: Access, where: string): iam.Grant {
    if (grantee instanceof lambda.Function && grantee !== this.readerFunction) this.functionGrantees.push({ fn: grantee, where });
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
  if (props.restrictEndpoint && props.endpoint && !(props.endpoint instanceof ec2.GatewayVpcEndpoint)) {
    problems.push('restrictEndpoint: the endpoint is imported, so its policy cannot be changed here; restrict it where it is defined, or pass the GatewayVpcEndpoint construct');
  }
  return { problems, subnets };
}

/**
 * Whether an endpoint of this app has no policy document: CloudFormation then gives it AWS's
 * default policy, which allows every request. Unknown for an imported endpoint.
 */
function hasNoPolicy(endpoint: ec2.IGatewayVpcEndpoint): boolean {
  const cfn = endpoint.node.defaultChild;
  return cfn instanceof ec2.CfnVPCEndpoint && Stack.of(cfn).resolve(cfn.policyDocument) === undefined;
}
