/**
 * TEST-ONLY access model, part 1: a synthesized CloudFormation template -> a concrete "world".
 *
 * The world is what the evaluator needs to decide a request: buckets with their bucket policies,
 * access points with their policies and network origin, IAM identities with every identity policy
 * that applies to them (inline, AWS::IAM::Policy, customer managed, via groups), VPC endpoints with
 * their endpoint policies, and KMS keys with their key policies. Every CloudFormation intrinsic that
 * these need is resolved to a concrete string for one account/Region/partition; anything that cannot
 * be resolved throws, naming the template path.
 *
 * This folder is used only by tests (the evaluator depends on the AGPL-licensed
 * @cloud-copilot/iam-simulate). Never import it from src/.
 */

/** A JSON policy document (IAM, resource, endpoint or key policy). */
export type PolicyDocument = { Version?: string; Statement: any; [key: string]: any };

/** A policy that applies to an identity, with where it came from. */
export interface NamedPolicy {
  /** Unique, readable name: the logical ID for AWS::IAM::Policy / ManagedPolicy, `Owner/PolicyName` for inline policies. */
  readonly name: string;
  /** Where it came from, e.g. `AWS::IAM::Policy BobPolicy`, `inline on AWS::IAM::Role AppRole`, `group readers`. */
  readonly source: string;
  readonly document: PolicyDocument;
}

export interface PrincipalInfo {
  /** IAM ARN (`arn:aws:iam::ACCOUNT:user/PATH/NAME` or `:role/PATH/NAME`). */
  readonly arn: string;
  readonly kind: 'user' | 'role';
  readonly account: string;
  readonly name: string;
  readonly path: string;
  /** Logical ID in the template; undefined for injected external principals. */
  readonly logicalId?: string;
  /** Every identity policy that applies (users: including their groups' policies). */
  readonly policies: readonly NamedPolicy[];
  /** Group names (users only). */
  readonly groups: readonly string[];
  /** Managed policy ARNs attached but NOT modelled (AWS managed, or customer managed outside the template). */
  readonly unmodelledManagedPolicyArns: readonly string[];
  /** IAM tags of the user or role (the `Tags` of its resource): each request carries them as `aws:PrincipalTag/KEY`. */
  readonly tags: Readonly<Record<string, string>>;
}

export interface BucketInfo {
  readonly name: string;
  readonly arn: string;
  /** Account that owns the bucket. */
  readonly account: string;
  readonly logicalId?: string;
  readonly policy?: PolicyDocument;
  readonly policyLogicalId?: string;
  /** Default SSE-KMS key ARN (resolved), when the bucket encrypts with KMS. */
  readonly kmsKeyArn?: string;
  readonly bucketKeyEnabled: boolean;
}

export interface AccessPointInfo {
  /** The access point's name; for a Multi-Region Access Point its alias (`ALIAS.mrap`). */
  readonly name: string;
  readonly arn: string;
  readonly account: string;
  /** Logical ID in the template; undefined for injected external access points. */
  readonly logicalId?: string;
  /** Bucket name. */
  readonly bucket: string;
  readonly bucketAccount: string;
  readonly policy?: PolicyDocument;
  readonly networkOrigin: 'VPC' | 'Internet';
  readonly vpcId?: string;
  /**
   * A Multi-Region Access Point (`arn:aws:s3::ACCOUNT:accesspoint/ALIAS.mrap`): no Region in its ARN,
   * no network origin of its own (see evaluate.ts for how its leg is simulated).
   */
  readonly multiRegion?: boolean;
}

export interface EndpointInfo {
  /** Fake endpoint ID, `vpce-<logicalId>` (or the injected ID). */
  readonly id: string;
  readonly logicalId?: string;
  readonly vpcId: string;
  readonly serviceName: string;
  /** True when the endpoint is for Amazon S3 (gateway or interface). */
  readonly isS3: boolean;
  /** Undefined means the default full-access endpoint policy. */
  readonly policy?: PolicyDocument;
}

export interface KeyInfo {
  readonly arn: string;
  readonly keyId: string;
  readonly logicalId: string;
  readonly policy?: PolicyDocument;
}

export interface World {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  /** By bucket name. */
  readonly buckets: ReadonlyMap<string, BucketInfo>;
  /** By access point name. */
  readonly accessPoints: ReadonlyMap<string, AccessPointInfo>;
  /** By IAM ARN. */
  readonly principals: ReadonlyMap<string, PrincipalInfo>;
  /** By endpoint ID. */
  readonly endpoints: ReadonlyMap<string, EndpointInfo>;
  /** By key ARN. */
  readonly keys: ReadonlyMap<string, KeyInfo>;
  /** Every managed policy ARN attached in the template that is not modelled (e.g. AWS managed policies). */
  readonly unmodelledManagedPolicyArns: readonly string[];
}

/** A principal that is not in the template (an admin, another account's role, an imported role). */
export interface ExternalPrincipal {
  /** IAM user or role ARN, e.g. `arn:aws:iam::999999999999:role/Other`. */
  readonly arn: string;
  /** Identity policies by name. */
  readonly policies?: Record<string, PolicyDocument>;
  /** IAM tags of the user or role (requests carry them as `aws:PrincipalTag/KEY`). */
  readonly tags?: Readonly<Record<string, string>>;
}

/** A VPC endpoint that is not in the template. */
export interface ExternalEndpoint {
  readonly id: string;
  readonly vpcId: string;
  /** Defaults to the S3 service in the world's Region. */
  readonly serviceName?: string;
  readonly policy?: PolicyDocument;
}

/**
 * An access point that is not in the template: one an admin created by hand (any name, any
 * network origin, often without a policy), another account's access point, or a Multi-Region
 * Access Point over the bucket.
 */
export interface ExternalAccessPoint {
  /** Its name (3-50 characters); for a Multi-Region Access Point its alias, ending in `.mrap`. */
  readonly name: string;
  /** Owner account; default the world's account. */
  readonly account?: string;
  /** The bucket behind it (a bucket of the world). */
  readonly bucket: string;
  /** The bucket's account; default the world's account. */
  readonly bucketAccount?: string;
  /** Its policy; default none (then only identity policies can allow on its leg). */
  readonly policy?: PolicyDocument;
  /** VPC origin: only requests through an endpoint of this VPC. Default Internet origin. */
  readonly vpcId?: string;
  /** A Multi-Region Access Point (its name is the alias, e.g. `mfzwi23gnjvgw.mrap`). Default false. */
  readonly multiRegion?: boolean;
}

export interface WorldOptions {
  /** Default `123456789012`. */
  readonly account?: string;
  /** Default `us-east-1`. */
  readonly region?: string;
  /** Default `aws`. */
  readonly partition?: string;
  /** Value of AWS::StackName, default `TestStack`. */
  readonly stackName?: string;
  readonly externalPrincipals?: readonly ExternalPrincipal[];
  readonly externalEndpoints?: readonly ExternalEndpoint[];
  readonly externalAccessPoints?: readonly ExternalAccessPoint[];
  /**
   * What `Fn::ImportValue` gives, by export name: the exports of the other stacks of the app (see
   * `exportedValues`). Default none: an import then fails the build, naming it.
   */
  readonly imports?: Readonly<Record<string, string>>;
  /**
   * Values of the template's parameters, by name, e.g. what the parent of a nested stack passes it
   * (see `passedParameters`). Default: each parameter's `Default`.
   */
  readonly parameters?: Readonly<Record<string, string>>;
  /**
   * The outputs of the template's nested stacks (see `outputValues`), by the logical ID of their
   * `AWS::CloudFormation::Stack` resource, then by output: what `Fn::GetAtt [ID, Outputs.NAME]` gives.
   * Default none: such an attribute then fails the build, naming it.
   */
  readonly nestedStackOutputs?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** The shape of `Template.fromStack(stack).toJSON()`. */
export interface TemplateJson {
  Resources?: Record<string, { Type: string; Properties?: any; [key: string]: any }>;
  Parameters?: Record<string, { Type: string; Default?: any }>;
  Mappings?: Record<string, Record<string, Record<string, any>>>;
  [key: string]: any;
}

export const DEFAULT_ACCOUNT = '123456789012';
export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_PARTITION = 'aws';

const NO_VALUE = Symbol('AWS::NoValue');

const IAM_ARN = /^arn:([^:]+):iam::(\d{12}):(user|role)(\/.*)?\/([^/]+)$/;

/** Parse an IAM user/role ARN. */
export function parseIamArn(arn: string): { partition: string; account: string; kind: 'user' | 'role'; path: string; name: string } | undefined {
  const m = IAM_ARN.exec(arn);
  if (!m) return undefined;
  return { partition: m[1], account: m[2], kind: m[3] as 'user' | 'role', path: `${m[4] ?? ''}/`, name: m[5] };
}

/** Throws if the policy document uses NotPrincipal anywhere (the harness cannot model its role-session rule). */
export function assertNoNotPrincipal(doc: PolicyDocument, where: string): void {
  for (const [i, st] of statementsOf(doc).entries()) {
    if (st && typeof st === 'object' && 'NotPrincipal' in st) {
      throw new Error(
        `${where}: Statement[${i}]${st.Sid ? ` (Sid ${st.Sid})` : ''} uses NotPrincipal. The access model refuses it: `
        + 'iam-simulate does not model the rule that a Deny with NotPrincipal must also list every assumed-role session ARN '
        + '(docs/aws-rules.md section 2). Use Principal "*" with an ArnNotEquals aws:PrincipalArn condition instead.',
      );
    }
  }
}

/** The statements of a policy document as an array. */
export function statementsOf(doc: PolicyDocument): any[] {
  const s = doc?.Statement;
  if (s === undefined) return [];
  return Array.isArray(s) ? s : [s];
}

/**
 * Build the world from a synthesized template.
 *
 * @example
 *   const world = buildWorld(Template.fromStack(stack).toJSON(), {
 *     externalPrincipals: [{ arn: 'arn:aws:iam::123456789012:role/Admin', policies: { admin: S3_STAR } }],
 *   });
 */
export function buildWorld(template: TemplateJson, options: WorldOptions = {}): World {
  return new WorldBuilder(template, options).build();
}

/**
 * The values a template exports (its `Outputs` with an `Export`), by export name, resolved as the
 * stack's own world resolves them: pass them as `imports` to the worlds of the stacks that import them.
 */
export function exportedValues(template: TemplateJson, options: WorldOptions = {}): Record<string, string> {
  const r = resolverOf(template, options);
  const out: Record<string, string> = {};
  for (const [id, output] of Object.entries<any>(template.Outputs ?? {})) {
    if (output?.Export === undefined) continue;
    out[r.resolveString(output.Export.Name, `Outputs.${id}.Export.Name`)] = r.resolveString(output.Value, `Outputs.${id}.Value`);
  }
  return out;
}

/**
 * The values of a template's outputs, by output logical ID, resolved as the stack's own world
 * resolves them: pass those of a nested stack as `nestedStackOutputs` to its parent's world.
 */
export function outputValues(template: TemplateJson, options: WorldOptions = {}): Record<string, string> {
  const r = resolverOf(template, options);
  return Object.fromEntries(Object.entries<any>(template.Outputs ?? {}).map(([id, output]) => [id, r.resolveString(output?.Value, `Outputs.${id}.Value`)]));
}

/**
 * The parameters a parent template passes to a nested stack (the `Parameters` of its
 * `AWS::CloudFormation::Stack` resource), resolved as the parent's own world resolves them: pass
 * them as `parameters` to the nested stack's world.
 */
export function passedParameters(parentTemplate: TemplateJson, nestedStackLogicalId: string, options: WorldOptions = {}): Record<string, string> {
  const r = resolverOf(parentTemplate, options);
  const at = `Resources.${nestedStackLogicalId}.Properties.Parameters`;
  const parameters = r.resource(nestedStackLogicalId, at).Properties?.Parameters ?? {};
  return Object.fromEntries(Object.entries(parameters).map(([name, value]) => [name, r.resolveString(value, `${at}.${name}`)]));
}

function resolverOf(template: TemplateJson, options: WorldOptions): Resolver {
  return new Resolver(
    template,
    options.account ?? DEFAULT_ACCOUNT,
    options.region ?? DEFAULT_REGION,
    options.partition ?? DEFAULT_PARTITION,
    options.stackName ?? 'TestStack',
    options.imports ?? {},
    options.parameters ?? {},
    options.nestedStackOutputs ?? {},
  );
}

/**
 * One world from several, e.g. stacks of different accounts (a bucket in one, a cross-account access
 * point in another). Each world keeps the account it was built for: buckets, access points and
 * principals carry their own account. The worlds must share Region and partition, and must not
 * define the same bucket, access point name, principal, endpoint or key twice.
 */
export function mergeWorlds(first: World, ...others: World[]): World {
  const merge = <V>(what: string, pick: (w: World) => ReadonlyMap<string, V>): Map<string, V> => {
    const out = new Map<string, V>();
    for (const w of [first, ...others]) {
      for (const [k, v] of pick(w)) {
        if (out.has(k)) throw new Error(`access model: cannot merge worlds: ${what} ${k} is in two of them`);
        out.set(k, v);
      }
    }
    return out;
  };
  for (const w of others) {
    if (w.region !== first.region || w.partition !== first.partition) {
      throw new Error(`access model: cannot merge worlds of ${first.partition}/${first.region} and ${w.partition}/${w.region}`);
    }
  }
  return {
    account: first.account,
    region: first.region,
    partition: first.partition,
    buckets: merge('bucket', (w) => w.buckets),
    accessPoints: merge('access point', (w) => w.accessPoints),
    principals: merge('principal', (w) => w.principals),
    endpoints: merge('endpoint', (w) => w.endpoints),
    keys: merge('key', (w) => w.keys),
    unmodelledManagedPolicyArns: [...new Set([first, ...others].flatMap((w) => w.unmodelledManagedPolicyArns))].sort(),
  };
}

class Resolver {
  private readonly resources: Record<string, { Type: string; Properties?: any }>;

  constructor(
    private readonly template: TemplateJson,
    readonly account: string,
    readonly region: string,
    readonly partition: string,
    private readonly stackName: string,
    private readonly imports: Readonly<Record<string, string>>,
    private readonly parameters: Readonly<Record<string, string>>,
    private readonly nestedStackOutputs: Readonly<Record<string, Readonly<Record<string, string>>>>,
  ) {
    this.resources = template.Resources ?? {};
  }

  /** Deeply resolve a value; throws naming `where` if any intrinsic cannot be resolved. */
  resolve(value: any, where: string): any {
    const v = this.resolveInner(value, where);
    return v === NO_VALUE ? undefined : v;
  }

  resolveString(value: any, where: string): string {
    const v = this.resolve(value, where);
    if (typeof v !== 'string') {
      throw new Error(`access model: expected a string at ${where}, got ${JSON.stringify(v)}`);
    }
    return v;
  }

  resource(logicalId: string, where: string): { Type: string; Properties?: any } {
    const r = this.resources[logicalId];
    if (!r) throw new Error(`access model: ${where} refers to unknown logical ID ${logicalId}`);
    return r;
  }

  /** Physical name of a named resource (explicit name property, or one generated from the logical ID). */
  physicalName(logicalId: string, where: string): string {
    const r = this.resource(logicalId, where);
    const p = r.Properties ?? {};
    const at = `Resources.${logicalId}.Properties`;
    switch (r.Type) {
      case 'AWS::S3::Bucket':
        return p.BucketName !== undefined ? this.resolveString(p.BucketName, `${at}.BucketName`) : logicalId.toLowerCase().slice(0, 63);
      case 'AWS::S3::AccessPoint':
        return p.Name !== undefined ? this.resolveString(p.Name, `${at}.Name`) : logicalId.toLowerCase().slice(0, 50);
      case 'AWS::IAM::User':
        return p.UserName !== undefined ? this.resolveString(p.UserName, `${at}.UserName`) : logicalId;
      case 'AWS::IAM::Role':
        return p.RoleName !== undefined ? this.resolveString(p.RoleName, `${at}.RoleName`) : logicalId;
      case 'AWS::IAM::Group':
        return p.GroupName !== undefined ? this.resolveString(p.GroupName, `${at}.GroupName`) : logicalId;
      case 'AWS::IAM::ManagedPolicy':
        return p.ManagedPolicyName !== undefined ? this.resolveString(p.ManagedPolicyName, `${at}.ManagedPolicyName`) : logicalId;
      case 'AWS::Lambda::Function':
        return p.FunctionName !== undefined ? this.resolveString(p.FunctionName, `${at}.FunctionName`) : logicalId;
      case 'AWS::Logs::LogGroup':
        return p.LogGroupName !== undefined ? this.resolveString(p.LogGroupName, `${at}.LogGroupName`) : logicalId;
      default:
        throw new Error(`access model: no physical name model for ${r.Type} ${logicalId} (${where})`);
    }
  }

  iamPath(logicalId: string): string {
    const p = this.resources[logicalId]?.Properties ?? {};
    return p.Path !== undefined ? this.resolveString(p.Path, `Resources.${logicalId}.Properties.Path`) : '/';
  }

  ref(name: string, where: string): any {
    switch (name) {
      case 'AWS::AccountId': return this.account;
      case 'AWS::Region': return this.region;
      case 'AWS::Partition': return this.partition;
      case 'AWS::URLSuffix': return this.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
      case 'AWS::StackName': return this.stackName;
      case 'AWS::StackId': return `arn:${this.partition}:cloudformation:${this.region}:${this.account}:stack/${this.stackName}/00000000-0000-0000-0000-000000000000`;
      case 'AWS::NoValue': return NO_VALUE;
      default:
    }
    const param = this.template.Parameters?.[name];
    if (param && name in this.parameters) return this.parameters[name];
    if (param) {
      if (param.Default === undefined) throw new Error(`access model: ${where} refers to parameter ${name}, which has no Default`);
      return param.Default;
    }
    const r = this.resource(name, where);
    switch (r.Type) {
      case 'AWS::S3::Bucket':
      case 'AWS::S3::AccessPoint':
      case 'AWS::IAM::User':
      case 'AWS::IAM::Role':
      case 'AWS::IAM::Group':
      case 'AWS::Lambda::Function':
      case 'AWS::Logs::LogGroup':
        return this.physicalName(name, where);
      case 'AWS::IAM::ManagedPolicy':
        return this.managedPolicyArn(name, where);
      case 'AWS::IAM::Policy':
        return name;
      case 'AWS::KMS::Key':
        return name;
      case 'AWS::EC2::VPC':
        return `vpc-${name}`;
      case 'AWS::EC2::VPCEndpoint':
        return `vpce-${name}`;
      case 'AWS::EC2::Subnet':
        return `subnet-${name}`;
      case 'AWS::EC2::SecurityGroup':
        return `sg-${name}`;
      default:
        throw new Error(`access model: cannot resolve {"Ref":"${name}"} (type ${r.Type}) at ${where}`);
    }
  }

  managedPolicyArn(logicalId: string, where: string): string {
    return `arn:${this.partition}:iam::${this.account}:policy${this.iamPath(logicalId)}${this.physicalName(logicalId, where)}`;
  }

  getAtt(logicalId: string, attr: string, where: string): string {
    const r = this.resource(logicalId, where);
    const p = r.Properties ?? {};
    const fail = (): never => {
      throw new Error(`access model: cannot resolve {"Fn::GetAtt":["${logicalId}","${attr}"]} (type ${r.Type}) at ${where}`);
    };
    const { partition: P, region: R, account: A } = this;
    switch (r.Type) {
      case 'AWS::CloudFormation::Stack': {
        const output = attr.startsWith('Outputs.') ? this.nestedStackOutputs[logicalId]?.[attr.slice('Outputs.'.length)] : undefined;
        return output ?? fail();
      }
      case 'AWS::S3::Bucket': {
        const n = this.physicalName(logicalId, where);
        if (attr === 'Arn') return `arn:${P}:s3:::${n}`;
        if (attr === 'DomainName') return `${n}.s3.amazonaws.com`;
        if (attr === 'RegionalDomainName') return `${n}.s3.${R}.amazonaws.com`;
        return fail();
      }
      case 'AWS::S3::AccessPoint': {
        const n = this.physicalName(logicalId, where);
        if (attr === 'Arn') return `arn:${P}:s3:${R}:${A}:accesspoint/${n}`;
        if (attr === 'Name') return n;
        if (attr === 'Alias') return `${n}-xsimalias0000000000000000-s3alias`.slice(0, 63);
        if (attr === 'NetworkOrigin') return p.VpcConfiguration ? 'VPC' : 'Internet';
        return fail();
      }
      case 'AWS::IAM::Role':
        if (attr === 'Arn') return `arn:${P}:iam::${A}:role${this.iamPath(logicalId)}${this.physicalName(logicalId, where)}`;
        if (attr === 'RoleId') return `AROA${logicalId.toUpperCase()}`;
        return fail();
      case 'AWS::IAM::User':
        if (attr === 'Arn') return `arn:${P}:iam::${A}:user${this.iamPath(logicalId)}${this.physicalName(logicalId, where)}`;
        return fail();
      case 'AWS::IAM::Group':
        if (attr === 'Arn') return `arn:${P}:iam::${A}:group${this.iamPath(logicalId)}${this.physicalName(logicalId, where)}`;
        return fail();
      case 'AWS::IAM::ManagedPolicy':
        if (attr === 'PolicyArn') return this.managedPolicyArn(logicalId, where);
        return fail();
      case 'AWS::KMS::Key':
        if (attr === 'Arn') return `arn:${P}:kms:${R}:${A}:key/${logicalId}`;
        if (attr === 'KeyId') return logicalId;
        return fail();
      case 'AWS::EC2::VPC':
        if (attr === 'VpcId') return `vpc-${logicalId}`;
        return fail();
      case 'AWS::EC2::VPCEndpoint':
        if (attr === 'Id') return `vpce-${logicalId}`;
        return fail();
      case 'AWS::Lambda::Function':
        if (attr === 'Arn') return `arn:${P}:lambda:${R}:${A}:function:${this.physicalName(logicalId, where)}`;
        return fail();
      case 'AWS::Logs::LogGroup':
        // as CloudFormation returns it: with the trailing ":*"
        if (attr === 'Arn') return `arn:${P}:logs:${R}:${A}:log-group:${this.physicalName(logicalId, where)}:*`;
        return fail();
      default:
        return fail();
    }
  }

  private resolveInner(value: any, where: string): any {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) {
      return value.map((v, i) => this.resolveInner(v, `${where}[${i}]`)).filter((v) => v !== NO_VALUE);
    }
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
      return this.intrinsic(keys[0], value[keys[0]], where);
    }
    const out: Record<string, any> = {};
    for (const k of keys) {
      const v = this.resolveInner(value[k], `${where}.${k}`);
      if (v !== NO_VALUE) out[k] = v;
    }
    return out;
  }

  private intrinsic(fn: string, arg: any, where: string): any {
    const show = () => JSON.stringify({ [fn]: arg });
    switch (fn) {
      case 'Ref':
        return this.ref(this.resolveString(arg, where), where);
      case 'Fn::GetAtt': {
        const [lid, ...attr] = typeof arg === 'string' ? arg.split('.') : arg;
        return this.getAtt(this.resolveString(lid, where), attr.map((a: any) => this.resolveString(a, where)).join('.'), where);
      }
      case 'Fn::Join': {
        if (!Array.isArray(arg) || arg.length !== 2) throw new Error(`access model: malformed ${show()} at ${where}`);
        const delim = this.resolveString(arg[0], where);
        const list = this.resolveInner(arg[1], where);
        if (!Array.isArray(list)) throw new Error(`access model: Fn::Join list is not a list in ${show()} at ${where}`);
        return list.map((x) => {
          if (typeof x !== 'string' && typeof x !== 'number') throw new Error(`access model: Fn::Join element ${JSON.stringify(x)} is not a string at ${where}`);
          return String(x);
        }).join(delim);
      }
      case 'Fn::Select': {
        const idx = Number(this.resolveInner(arg[0], where));
        const list = this.resolveInner(arg[1], where);
        if (!Array.isArray(list) || !(idx >= 0 && idx < list.length)) throw new Error(`access model: cannot resolve ${show()} at ${where}`);
        return list[idx];
      }
      case 'Fn::Split': {
        const delim = this.resolveString(arg[0], where);
        return this.resolveString(arg[1], where).split(delim);
      }
      case 'Fn::Sub': {
        const [text, vars] = typeof arg === 'string' ? [arg, {}] : [arg[0], arg[1] ?? {}];
        if (typeof text !== 'string') throw new Error(`access model: malformed ${show()} at ${where}`);
        return text.replace(/\$\{([^}]*)\}/g, (_m: string, name: string) => {
          if (name.startsWith('!')) return `\${${name.slice(1)}}`;
          if (name in vars) return this.resolveString(vars[name], `${where}(Fn::Sub ${name})`);
          if (name.includes('.') && !name.startsWith('AWS::')) {
            const dot = name.indexOf('.');
            return this.getAtt(name.slice(0, dot), name.slice(dot + 1), where);
          }
          const v = this.ref(name, where);
          if (typeof v !== 'string') throw new Error(`access model: cannot substitute \${${name}} in ${show()} at ${where}`);
          return v;
        });
      }
      case 'Fn::ImportValue': {
        const name = this.resolveString(arg, where);
        if (!(name in this.imports)) throw new Error(`access model: cannot resolve ${show()} at ${where}: no stack given in imports exports ${name}`);
        return this.imports[name];
      }
      case 'Fn::FindInMap': {
        const [m, k1, k2] = arg.map((a: any) => this.resolveString(a, where));
        const v = this.template.Mappings?.[m]?.[k1]?.[k2];
        if (v === undefined) throw new Error(`access model: cannot resolve ${show()} at ${where}`);
        return v;
      }
      default:
        throw new Error(`access model: cannot resolve intrinsic ${show()} at ${where}`);
    }
  }
}

class WorldBuilder {
  private readonly r: Resolver;
  private readonly resources: Record<string, { Type: string; Properties?: any }>;
  /** Policies attached by name (AWS::IAM::Policy / ManagedPolicy Users/Roles/Groups), including names not in the template. */
  private readonly attachedByName = {
    user: new Map<string, NamedPolicy[]>(),
    role: new Map<string, NamedPolicy[]>(),
    group: new Map<string, NamedPolicy[]>(),
  };
  private readonly managedByArn = new Map<string, NamedPolicy>();
  private readonly unmodelled = new Set<string>();

  constructor(template: TemplateJson, private readonly options: WorldOptions) {
    this.r = resolverOf(template, options);
    this.resources = template.Resources ?? {};
  }

  build(): World {
    const { account, region, partition } = this.r;
    this.collectAttachedPolicies();

    const buckets = new Map<string, BucketInfo>();
    for (const [lid, res] of this.ofType('AWS::S3::Bucket')) {
      const name = this.r.physicalName(lid, lid);
      const sse = this.r.resolve(res.Properties?.BucketEncryption, `Resources.${lid}.Properties.BucketEncryption`);
      const rule = sse?.ServerSideEncryptionConfiguration?.[0];
      const byDefault = rule?.ServerSideEncryptionByDefault;
      const kms = byDefault && String(byDefault.SSEAlgorithm).startsWith('aws:kms');
      buckets.set(name, {
        name,
        logicalId: lid,
        account,
        arn: `arn:${partition}:s3:::${name}`,
        kmsKeyArn: kms ? (byDefault.KMSMasterKeyID ?? 'alias/aws/s3') : undefined,
        bucketKeyEnabled: !!rule?.BucketKeyEnabled,
      });
    }
    for (const [lid, res] of this.ofType('AWS::S3::BucketPolicy')) {
      const at = `Resources.${lid}.Properties`;
      const name = this.r.resolveString(res.Properties?.Bucket, `${at}.Bucket`);
      const policy = this.policyDoc(res.Properties?.PolicyDocument, `${at}.PolicyDocument`);
      const existing = buckets.get(name);
      if (existing?.policy) throw new Error(`access model: bucket ${name} has two bucket policies (${existing.policyLogicalId}, ${lid})`);
      buckets.set(name, {
        ...(existing ?? { name, account, arn: `arn:${partition}:s3:::${name}`, bucketKeyEnabled: false }),
        policy,
        policyLogicalId: lid,
      });
    }

    const accessPoints = new Map<string, AccessPointInfo>();
    for (const [lid, res] of this.ofType('AWS::S3::AccessPoint')) {
      const at = `Resources.${lid}.Properties`;
      const p = res.Properties ?? {};
      const name = this.r.physicalName(lid, lid);
      if (accessPoints.has(name)) throw new Error(`access model: two access points named ${name}`);
      const vpcId = p.VpcConfiguration ? this.r.resolveString(p.VpcConfiguration.VpcId, `${at}.VpcConfiguration.VpcId`) : undefined;
      accessPoints.set(name, {
        name,
        logicalId: lid,
        account,
        arn: `arn:${partition}:s3:${region}:${account}:accesspoint/${name}`,
        bucket: this.r.resolveString(p.Bucket, `${at}.Bucket`),
        bucketAccount: p.BucketAccountId !== undefined ? this.r.resolveString(p.BucketAccountId, `${at}.BucketAccountId`) : account,
        policy: p.Policy !== undefined ? this.policyDoc(p.Policy, `${at}.Policy`) : undefined,
        networkOrigin: p.VpcConfiguration ? 'VPC' : 'Internet',
        vpcId,
      });
    }

    for (const e of this.options.externalAccessPoints ?? []) {
      if (accessPoints.has(e.name)) throw new Error(`access model: external access point ${e.name} is already in the world`);
      if (e.multiRegion && (!e.name.endsWith('.mrap') || e.vpcId !== undefined)) {
        throw new Error(`access model: Multi-Region Access Point ${e.name}: name it by its alias (ending in .mrap), without a VPC`);
      }
      const owner = e.account ?? account;
      if (e.policy) assertNoNotPrincipal(e.policy, `external access point ${e.name}`);
      accessPoints.set(e.name, {
        name: e.name,
        account: owner,
        arn: e.multiRegion ? `arn:${partition}:s3::${owner}:accesspoint/${e.name}` : `arn:${partition}:s3:${region}:${owner}:accesspoint/${e.name}`,
        bucket: e.bucket,
        bucketAccount: e.bucketAccount ?? account,
        policy: e.policy,
        networkOrigin: e.vpcId !== undefined ? 'VPC' : 'Internet',
        vpcId: e.vpcId,
        multiRegion: e.multiRegion ?? false,
      });
    }

    const endpoints = new Map<string, EndpointInfo>();
    for (const [lid, res] of this.ofType('AWS::EC2::VPCEndpoint')) {
      const at = `Resources.${lid}.Properties`;
      const p = res.Properties ?? {};
      const serviceName = this.r.resolveString(p.ServiceName, `${at}.ServiceName`);
      const policy = p.PolicyDocument !== undefined ? this.policyDoc(p.PolicyDocument, `${at}.PolicyDocument`) : undefined;
      const id = `vpce-${lid}`;
      endpoints.set(id, { id, logicalId: lid, vpcId: this.r.resolveString(p.VpcId, `${at}.VpcId`), serviceName, isS3: isS3Service(serviceName), policy });
    }
    for (const e of this.options.externalEndpoints ?? []) {
      if (endpoints.has(e.id)) throw new Error(`access model: external endpoint ${e.id} is already in the template`);
      if (e.policy) assertNoNotPrincipal(e.policy, `external endpoint ${e.id}`);
      const serviceName = e.serviceName ?? `com.amazonaws.${region}.s3`;
      endpoints.set(e.id, { id: e.id, vpcId: e.vpcId, serviceName, isS3: isS3Service(serviceName), policy: e.policy });
    }

    const keys = new Map<string, KeyInfo>();
    for (const [lid, res] of this.ofType('AWS::KMS::Key')) {
      const at = `Resources.${lid}.Properties`;
      const arn = this.r.getAtt(lid, 'Arn', lid);
      keys.set(arn, {
        arn,
        keyId: lid,
        logicalId: lid,
        policy: res.Properties?.KeyPolicy !== undefined ? this.policyDoc(res.Properties.KeyPolicy, `${at}.KeyPolicy`) : undefined,
      });
    }

    const principals = new Map<string, PrincipalInfo>();
    const groupPolicies = new Map<string, NamedPolicy[]>();
    for (const [lid] of this.ofType('AWS::IAM::Group')) {
      const name = this.r.physicalName(lid, lid);
      groupPolicies.set(name, this.identityPolicies(lid, 'group', name));
    }
    const userGroups = new Map<string, Set<string>>();
    const addMembership = (user: string, group: string) => {
      if (!userGroups.has(user)) userGroups.set(user, new Set());
      userGroups.get(user)!.add(group);
    };
    for (const [lid, res] of this.ofType('AWS::IAM::UserToGroupAddition')) {
      const at = `Resources.${lid}.Properties`;
      const group = this.r.resolveString(res.Properties?.GroupName, `${at}.GroupName`);
      for (const u of this.r.resolve(res.Properties?.Users ?? [], `${at}.Users`)) addMembership(u, group);
    }
    for (const [lid, res] of this.ofType('AWS::IAM::User')) {
      const name = this.r.physicalName(lid, lid);
      for (const g of this.r.resolve(res.Properties?.Groups ?? [], `Resources.${lid}.Properties.Groups`)) addMembership(name, g);
    }
    for (const kind of ['user', 'role'] as const) {
      for (const [lid] of this.ofType(kind === 'user' ? 'AWS::IAM::User' : 'AWS::IAM::Role')) {
        const name = this.r.physicalName(lid, lid);
        const path = this.r.iamPath(lid);
        const own = this.identityPolicies(lid, kind, name);
        const groups = kind === 'user' ? [...(userGroups.get(name) ?? [])].sort() : [];
        const policies = [...own];
        for (const g of groups) {
          const gp = groupPolicies.get(g) ?? this.attachedByName.group.get(g);
          if (!gp) throw new Error(`access model: user ${name} is in group ${g}, which is not in the template`);
          policies.push(...gp.map((p) => ({ ...p, name: `${p.name} (group ${g})` })));
        }
        const arn = `arn:${partition}:iam::${account}:${kind}${path}${name}`;
        principals.set(arn, {
          arn,
          kind,
          account,
          name,
          path,
          logicalId: lid,
          policies,
          groups,
          unmodelledManagedPolicyArns: this.unmodelledFor(lid, groups),
          tags: this.tagsOf(lid),
        });
      }
    }
    for (const ext of this.options.externalPrincipals ?? []) {
      const parsed = parseIamArn(ext.arn);
      if (!parsed) throw new Error(`access model: external principal ${ext.arn} is not an IAM user or role ARN`);
      if (principals.has(ext.arn)) throw new Error(`access model: external principal ${ext.arn} is already in the template`);
      const policies: NamedPolicy[] = Object.entries(ext.policies ?? {}).map(([pname, document]) => {
        assertNoNotPrincipal(document, `external principal ${ext.arn} policy ${pname}`);
        return { name: pname, source: `external principal ${ext.arn}`, document };
      });
      // Policies that the template attaches by name to an identity it does not define (e.g. an imported role).
      if (parsed.account === account) policies.push(...(this.attachedByName[parsed.kind].get(parsed.name) ?? []));
      principals.set(ext.arn, {
        arn: ext.arn,
        kind: parsed.kind,
        account: parsed.account,
        name: parsed.name,
        path: parsed.path,
        policies,
        groups: [],
        unmodelledManagedPolicyArns: [],
        tags: checkedTags(ext.tags ?? {}, `external principal ${ext.arn}`),
      });
    }

    return {
      account,
      region,
      partition,
      buckets,
      accessPoints,
      principals,
      endpoints,
      keys,
      unmodelledManagedPolicyArns: [...this.unmodelled].sort(),
    };
  }

  private ofType(type: string): Array<[string, { Type: string; Properties?: any }]> {
    return Object.entries(this.resources).filter(([, res]) => res.Type === type);
  }

  private policyDoc(raw: any, where: string): PolicyDocument {
    let doc = this.r.resolve(raw, where);
    if (typeof doc === 'string') doc = JSON.parse(doc);
    if (!doc || typeof doc !== 'object' || doc.Statement === undefined) throw new Error(`access model: no policy document at ${where}`);
    assertNoNotPrincipal(doc, where);
    return doc;
  }

  /** AWS::IAM::Policy and AWS::IAM::ManagedPolicy: index by attached identity name, and managed policies by ARN. */
  private collectAttachedPolicies(): void {
    for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
      for (const [lid, res] of this.ofType(type)) {
        const at = `Resources.${lid}.Properties`;
        const p = res.Properties ?? {};
        const policy: NamedPolicy = { name: lid, source: `${type} ${lid}`, document: this.policyDoc(p.PolicyDocument, `${at}.PolicyDocument`) };
        if (type === 'AWS::IAM::ManagedPolicy') this.managedByArn.set(this.r.managedPolicyArn(lid, lid), policy);
        for (const [prop, kind] of [['Users', 'user'], ['Roles', 'role'], ['Groups', 'group']] as const) {
          for (const name of this.r.resolve(p[prop] ?? [], `${at}.${prop}`)) {
            const m = this.attachedByName[kind];
            if (!m.has(name)) m.set(name, []);
            m.get(name)!.push(policy);
          }
        }
      }
    }
  }

  /** Inline `Policies`, `ManagedPolicyArns` and attached AWS::IAM::Policy / ManagedPolicy of one identity. */
  private identityPolicies(lid: string, kind: 'user' | 'role' | 'group', name: string): NamedPolicy[] {
    const p = this.resources[lid].Properties ?? {};
    const at = `Resources.${lid}.Properties`;
    const out: NamedPolicy[] = [];
    const inline = this.r.resolve(p.Policies ?? [], `${at}.Policies`) as any[];
    inline.forEach((ip, i) => {
      const doc = typeof ip.PolicyDocument === 'string' ? JSON.parse(ip.PolicyDocument) : ip.PolicyDocument;
      assertNoNotPrincipal(doc, `${at}.Policies[${i}]`);
      out.push({ name: `${lid}/${ip.PolicyName}`, source: `inline on ${this.resources[lid].Type} ${lid}`, document: doc });
    });
    for (const arn of this.r.resolve(p.ManagedPolicyArns ?? [], `${at}.ManagedPolicyArns`) as string[]) {
      const mp = this.managedByArn.get(arn);
      if (mp) out.push(mp);
      else this.unmodelled.add(arn);
    }
    for (const mp of this.attachedByName[kind].get(name) ?? []) {
      if (!out.includes(mp)) out.push(mp);
    }
    return out;
  }

  /** The `Tags` of a user or role, resolved. */
  private tagsOf(lid: string): Record<string, string> {
    const at = `Resources.${lid}.Properties.Tags`;
    const list = this.r.resolve(this.resources[lid].Properties?.Tags ?? [], at) as Array<{ Key: string; Value: string }>;
    return checkedTags(Object.fromEntries(list.map((t) => [t.Key, t.Value])), at);
  }

  private unmodelledFor(lid: string, groups: readonly string[]): string[] {
    const arnsOf = (l: string) => (this.r.resolve(this.resources[l]?.Properties?.ManagedPolicyArns ?? [], l) as string[])
      .filter((a) => !this.managedByArn.has(a));
    const groupLids = Object.entries(this.resources)
      .filter(([l, res]) => res.Type === 'AWS::IAM::Group' && groups.includes(this.r.physicalName(l, l)))
      .map(([l]) => l);
    return [...new Set([...arnsOf(lid), ...groupLids.flatMap(arnsOf)])].sort();
  }
}

/** Tag keys the harness reserves for its context-key aliases (`aws:PrincipalTag/xsim-*`) would be ambiguous. */
function checkedTags(tags: Record<string, string>, where: string): Record<string, string> {
  for (const key of Object.keys(tags)) {
    if (key.toLowerCase().startsWith('xsim-')) throw new Error(`access model: ${where} has the tag ${key}; tags starting with "xsim-" are reserved for context-key aliases`);
  }
  return tags;
}

function isS3Service(serviceName: string): boolean {
  return /^com\.amazonaws\.[a-z0-9-]+\.s3$/.test(serviceName) || /^com\.amazonaws\.s3-global\./.test(serviceName);
}
