import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * The ARN that `aws:PrincipalArn` carries for requests of a principal: a role's (also for its
 * sessions), a user's, or an ArnPrincipal's. `undefined` when it cannot be told (e.g. a service).
 */
export function principalArn(principal: iam.IPrincipal): string | undefined {
  if (principal instanceof iam.ArnPrincipal) return principal.arn;
  const candidate = principal as Partial<iam.IRole & iam.IUser>;
  return candidate.roleArn ?? candidate.userArn;
}
