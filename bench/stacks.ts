/**
 * The two stacks the benchmark compares: the library, and the same N tenants written by hand with
 * L1 resources. Both give each tenant the same `iam.Role`: the identity is not part of the
 * comparison.
 */
import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { SharedBucket } from '../src/shared-bucket';

/** The account and Region of every benchmark stack. */
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

/** One way of building the N-tenant stack. */
export type Build = (stack: cdk.Stack, tenants: number) => void;

function tenantRole(stack: cdk.Stack, i: number): iam.Role {
  return new iam.Role(stack, `Role${i}`, { assumedBy: new iam.AccountRootPrincipal() });
}

/** The library: a SharedBucket and one UserAccessPoint per tenant (READ_WRITE, exclusive). */
export const buildLibrary: Build = (stack, tenants) => {
  const shared = new SharedBucket(stack, 'Shared');
  for (let i = 0; i < tenants; i++) {
    shared.addUserAccessPoint(`T${i}`, { identity: tenantRole(stack, i), prefix: `tenant-${i}/`, accessPointName: `tenant-${i}` });
  }
};

// The policy JSON below is written out the way a CDK user would without the library.
const READ_WRITE_OBJECT_ACTIONS = ['s3:AbortMultipartUpload', 's3:GetObject', 's3:GetObjectVersion', 's3:ListMultipartUploadParts', 's3:PutObject'];
// What the exclusive deny covers: data actions and the bucket reads S3 serves through an access point.
const DENY_OTHERS_ACTIONS = [
  's3:AbortMultipartUpload',
  's3:BypassGovernanceRetention',
  's3:DeleteObject*',
  's3:GetBucketAcl',
  's3:GetBucketCORS',
  's3:GetBucketLocation',
  's3:GetBucketNotification',
  's3:GetBucketPolicy',
  's3:GetObject*',
  's3:ListBucket*',
  's3:ListMultipartUploadParts',
  's3:ListObjectAnnotations',
  's3:ListObjectVersionAnnotations',
  's3:ObjectOwnerOverrideToBucketOwner',
  's3:PutObject*',
  's3:Replicate*',
  's3:RestoreObject',
  's3:UpdateObjectEncryption',
];
const BLOCK_ALL = { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true };

/** Hand-written: CfnBucket + CfnBucketPolicy, and per tenant a role, a CfnAccessPoint and a CfnPolicy. */
export const buildBaseline: Build = (stack, tenants) => handWritten(stack, tenants, 'l1');

/**
 * The same hand-written access points, with the identity statements granted the way aws-cdk-lib
 * grants them (`role.addToPrincipalPolicy`, which writes the role's default policy, an `iam.Policy`)
 * instead of a literal CfnPolicy. Not a target: it shows how much of the library's cost is
 * aws-cdk-lib's own grant path.
 */
export const buildBaselineWithGrants: Build = (stack, tenants) => handWritten(stack, tenants, 'aws-cdk-lib');

function handWritten(stack: cdk.Stack, tenants: number, identityPolicy: 'l1' | 'aws-cdk-lib'): void {
  const bucket = new s3.CfnBucket(stack, 'Bucket', {
    bucketEncryption: { serverSideEncryptionConfiguration: [{ serverSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }] },
    ownershipControls: { rules: [{ objectOwnership: 'BucketOwnerEnforced' }] },
    publicAccessBlockConfiguration: BLOCK_ALL,
    versioningConfiguration: { status: 'Enabled' },
    lifecycleConfiguration: { rules: [{ id: 'AbortIncompleteMultipartUploads', status: 'Enabled', abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } }] },
    notificationConfiguration: { eventBridgeConfiguration: { eventBridgeEnabled: true } },
  });
  bucket.applyRemovalPolicy(cdk.RemovalPolicy.RETAIN);

  const bucketResources = [bucket.attrArn, `${bucket.attrArn}/*`];
  new s3.CfnBucketPolicy(stack, 'BucketPolicy', {
    bucket: bucket.ref,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:*',
          Resource: bucketResources,
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
        {
          Sid: 'DelegateToAccessPoints',
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: '*',
          Resource: bucketResources,
          Condition: { StringEquals: { 's3:DataAccessPointAccount': ACCOUNT } },
        },
      ],
    },
  });

  for (let i = 0; i < tenants; i++) {
    const role = tenantRole(stack, i);
    const name = `tenant-${i}`;
    const folder = `tenant-${i}/`;
    const accessPointArn = `arn:${cdk.Aws.PARTITION}:s3:${REGION}:${ACCOUNT}:accesspoint/${name}`;
    const folderObjects = `${accessPointArn}/object/${folder}*`;
    const listFolder = { StringLike: { 's3:prefix': [folder, `${folder}*`] } };

    new s3.CfnAccessPoint(stack, `AccessPoint${i}`, {
      bucket: bucket.ref,
      name,
      publicAccessBlockConfiguration: BLOCK_ALL,
      policy: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: role.roleArn }, Action: READ_WRITE_OBJECT_ACTIONS, Resource: folderObjects },
          { Effect: 'Allow', Principal: { AWS: role.roleArn }, Action: ['s3:ListBucket', 's3:ListBucketVersions'], Resource: accessPointArn, Condition: listFolder },
          {
            Sid: 'DenyOtherPrincipals',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: DENY_OTHERS_ACTIONS,
            Resource: [accessPointArn, `${accessPointArn}/object/*`],
            Condition: { ArnNotLike: { 'aws:PrincipalArn': [role.roleArn] } },
          },
        ],
      },
    });

    if (identityPolicy === 'aws-cdk-lib') {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: READ_WRITE_OBJECT_ACTIONS, resources: [folderObjects] }));
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket', 's3:ListBucketVersions'], resources: [accessPointArn], conditions: listFolder }));
      continue;
    }
    new iam.CfnPolicy(stack, `Role${i}Policy`, {
      policyName: `${name}-access`,
      roles: [role.roleName],
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: READ_WRITE_OBJECT_ACTIONS, Resource: folderObjects },
          { Effect: 'Allow', Action: ['s3:ListBucket', 's3:ListBucketVersions'], Resource: accessPointArn, Condition: listFolder },
        ],
      },
    });
  }
}

/** The identity's resource type: one per tenant in both stacks, outside the comparison. */
export const IDENTITY_TYPE = 'AWS::IAM::Role';

/** Resource types the hand-written stack creates once per tenant, identity included. */
export const BASELINE_TENANT_TYPES = [IDENTITY_TYPE, 'AWS::S3::AccessPoint', 'AWS::IAM::Policy'];

/**
 * Attribute-based: a SharedBucket, one TenantAccessPoint, and per tenant the same `iam.Role`,
 * tagged with its tenant and added. Compared with `buildLibrary` (one UserAccessPoint per tenant).
 */
export const buildTenants: Build = (stack, tenants) => {
  const shared = new SharedBucket(stack, 'Shared');
  const tenantAccessPoint = shared.addTenantAccessPoint('Tenants', { accessPointName: 'tenants' });
  for (let i = 0; i < tenants; i++) {
    const role = tenantRole(stack, i);
    cdk.Tags.of(role).add('tenant', `tenant-${i}`);
    tenantAccessPoint.addTenant(role);
  }
};
