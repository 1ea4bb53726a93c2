import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * The ARN that `aws:PrincipalArn` carries for requests of a principal: a role's (also for its
 * sessions), a user's, or an ArnPrincipal's. `undefined` when it cannot be told (e.g. a service).
 */
export function principalArn(principal: iam.IPrincipal): string | undefined {
  // An account's requests carry the ARN of one of its roles or users, never the account's own
  // (`:root` is only the root user): sparing it would spare nobody the grant was meant for.
  if (principal instanceof iam.AccountPrincipal) return undefined;
  if (principal instanceof iam.ArnPrincipal) return principal.arn;
  const candidate = principal as Partial<iam.IRole & iam.IUser>;
  return candidate.roleArn ?? candidate.userArn;
}
