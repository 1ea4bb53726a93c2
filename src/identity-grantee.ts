/**
 * Where a UserAccessPoint's identity grants land (internal: not exported from the package).
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { IdentityPolicy } from './identity-policy';

/**
 * The grantee to write `identity`'s grants through: the identity itself, or a principal that
 * writes into a new managed policy attached to it.
 */
export function identityGrantee(scope: Construct, identity: iam.IIdentity, kind: 'user' | 'role' | 'group', where: IdentityPolicy): iam.IGrantable {
  if (where === IdentityPolicy.INLINE) return identity;
  const policy = new iam.ManagedPolicy(scope, 'IdentityPolicy', {
    description: `Grants of ${scope.node.path} (cdk-shared-bucket)`,
  });
  // Attached from the policy's side, which works for imported identities too.
  switch (kind) {
    case 'user': policy.attachToUser(identity as iam.IUser); break;
    case 'role': policy.attachToRole(identity as iam.IRole); break;
    case 'group': policy.attachToGroup(identity as iam.IGroup); break;
  }
  return { grantPrincipal: new ManagedPolicyPrincipal(identity, policy) };
}

/** The identity as a principal, but statements land in the managed policy. */
class ManagedPolicyPrincipal implements iam.IPrincipal {
  public readonly grantPrincipal: iam.IPrincipal = this;
  public readonly assumeRoleAction: string;
  public readonly policyFragment: iam.PrincipalPolicyFragment;
  public readonly principalAccount?: string;

  /** The identity behind the principal, for the access report. */
  constructor(public readonly identity: iam.IIdentity, private readonly policy: iam.ManagedPolicy) {
    this.assumeRoleAction = identity.assumeRoleAction;
    this.policyFragment = identity.policyFragment;
    this.principalAccount = identity.principalAccount;
  }

  public addToPolicy(statement: iam.PolicyStatement): boolean {
    return this.addToPrincipalPolicy(statement).statementAdded;
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.policy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.policy };
  }
}
