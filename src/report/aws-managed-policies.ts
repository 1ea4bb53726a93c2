/**
 * AWS managed policies that allow S3 data actions, by name, with their documents as AWS publishes
 * them (only the statements that can reach S3), so that the access report's direct scan sees
 * identities that hold them. AWS managed policy reference:
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/PowerUserAccess.html
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonS3FullAccess.html
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonS3ReadOnlyAccess.html
 */
export const AWS_MANAGED_S3_POLICIES: Readonly<Record<string, { Statement: object[] }>> = {
  AdministratorAccess: { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
  PowerUserAccess: { Statement: [{ Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' }] },
  AmazonS3FullAccess: { Statement: [{ Effect: 'Allow', Action: ['s3:*', 's3-object-lambda:*'], Resource: '*' }] },
  AmazonS3ReadOnlyAccess: {
    Statement: [{ Effect: 'Allow', Action: ['s3:Get*', 's3:List*', 's3:Describe*', 's3-object-lambda:Get*', 's3-object-lambda:List*'], Resource: '*' }],
  },
};

/** The name of an AWS managed policy from its (rendered) ARN, e.g. `arn:${AWS::Partition}:iam::aws:policy/NAME`. */
export function awsManagedPolicyName(arn: string): string | undefined {
  return /^arn:[^:]+:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1];
}
