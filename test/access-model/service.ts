/**
 * TEST-ONLY access model, part 4: a request made by an AWS service principal (e.g. S3 server access
 * log delivery, `logging.s3.amazonaws.com`) to a bucket of the world. A service principal has no
 * identity policy: only the bucket policy can allow it, and its explicit denies apply as to anyone.
 * Uses @cloud-copilot/iam-simulate (AGPL; test/ only).
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { World } from './world';

export interface ServiceRequest {
  /** The service principal, e.g. `logging.s3.amazonaws.com`. */
  readonly service: string;
  /** e.g. `s3:PutObject`. */
  readonly action: string;
  /** Bucket name in the world. */
  readonly bucket: string;
  readonly key: string;
  /** `aws:SourceArn` / `aws:SourceAccount`: the resource the service acts for, and its account. */
  readonly sourceArn?: string;
  readonly sourceAccount?: string;
  /** Default true. */
  readonly secureTransport?: boolean;
}

export type ServiceOutcome = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** Decide a service principal's object request against the bucket's policy. */
export async function evaluateServiceRequest(world: World, request: ServiceRequest): Promise<ServiceOutcome> {
  const bucket = world.buckets.get(request.bucket);
  if (!bucket) throw new Error(`access model: no bucket ${request.bucket} in the world (have: ${[...world.buckets.keys()].join(', ')})`);
  const context: Record<string, string> = { 'aws:SecureTransport': String(request.secureTransport ?? true) };
  if (request.sourceArn !== undefined) context['aws:SourceArn'] = request.sourceArn;
  if (request.sourceAccount !== undefined) context['aws:SourceAccount'] = request.sourceAccount;
  const response = await runSimulation({
    request: {
      principal: request.service,
      action: request.action,
      resource: { resource: `${bucket.arn}/${request.key}`, accountId: bucket.account },
      contextVariables: context,
    },
    identityPolicies: [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: bucket.policy,
  }, {});
  const where = `${request.action} on ${bucket.arn}/${request.key} by ${request.service}`;
  if (response.resultType !== 'single') {
    throw new Error(`access model: iam-simulate could not evaluate ${where}: ${JSON.stringify(response)}`);
  }
  const ignored = response.result.ignoredContextKeys ?? [];
  if (ignored.length > 0) throw new Error(`access model: iam-simulate ignored [${ignored.join(', ')}] for ${where}`);
  return response.result.analysis.result as ServiceOutcome;
}
