/**
 * The S3 gateway endpoint a VpcAccessPoint's traffic takes: one that the app already defines on
 * the VPC's route tables, or the one this library creates per VPC and stack. A route table takes
 * one S3 gateway endpoint only (a second route to the S3 prefix list fails to deploy), so two
 * endpoints on one route table are refused with the fix
 * (https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html).
 */
import { Lazy, Names, Stack, Tokenization } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct, IConstruct } from 'constructs';

/** Which endpoint a VpcAccessPoint uses. */
export interface EndpointChoice {
  /** The endpoint, or undefined when `problems` say why none can be used. */
  readonly endpoint?: ec2.GatewayVpcEndpoint;
  /** The endpoint was defined by the app (found on the VPC), not created by this library. */
  readonly found: boolean;
  readonly problems: string[];
}

/** Route tables of the endpoints this library creates; they grow as VpcAccessPoints are added. */
const libraryRouteTables = new WeakMap<ec2.CfnVPCEndpoint, Set<string>>();
/** The VpcAccessPoints that use each endpoint this library creates: errors name them, not its generated path. */
const libraryEndpointUsers = new WeakMap<ec2.CfnVPCEndpoint, string[]>();
/** The endpoint this library created per stack and VPC. */
const libraryEndpoints = new WeakMap<Stack, Map<ec2.IVpc, ec2.GatewayVpcEndpoint>>();

const FIX = "add one S3 gateway endpoint to the VPC yourself, before the access points (vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 })): "
  + 'every VpcAccessPoint on route tables it covers then uses it';

/**
 * The endpoint for `subnets` of `vpc`: this stack's library endpoint if there is one; else an S3
 * gateway endpoint of the app that covers every route table of the subnets; else a new library
 * endpoint, unless another endpoint already holds some of those route tables.
 */
export function chooseS3Endpoint(scope: Construct, vpc: ec2.IVpc, subnets: ec2.ISubnet[]): EndpointChoice {
  const stack = Stack.of(scope);
  const wanted = routeTablesOf(subnets);
  const own = libraryEndpoints.get(stack)?.get(vpc);
  if (own === undefined) {
    const problems: string[] = [];
    for (const other of s3GatewayEndpoints(vpc)) {
      const theirs = endpointRouteTables(other);
      const shared = theirs === undefined ? wanted : wanted.filter(table => theirs.includes(table));
      if (shared.length === 0) continue;
      const endpoint = other.node.scope;
      const isLibrary = libraryRouteTables.has(other);
      if (!isLibrary && endpoint instanceof ec2.GatewayVpcEndpoint && shared.length === wanted.length) {
        return { endpoint, found: true, problems: [] };
      }
      if (isLibrary) {
        problems.push(`vpc: the S3 gateway endpoint ${other.node.path}, created for the VpcAccessPoints of stack ${Stack.of(other).stackName}, already holds route tables of these subnets; `
          + `a second endpoint in stack ${stack.stackName} would fail to deploy. ${capitalize(FIX)}`);
      } else if (shared.length === wanted.length) {
        problems.push(`endpoint: the S3 gateway endpoint ${other.node.path} already holds the route tables of these subnets, and a route table takes one S3 gateway endpoint only; `
          + 'pass it as endpoint (ec2.GatewayVpcEndpoint.fromGatewayVpcEndpointId(this, id, endpoint.ref))');
      } else {
        problems.push(`vpcSubnets: the S3 gateway endpoint ${other.node.path} already holds some route tables of these subnets but not all of them, and a route table takes one S3 gateway endpoint only; `
          + 'select only subnets it covers (vpcSubnets), add the other subnets to it (its subnets prop), or pass it as endpoint');
      }
    }
    if (problems.length > 0) return { found: false, problems };
  }
  const endpoint = own ?? createLibraryEndpoint(stack, vpc);
  const tables = libraryRouteTables.get(endpoint.node.defaultChild as ec2.CfnVPCEndpoint)!;
  wanted.forEach(table => tables.add(table));
  libraryEndpointUsers.get(endpoint.node.defaultChild as ec2.CfnVPCEndpoint)!.push(scope.node.path);
  return { endpoint, found: false, problems: [] };
}

/**
 * Created once, in the stack of the first VpcAccessPoint (so a VPC from another stack gets no
 * reference back to the bucket), then shared, with the route tables of every selection added.
 * At synth it checks that no other S3 gateway endpoint took one of its route tables meanwhile.
 */
function createLibraryEndpoint(stack: Stack, vpc: ec2.IVpc): ec2.GatewayVpcEndpoint {
  const endpoint = new ec2.GatewayVpcEndpoint(stack, `SharedBucketS3Endpoint${Names.nodeUniqueId(vpc.node)}`, { vpc, service: ec2.GatewayVpcEndpointAwsService.S3 });
  const cfn = endpoint.node.defaultChild as ec2.CfnVPCEndpoint;
  const tables = new Set<string>();
  cfn.routeTableIds = Lazy.list({ produce: () => [...tables] });
  libraryRouteTables.set(cfn, tables);
  const users: string[] = [];
  libraryEndpointUsers.set(cfn, users);
  const perVpc = libraryEndpoints.get(stack) ?? new Map<ec2.IVpc, ec2.GatewayVpcEndpoint>();
  perVpc.set(vpc, endpoint);
  libraryEndpoints.set(stack, perVpc);
  endpoint.node.addValidation({
    validate: () => s3GatewayEndpoints(vpc).filter(other => other !== cfn).flatMap(other => {
      const theirs = endpointRouteTables(other);
      if (theirs !== undefined && !theirs.some(table => tables.has(table))) return [];
      return [`the S3 gateway endpoint ${other.node.path} holds route tables that this endpoint, created by cdk-shared-bucket for ${users.join(', ')}, holds too; a route table takes one S3 gateway endpoint only, `
        + `so the deployment would fail. ${capitalize(FIX)}, or pass that endpoint to the VpcAccessPoints as endpoint`];
    }),
  });
  return endpoint;
}

/** Every S3 gateway endpoint of the app on `vpc` (matched by VPC ID), this library's included. */
function s3GatewayEndpoints(vpc: ec2.IVpc): ec2.CfnVPCEndpoint[] {
  return vpc.node.root.node.findAll()
    .filter((c: IConstruct): c is ec2.CfnVPCEndpoint => c instanceof ec2.CfnVPCEndpoint)
    .filter(cfn => cfn.vpcId === vpc.vpcId
      && (cfn.vpcEndpointType === undefined || cfn.vpcEndpointType === ec2.VpcEndpointType.GATEWAY)
      && typeof cfn.serviceName === 'string' && cfn.serviceName.endsWith('.s3'));
}

/** The route tables an endpoint holds, or undefined when they are only known at deploy time. */
function endpointRouteTables(cfn: ec2.CfnVPCEndpoint): string[] | undefined {
  const library = libraryRouteTables.get(cfn);
  if (library !== undefined) return [...library];
  const ids = cfn.routeTableIds;
  if (ids === undefined) return [];
  return Tokenization.reverseList(ids) === undefined ? ids : undefined;
}

/**
 * The route tables of an endpoint of the app (this library's or the app's own), or undefined for
 * an imported endpoint or one whose route tables are only known at deploy time.
 */
export function routeTablesOfEndpoint(endpoint: ec2.IGatewayVpcEndpoint): string[] | undefined {
  const cfn = endpoint.node.defaultChild;
  return cfn instanceof ec2.CfnVPCEndpoint ? endpointRouteTables(cfn) : undefined;
}

function routeTablesOf(subnets: ec2.ISubnet[]): string[] {
  return [...new Set(subnets.map(subnet => subnet.routeTable.routeTableId))];
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
