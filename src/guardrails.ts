import * as fs from 'fs';
import * as path from 'path';
import { Annotations, Aws, ISynthesisSession, Stack, Token, attachCustomSynthesis } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as organizations from 'aws-cdk-lib/aws-organizations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { ORGANIZATION_POLICY_MAX_CHARS, checkPolicySize } from './budgets';
import { GuardrailInput, guardrailRcpStatements, guardrailScpStatements } from './guardrail-policy';
import { principalArn } from './principals';
import { recordGuardrails } from './report/recorder';
import { throwIfInvalid } from './validation';
import { VpcAccessPoint } from './vpc-access-point';

/**
 * Properties of AccessPointGuardrails.
 */
export interface AccessPointGuardrailsProps {
  /**
   * The shared bucket. In a stack of the organization's management (or a delegated administrator)
   * account, import it with its account:
   * `s3.Bucket.fromBucketAttributes(this, 'Shared', { bucketName: 'my-bucket', account: '111122223333' })`.
   *
   * Its account must be known at synth time (give the bucket's stack an `env`, or import the
   * bucket with `account`): the policies apply to every account they are attached to, and name
   * this one.
   */
  readonly bucket: s3.IBucket;

  /**
   * Principals the guardrails never stop: they may still create and change the trusted access
   * points, the bucket policy and tenant tags, and call the bucket directly. Matched on
   * `aws:PrincipalArn` (a role's sessions match the role): roles, users or `ArnPrincipal`s (an
   * `ArnPrincipal` may use `*`, e.g. for a role path).
   *
   * List the role CloudFormation deploys with (for the CDK bootstrap,
   * `cdk-hnb659fds-cfn-exec-role-ACCOUNT-REGION`), or the deployments of this library stop working.
   */
  readonly administrators: iam.IPrincipal[];

  /**
   * The names of the access points the design trusts, with `*` (any characters) and `?` (one
   * character): the same pattern as `AccessPointDelegation.accessPoints(...)`. Only
   * administrators may create, delete or change the policy of access points with these names in
   * the bucket's account; data access through any other access point is denied.
   *
   * @default - every access point of the bucket's account is trusted (as with
   * `AccessPointDelegation.account()`), so only administrators may create or change access points there
   */
  readonly accessPointNamePattern?: string;

  /**
   * Other accounts whose access points are trusted (as with `AccessPointDelegation.accounts(...)`).
   * Cannot be combined with `accessPointNamePattern`. The SCP names the bucket's account only: who
   * may create or change access points in those accounts is up to their owners.
   *
   * @default - only the bucket's account
   */
  readonly accessPointAccounts?: string[];

  /**
   * Principals that may still use the bucket directly, not through an access point (replication,
   * `autoDeleteObjects`, `BucketDeployment`): roles, users or `ArnPrincipal`s, matched on
   * `aws:PrincipalArn`. Unlike `administrators`, they get no management exemption.
   *
   * @default - none
   */
  readonly directAccessPrincipals?: iam.IPrincipal[];

  /**
   * The principal tag that decides a principal's tenant. When set, only administrators may give
   * IAM users and roles this tag, change it or remove it (also as a session tag), in the bucket's
   * account.
   *
   * @default - tags are not protected
   */
  readonly tenantTag?: string;

  /**
   * Functions whose code only administrators may change: a `VpcAccessPoint`'s `readerFunction`,
   * and consumers that are functions. An exclusive access point spares their roles, so whoever may
   * change what runs as them reads the folder. The SCP then denies, to every principal but
   * administrators, `lambda:UpdateFunctionCode` and `lambda:UpdateFunctionConfiguration` (layers,
   * environment) on these functions, and `iam:PassRole` and `iam:UpdateAssumeRolePolicy` on their
   * execution roles.
   *
   * Listed explicitly, never picked up from the bucket's access points: the functions may live in
   * another stack or account. From a management-account stack, import each one with its role:
   * `lambda.Function.fromFunctionAttributes(this, 'Reader', { functionArn, role: iam.Role.fromRoleArn(this, 'ReaderRole', roleArn) })`.
   *
   * @default - no function is protected (a warning names each VpcAccessPoint reader of the bucket in this app that is not)
   */
  readonly protectedFunctions?: lambda.IFunction[];

  /**
   * Roots, OUs or accounts to attach the policies to. When given, the construct creates an
   * `AWS::Organizations::Policy` of type `SERVICE_CONTROL_POLICY` and one of type
   * `RESOURCE_CONTROL_POLICY`: deploy its stack in the organization's management account or a
   * delegated administrator account, with both policy types enabled.
   *
   * @default - no resources; use `serviceControlPolicy` and `resourceControlPolicy`, or the
   * JSON files written to the cloud assembly
   */
  readonly targetIds?: string[];

  /**
   * Name prefix of the two organization policies (`-scp` and `-rcp` are appended).
   *
   * @default - `access-point-guardrails-` followed by the bucket name
   */
  readonly policyName?: string;
}

/**
 * Organization policies that close what no bucket or access point policy can: a service control
 * policy (SCP) that keeps every principal but the administrators from creating or changing the
 * trusted access points, creating Multi-Region Access Points, changing the bucket's access
 * settings, re-tagging principals into another tenant and changing what runs as protected
 * functions (a VPC access point's reader); and a resource control policy (RCP)
 * that denies data access to the bucket that does not come through a trusted access point.
 *
 * See docs/guardrails.md for what each statement closes and what it does not.
 */
export class AccessPointGuardrails extends Construct {
  /** The service control policy document. */
  public readonly serviceControlPolicy: iam.PolicyDocument;

  /** The resource control policy document. */
  public readonly resourceControlPolicy: iam.PolicyDocument;

  /**
   * Base name of the JSON files written at the root of the cloud assembly
   * (`<name>.scp.json` and `<name>.rcp.json`).
   */
  public readonly assemblyFileName: string;

  constructor(scope: Construct, id: string, props: AccessPointGuardrailsProps) {
    super(scope, id);
    const bucketAccount = props.bucket.env.account;
    throwIfInvalid(this, 'AccessPointGuardrails', validateGuardrailsProps(props, bucketAccount));

    const input: GuardrailInput = {
      partition: partitionOf(this, props.bucket),
      bucketName: literalBucketName(props.bucket),
      bucketAccount,
      accessPointNamePattern: props.accessPointNamePattern,
      accessPointAccounts: props.accessPointAccounts ?? [],
      // Validated above: every principal has an ARN.
      administratorArns: props.administrators.map(principal => principalArn(principal)!),
      directAccessPrincipalArns: (props.directAccessPrincipals ?? []).map(principal => principalArn(principal)!),
      tenantTag: props.tenantTag,
      protectedFunctionArns: (props.protectedFunctions ?? []).map(fn => fn.functionArn),
      // Validated above: every protected function has a role.
      protectedRoleArns: (props.protectedFunctions ?? []).map(fn => fn.role!.roleArn),
    };
    this.serviceControlPolicy = new iam.PolicyDocument({ statements: guardrailScpStatements(input) });
    this.resourceControlPolicy = new iam.PolicyDocument({ statements: guardrailRcpStatements(input) });

    this.node.addValidation({
      validate: () => {
        this.warnIfNotLiteral();
        this.warnIfReaderUnprotected(props);
        return [
          ...checkPolicySize(this, 'the service control policy', this.serviceControlPolicy.toJSON(), ORGANIZATION_POLICY_MAX_CHARS,
            'list fewer administrators (a role path pattern in an ArnPrincipal covers many roles) or protectedFunctions'),
          ...checkPolicySize(this, 'the resource control policy', this.resourceControlPolicy.toJSON(), ORGANIZATION_POLICY_MAX_CHARS,
            'list fewer administrators and directAccessPrincipals (a role path pattern in an ArnPrincipal covers many roles)'),
        ];
      },
    });

    if (props.targetIds !== undefined) {
      const name = props.policyName ?? `access-point-guardrails-${input.bucketName}`;
      new organizations.CfnPolicy(this, 'ServiceControlPolicy', {
        name: `${name}-scp`,
        type: 'SERVICE_CONTROL_POLICY',
        description: 'AccessPointGuardrails: only administrators manage the shared bucket\'s access points and access settings',
        content: this.serviceControlPolicy,
        targetIds: props.targetIds,
      });
      new organizations.CfnPolicy(this, 'ResourceControlPolicy', {
        name: `${name}-rcp`,
        type: 'RESOURCE_CONTROL_POLICY',
        description: 'AccessPointGuardrails: data access to the shared bucket only through trusted access points',
        content: this.resourceControlPolicy,
        targetIds: props.targetIds,
      });
    }

    this.assemblyFileName = `guardrails-${this.node.path.replace(/[^A-Za-z0-9-]+/g, '-')}`;
    attachCustomSynthesis(this, { onSynthesize: session => this.writeDocuments(session) });
    recordGuardrails(this, {
      owner: this,
      bucket: props.bucket,
      serviceControlPolicy: this.serviceControlPolicy,
      resourceControlPolicy: this.resourceControlPolicy,
      files: ['scp', 'rcp'].map(kind => `${this.assemblyFileName}.${kind}.json`),
      targetIds: props.targetIds,
    });
  }

  private documents(): Array<[string, string]> {
    const stack = Stack.of(this);
    return [['scp', this.serviceControlPolicy], ['rcp', this.resourceControlPolicy]]
      .map(([kind, document]) => [kind as string, `${JSON.stringify(stack.resolve((document as iam.PolicyDocument).toJSON()), undefined, 2)}\n`]);
  }

  private warnIfNotLiteral(): void {
    if (this.documents().some(([, json]) => /"(Ref|Fn::[A-Za-z]+)"/.test(json))) {
      Annotations.of(this).addWarningV2('cdk-shared-bucket:guardrailsNotLiteral',
        `The guardrail documents (${this.assemblyFileName}.scp.json and .rcp.json in the cloud assembly) hold CloudFormation intrinsics, values known only at deploy time `
        + '(a generated bucket name, the ARN of a protected function or role of this app, or the partition of a stack without a Region): give the bucket a name and its stack an env, '
        + 'and import protected functions by ARN, for documents you can paste into AWS Organizations.');
    }
  }

  /**
   * A reader of a VpcAccessPoint on the guarded bucket reads the folder as a role its exclusive
   * access point spares: say so when it is left out of `protectedFunctions` (only in this app).
   */
  private warnIfReaderUnprotected(props: AccessPointGuardrailsProps): void {
    const protectedArns = new Set((props.protectedFunctions ?? []).map(fn => fn.functionArn));
    for (const construct of this.node.root.node.findAll()) {
      if (!(construct instanceof VpcAccessPoint) || construct.accessPoint.bucket !== props.bucket) continue;
      const reader = construct.readerFunction;
      if (reader === undefined || protectedArns.has(reader.functionArn)) continue;
      Annotations.of(this).addWarningV2('cdk-shared-bucket:guardrailsReaderUnprotected',
        `The reader of ${construct.node.path} is not in protectedFunctions: whoever may update its code or configuration, or pass its role, reads its folder through the exclusive access point. `
        + 'Add its readerFunction to protectedFunctions (docs/guardrails.md).');
    }
  }

  private writeDocuments(session: ISynthesisSession): void {
    for (const [kind, json] of this.documents()) {
      fs.writeFileSync(path.join(session.outdir, `${this.assemblyFileName}.${kind}.json`), json);
    }
  }
}

/**
 * The partition of the bucket's ARNs: from a Region known at synth time, else CloudFormation's
 * `AWS::Partition` (organizations do not span partitions, so the deploying stack's is the same).
 */
function partitionOf(scope: Construct, bucket: s3.IBucket): string {
  for (const region of [bucket.env.region, Stack.of(scope).region]) {
    if (!Token.isUnresolved(region)) {
      const partition = RegionInfo.get(region).partition;
      if (partition !== undefined) return partition;
    }
  }
  return Aws.PARTITION;
}

/**
 * The bucket's name, as a literal when the template names it: `bucket.bucketName` of a new bucket
 * is a `Ref` even then, which would leave intrinsics in documents meant for AWS Organizations.
 */
function literalBucketName(bucket: s3.IBucket): string {
  const cfn = bucket.node.defaultChild;
  if (cfn instanceof s3.CfnBucket && cfn.bucketName !== undefined && !Token.isUnresolved(cfn.bucketName)) return cfn.bucketName;
  return bucket.bucketName;
}

const NAME_PATTERN = /^[a-z0-9*?-]{1,50}$/;

/** Every problem with the props, each naming the prop. */
function validateGuardrailsProps(props: AccessPointGuardrailsProps, bucketAccount: string): string[] {
  const problems: string[] = [];
  if (Token.isUnresolved(bucketAccount)) {
    problems.push('bucket: its account is only known at deploy time; give its stack an env with an account, or import it with s3.Bucket.fromBucketAttributes({ bucketName, account })');
  }
  if (props.administrators.length === 0) {
    problems.push('administrators: name at least one principal (the role CloudFormation deploys with): without one, nobody could manage the bucket policy or its access points again');
  }
  const principalProblems = (prop: string, principals: iam.IPrincipal[]) => principals.forEach((principal, i) => {
    if (principalArn(principal) === undefined) {
      problems.push(`${prop}[${i}]: cannot tell the ARN of ${principal}; pass a role, a user or an iam.ArnPrincipal`);
    }
  });
  principalProblems('administrators', props.administrators);
  principalProblems('directAccessPrincipals', props.directAccessPrincipals ?? []);
  (props.protectedFunctions ?? []).forEach((fn, i) => {
    if (fn.role === undefined) {
      problems.push(`protectedFunctions[${i}]: the execution role of ${fn.node.path} is unknown, so iam:PassRole of it could not be denied; `
        + 'import the function with lambda.Function.fromFunctionAttributes({ functionArn, role })');
    }
  });
  const pattern = props.accessPointNamePattern;
  if (pattern !== undefined && !Token.isUnresolved(pattern) && (!NAME_PATTERN.test(pattern) || /^[*?]+$/.test(pattern))) {
    problems.push(`accessPointNamePattern: "${pattern}" may contain only lowercase letters, digits, "-", "*" and "?" (1-50 characters), and must not be only wildcards (leave it out to trust every access point of the account)`);
  }
  if (pattern !== undefined && props.accessPointAccounts !== undefined) {
    problems.push('accessPointAccounts: cannot be combined with accessPointNamePattern (a pattern trusts access points of the bucket\'s account only)');
  }
  for (const account of props.accessPointAccounts ?? []) {
    if (!Token.isUnresolved(account) && !/^\d{12}$/.test(account)) problems.push(`accessPointAccounts: "${account}" is not a 12-digit AWS account ID`);
  }
  const tag = props.tenantTag;
  if (tag !== undefined && !Token.isUnresolved(tag) && !/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u.test(tag)) {
    problems.push(`tenantTag: "${tag}" is not a valid IAM tag key (1-128 letters, digits, spaces and _.:/=+-@)`);
  }
  if (props.targetIds !== undefined && props.targetIds.length === 0) {
    problems.push('targetIds: empty; leave it out to only synthesize the documents');
  }
  return problems;
}
