import { IAspect } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { buildAccessReport, describePrincipal } from './build-report';
import { normalizeArn } from './direct-access';
import { AccessReportRecorder } from './recorder';

/**
 * Properties of an AccessReportGuard.
 */
export interface AccessReportGuardProps {
  /**
   * Principals that may reach a bucket without an access point (roles, users or `ArnPrincipal`s),
   * e.g. a backup or replication role. Matched on their construct, or on their ARN.
   *
   * @default - none: any direct access fails synth
   */
  readonly acknowledgedDirectAccess?: iam.IPrincipal[];
}

/**
 * Fail synth when an identity of the app reaches a bucket of the access report without an access
 * point (its own identity policy allows S3 data actions on the bucket, and the bucket policy does
 * not deny it), unless the principal is acknowledged. Add it to the App:
 * `Aspects.of(app).add(new AccessReportGuard({ ... }))`.
 */
export class AccessReportGuard implements IAspect {
  private readonly acknowledged: iam.IPrincipal[];
  /** Each app's recorder gets the validation once, however often the app is synthesized. */
  private readonly guarded = new WeakSet<AccessReportRecorder>();

  /**
   * @param props the principals that may reach a bucket directly
   */
  constructor(props: AccessReportGuardProps = {}) {
    this.acknowledged = props.acknowledgedDirectAccess ?? [];
  }

  /**
   * Adds the check to the app's access report (the construct that writes it), once per app.
   *
   * @param node the construct visited
   */
  public visit(node: IConstruct): void {
    if (!(node instanceof AccessReportRecorder) || this.guarded.has(node)) return;
    this.guarded.add(node);
    node.node.addValidation({ validate: () => this.unacknowledged(node) });
  }

  /** The direct access the report shows that nobody acknowledged, one message each. */
  private unacknowledged(recorder: AccessReportRecorder): string[] {
    const acknowledged = this.acknowledged.map(p => describePrincipal(p, undefined, recorder));
    const known = (path: string | undefined, arn: string | undefined) => acknowledged.some(a =>
      (a.path !== undefined && a.path === path) || (a.arn !== undefined && arn !== undefined && normalizeArn(a.arn) === normalizeArn(arn)));
    // At validation nothing is synthesized yet: the scan resolves the constructs.
    return buildAccessReport(recorder, {}).buckets.flatMap(bucket => bucket.direct
      .filter(d => (d.status === 'allowed' || d.status === 'exempt') && !known(d.principal.path, d.principal.arn))
      .map(d => `AccessReportGuard: ${d.principal.kind} ${d.principal.path ?? d.principal.arn} reaches the bucket ${bucket.bucket} without an access point `
        + `(${d.actions.join(', ')} on ${d.resources.join(', ')}, from ${d.policies.join(', ')}). Grant it through an access point, `
        + 'turn on denyDirectAccess, or list it in acknowledgedDirectAccess.'));
  }
}
