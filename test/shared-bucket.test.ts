import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildWorld, evaluateServiceRequest, ServiceRequest } from './access-model';
import { Access, AccessPointDelegation, SharedBucket, SharedBucketEncryption, SharedBucketProps } from '../src';

const ACCOUNT = '123456789012';
const EXISTING_BUCKET_ARN = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::existing-bucket']] };
const EXISTING_BUCKET_RESOURCES = [EXISTING_BUCKET_ARN, { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::existing-bucket/*']] }];

function synth(props?: SharedBucketProps, configure?: (stack: Stack) => SharedBucketProps) {
  const stack = new Stack(new App(), 'Stack', { env: { account: ACCOUNT, region: 'us-east-1' } });
  const shared = new SharedBucket(stack, 'Shared', configure ? configure(stack) : props);
  return { stack, shared, template: Template.fromStack(stack) };
}

function bucketPolicyStatements(template: Template): any[] {
  const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
  expect(policies).toHaveLength(1);
  return (policies[0] as any).Properties.PolicyDocument.Statement;
}

function expectBucketPolicyStatement(template: Template, statement: object) {
  template.hasResourceProperties('AWS::S3::BucketPolicy', { PolicyDocument: { Statement: Match.arrayWith([statement]) } });
}

describe('SharedBucket', () => {
  describe('defaults', () => {
    test('creates a bucket with every public access block, ACLs disabled, S3-managed encryption and versioning', () => {
      const { template } = synth();
      template.resourceCountIs('AWS::S3::Bucket', 1);
      template.hasResourceProperties('AWS::S3::Bucket', {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        VersioningConfiguration: { Status: 'Enabled' },
      });
    });

    test('keeps the logical ID of the bucket and retains it on stack deletion', () => {
      // Changing this ID or the policy would replace or delete users' data on upgrade.
      const { template } = synth();
      template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      expect(Object.keys(template.findResources('AWS::S3::Bucket'))).toEqual(['SharedBucketE0A46A06']);
    });

    test('denies requests that are not made over TLS', () => {
      const { template } = synth();
      expect(bucketPolicyStatements(template)).toContainEqual({
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:*',
        Resource: [{ 'Fn::GetAtt': ['SharedBucketE0A46A06', 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['SharedBucketE0A46A06', 'Arn'] }, '/*']] }],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
    });

    test('delegates the bucket to access points of its own account', () => {
      const { template } = synth();
      expectBucketPolicyStatement(template, Match.objectEquals({
        Sid: 'DelegateToAccessPoints',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: '*',
        Resource: [{ 'Fn::GetAtt': ['SharedBucketE0A46A06', 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['SharedBucketE0A46A06', 'Arn'] }, '/*']] }],
        Condition: { StringEquals: { 's3:DataAccessPointAccount': ACCOUNT } },
      }));
    });

    test('does not deny direct access unless asked', () => {
      const { template } = synth();
      expect(bucketPolicyStatements(template).map(s => s.Sid)).toEqual(['DenyInsecureTransport', 'DelegateToAccessPoints']);
    });

    test('matches the snapshot', () => {
      expect(synth().template.toJSON()).toMatchSnapshot();
    });
  });

  describe('encryption', () => {
    test('creates a KMS key with bucket keys for SharedBucketEncryption.KMS', () => {
      const { template, shared } = synth({ encryption: SharedBucketEncryption.KMS });
      template.resourceCountIs('AWS::KMS::Key', 1);
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() },
          }],
        },
      });
      expect(shared.encryptionKey).toBeDefined();
    });

    test('lets only AWS services create grants on a key it creates (CT.KMS.PR.3)', () => {
      synth({ encryption: SharedBucketEncryption.KMS }).template.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([{
            Sid: 'DenyGrantsExceptForAwsServices',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'kms:CreateGrant',
            Resource: '*',
            Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
          }]),
        },
      });
    });

    test('leaves the policy of a given key alone', () => {
      const { template } = synth(undefined, stack => ({ encryptionKey: new kms.Key(stack, 'MyKey') }));
      expect(JSON.stringify(template.findResources('AWS::KMS::Key'))).not.toContain('DenyGrantsExceptForAwsServices');
    });

    test('uses a given key, which implies KMS', () => {
      const { template, shared } = synth(undefined, stack => ({ encryptionKey: new kms.Key(stack, 'MyKey') }));
      template.resourceCountIs('AWS::KMS::Key', 1);
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MyKey'), 'Arn'] } },
          }],
        },
      });
      expect(shared.encryptionKey!.node.id).toBe('MyKey');
    });

    test('fails if a key is combined with S3-managed encryption', () => {
      expect(() => synth(undefined, stack => ({ encryption: SharedBucketEncryption.S3_MANAGED, encryptionKey: new kms.Key(stack, 'K') })))
        .toThrow(/SharedBucket at 'Stack\/Shared' has invalid props:\n {2}- encryptionKey: a KMS key needs encryption SharedBucketEncryption.KMS/);
    });
  });

  describe('bucket options', () => {
    test('can turn versioning off', () => {
      synth({ versioned: false }).template.hasResourceProperties('AWS::S3::Bucket', { VersioningConfiguration: Match.absent() });
    });

    test('passes the bucket name through', () => {
      synth({ bucketName: 'access-point-test' }).template.hasResourceProperties('AWS::S3::Bucket', { BucketName: 'access-point-test' });
    });

    test('honours an explicit removal policy', () => {
      synth({ removalPolicy: RemovalPolicy.DESTROY }).template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    });

    test('delivers server access logs to the given bucket', () => {
      const { template } = synth(undefined, stack => ({
        serverAccessLogsBucket: new s3.Bucket(stack, 'Logs'),
        serverAccessLogsPrefix: 'shared/',
      }));
      template.hasResourceProperties('AWS::S3::Bucket', {
        LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('^Logs') }, LogFilePrefix: 'shared/' },
      });
    });

    test('keeps the bucket logical ID when options change', () => {
      const { template } = synth(undefined, stack => ({
        bucketName: 'access-point-test',
        encryption: SharedBucketEncryption.KMS,
        versioned: false,
        denyDirectAccess: true,
        delegation: AccessPointDelegation.accessPoints('tenant-*'),
        serverAccessLogsBucket: new s3.Bucket(stack, 'Logs'),
      }));
      expect(Object.keys(template.findResources('AWS::S3::Bucket', { Properties: { BucketName: 'access-point-test' } }))).toEqual(['SharedBucketE0A46A06']);
    });

    test('fails with every invalid bucket name problem at once', () => {
      expect(() => synth({ bucketName: 'Bad_Name-' })).toThrow(
        /bucketName: "Bad_Name-" may contain only lowercase letters, digits, "." and "-"\n {2}- bucketName: "Bad_Name-" must start and end with a lowercase letter or digit/,
      );
    });

    test('fails if the bucket name is too short or reserved', () => {
      expect(() => synth({ bucketName: 'ab' })).toThrow(/bucketName: "ab" must be 3-63 characters long \(it has 2\)/);
      expect(() => synth({ bucketName: 'my-s3alias' })).toThrow(/must not end with "-s3alias"/);
      expect(() => synth({ bucketName: '192.168.1.1' })).toThrow(/must not look like an IP address/);
    });

    test('accepts a token as bucket name', () => {
      const { template } = synth(undefined, stack => ({ bucketName: `${stack.stackName.toLowerCase()}-data` }));
      template.hasResourceProperties('AWS::S3::Bucket', { BucketName: 'stack-data' });
    });
  });

  describe('compliance options', () => {
    test('aborts incomplete multipart uploads after 7 days by default, deleting nothing else', () => {
      synth().template.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: { Rules: [{ Id: 'AbortIncompleteMultipartUploads', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }] },
      });
    });

    test('takes lifecycle rules, e.g. expiring noncurrent versions', () => {
      synth({ lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(90) }] }).template.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: { Rules: [{ Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 90 } }] },
      });
    });

    test('sends events to EventBridge by default, through the bucket itself rather than a custom resource', () => {
      const { template } = synth();
      template.hasResourceProperties('AWS::S3::Bucket', { NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } } });
      template.resourceCountIs('Custom::S3BucketNotifications', 0);
      template.resourceCountIs('AWS::Lambda::Function', 0);
    });

    test('can turn EventBridge off', () => {
      synth({ eventBridgeEnabled: false }).template.hasResourceProperties('AWS::S3::Bucket', { NotificationConfiguration: Match.absent() });
    });

    test('creates a log bucket for serverAccessLogs: true, accepting deliveries from this bucket only', () => {
      const { template } = synth({ serverAccessLogs: true, serverAccessLogsPrefix: 'shared/' });
      template.resourceCountIs('AWS::S3::Bucket', 2);
      template.hasResourceProperties('AWS::S3::Bucket', {
        LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('^SharedAccessLogs') }, LogFilePrefix: 'shared/' },
      });
      template.hasResource('AWS::S3::Bucket', {
        DeletionPolicy: 'Retain',
        Properties: {
          BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
          PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicPolicy: true, RestrictPublicBuckets: true }),
          LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Id: 'ExpireAccessLogs', ExpirationInDays: 365 })]) },
          AccessControl: Match.absent(),
        },
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: Match.stringLikeRegexp('^SharedAccessLogs') },
        PolicyDocument: {
          Statement: [
            Match.objectLike({ Sid: 'DenyInsecureTransport' }),
            Match.objectLike({
              Sid: 'AllowServerAccessLogDelivery',
              Principal: { Service: 'logging.s3.amazonaws.com' },
              Action: 's3:PutObject',
              Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': ['SharedBucketE0A46A06', 'Arn'] } }, StringEquals: { 'aws:SourceAccount': ACCOUNT } },
            }),
          ],
        },
      });
    });

    test('without serverAccessLogsPrefix, lets log delivery write anywhere in the log bucket, and only there', () => {
      const { template } = synth({ serverAccessLogs: true });
      const logBucket = Object.keys(template.findResources('AWS::S3::Bucket')).find(id => id.startsWith('SharedAccessLogs'))!;
      template.hasResourceProperties('AWS::S3::Bucket', {
        LoggingConfiguration: { DestinationBucketName: { Ref: logBucket }, LogFilePrefix: Match.absent() },
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logBucket },
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectEquals({
            Sid: 'AllowServerAccessLogDelivery',
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logBucket, 'Arn'] }, '/*']] },
            Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': ['SharedBucketE0A46A06', 'Arn'] } }, StringEquals: { 'aws:SourceAccount': ACCOUNT } },
          })]),
        },
      });
    });

    describe('log delivery, evaluated with the access model', () => {
      const OTHER_ACCOUNT = '999999999999';

      /** The world of a SharedBucket with a created log bucket, and a log delivery request to it. */
      function logDelivery(props: SharedBucketProps) {
        const { template } = synth({ serverAccessLogs: true, ...props });
        const world = buildWorld(template.toJSON(), { account: ACCOUNT });
        const nameOf = (prefix: string) => [...world.buckets.values()].find(b => b.logicalId?.startsWith(prefix))!;
        const source = nameOf('SharedBucket');
        const logs = nameOf('SharedAccessLogs');
        const deliver = (request: Partial<ServiceRequest> & { key: string }) => evaluateServiceRequest(world, {
          service: 'logging.s3.amazonaws.com', action: 's3:PutObject', bucket: logs.name, sourceArn: source.arn, sourceAccount: ACCOUNT, ...request,
        });
        return { deliver, source };
      }

      test.each([
        // [what, request, expected], written from S3's log delivery rules: the logging service writes
        // objects for this source bucket (aws:SourceArn) of this account (aws:SourceAccount), over TLS.
        ['a log object at the root of the log bucket', 'Allowed', { key: '2026-12-03-23-00-00-ABCDEF' }],
        ['a log object under any folder', 'Allowed', { key: 'any/folder/2026-12-03-23-00-00-ABCDEF' }],
        ['a log object for another bucket of the account', 'ImplicitlyDenied', { key: 'x', sourceArn: 'arn:aws:s3:::someone-elses-bucket' }],
        ['a log object for a bucket of another account', 'ImplicitlyDenied', { key: 'x', sourceAccount: OTHER_ACCOUNT }],
        ['a log object without a source', 'ImplicitlyDenied', { key: 'x', sourceArn: undefined, sourceAccount: undefined }],
        ['a delete', 'ImplicitlyDenied', { key: 'x', action: 's3:DeleteObject' }],
        ['a write by another service', 'ImplicitlyDenied', { key: 'x', service: 'delivery.logs.amazonaws.com' }],
        ['a write without TLS', 'ExplicitlyDenied', { key: 'x', secureTransport: false }],
      ] as const)('without a prefix: %s is %s', async (_, expected, request) => {
        await expect(logDelivery({}).deliver(request)).resolves.toBe(expected);
      });

      test.each([
        ['a log object under the prefix', 'shared/2026-12-03-23-00-00-ABCDEF', 'Allowed'],
        ['a log object outside the prefix', 'other/2026-12-03-23-00-00-ABCDEF', 'ImplicitlyDenied'],
        ['a log object beside the prefix folder', 'sharedx/2026', 'ImplicitlyDenied'],
      ] as const)('with serverAccessLogsPrefix "shared/": %s is %s', async (_, key, expected) => {
        await expect(logDelivery({ serverAccessLogsPrefix: 'shared/' }).deliver({ key })).resolves.toBe(expected);
      });
    });

    test('warns that an imported log bucket must allow delivery itself', () => {
      const { stack, template } = synth(undefined, s => ({ serverAccessLogsBucket: s3.Bucket.fromBucketName(s, 'Archive', 'org-log-archive') }));
      template.hasResourceProperties('AWS::S3::Bucket', { LoggingConfiguration: { DestinationBucketName: 'org-log-archive' } });
      Annotations.fromStack(stack).hasWarning('/Stack/Shared', Match.stringLikeRegexp('org-log-archive is imported'));
    });

    test('turns on Object Lock with a default retention', () => {
      synth({ objectLockEnabled: true, objectLockDefaultRetention: s3.ObjectLockRetention.governance(Duration.days(30)) }).template.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockEnabled: true,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 30 } } },
      });
    });

    test('renders objectLockEnabled: false like the default, so setting it cannot replace the bucket', () => {
      synth({ objectLockEnabled: false }).template.hasResourceProperties('AWS::S3::Bucket', { ObjectLockEnabled: Match.absent() });
    });

    test('fails with every inconsistent compliance option', () => {
      expect(() => synth(undefined, s => ({
        serverAccessLogs: false,
        serverAccessLogsBucket: new s3.Bucket(s, 'Logs'),
        versioned: false,
        objectLockEnabled: true,
      }))).toThrow(/serverAccessLogsBucket: given, but serverAccessLogs is false\n {2}- versioned: Object Lock needs versioning/);
      expect(() => synth({ objectLockDefaultRetention: s3.ObjectLockRetention.governance(Duration.days(1)) }))
        .toThrow(/objectLockDefaultRetention: only applies with objectLockEnabled: true/);
    });
  });

  describe('delegation', () => {
    test('AccessPointDelegation.accessPoints narrows the delegation to one name pattern', () => {
      const { template } = synth({ delegation: AccessPointDelegation.accessPoints('tenant-*') });
      expectBucketPolicyStatement(template, Match.objectLike({
        Sid: 'DelegateToAccessPoints',
        Condition: {
          StringEquals: { 's3:DataAccessPointAccount': ACCOUNT },
          StringLike: { 's3:DataAccessPointArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:us-east-1:${ACCOUNT}:accesspoint/tenant-*`]] } },
        },
      }));
    });

    test('fails if an access point it adds is not named to match the delegation pattern', () => {
      expect(() => synth(undefined, stack => {
        const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
        const shared = new SharedBucket(stack, 'Other', { delegation: AccessPointDelegation.accessPoints('tenant-?') });
        shared.addUserAccessPoint('Ok', { identity: role, prefix: 'a/', accessPointName: 'tenant-a' });
        shared.addUserAccessPoint('Bad', { identity: role, prefix: 'b/', accessPointName: 'tenant-bb' });
        return {};
      })).toThrow(/SharedBucket at 'Stack\/Other': the access point Stack\/Other\/Bad\/AccessPoint is named "tenant-bb", which the delegation .* does not trust/);
    });

    test('AccessPointDelegation.accounts trusts other accounts\' access points with one access level only (READ by default)', () => {
      const { template } = synth({ delegation: AccessPointDelegation.accounts(['111122223333', ACCOUNT]) });
      const statements = bucketPolicyStatements(template);
      expect(statements.map(s => s.Sid)).toEqual(['DenyInsecureTransport', 'DelegateToAccessPoints', 'DelegateToPartnerAccessPoints', 'DenyPartnerAccessPointsBeyondAccess']);
      // the bucket's own account keeps full delegation: its access point policies are written here
      expect(statements[1]).toMatchObject({ Action: '*', Condition: { StringEquals: { 's3:DataAccessPointAccount': ACCOUNT } } });
      const partner = { StringEquals: { 's3:DataAccessPointAccount': '111122223333' } };
      expect(statements[2]).toEqual({
        Sid: 'DelegateToPartnerAccessPoints',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket', 's3:ListBucketVersions'],
        Resource: expect.any(Array),
        Condition: partner,
      });
      expect(statements[3]).toEqual({
        Sid: 'DenyPartnerAccessPointsBeyondAccess',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        NotAction: ['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket', 's3:ListBucketVersions'],
        Resource: expect.any(Array),
        Condition: partner,
      });
    });

    test('AccessPointDelegation.accounts takes the access level explicitly; none reaches version deletion or retention', () => {
      const { template } = synth({ delegation: AccessPointDelegation.accounts(['111122223333'], { access: Access.READ_WRITE_DELETE }) });
      const partner = bucketPolicyStatements(template).find(s => s.Sid === 'DelegateToPartnerAccessPoints');
      expect(partner.Action).toEqual([
        's3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:GetObjectVersion', 's3:ListBucket', 's3:ListBucketVersions', 's3:ListMultipartUploadParts', 's3:PutObject',
      ]);
      // what they must never reach is proven by evaluation in test/attacker-matrix.test.ts
      expect(partner.Action.filter((a: string) => /DeleteObjectVersion|Retention|LegalHold|\*/.test(a))).toEqual([]);
    });

    test('fails if an account is not a 12-digit ID', () => {
      expect(() => synth({ delegation: AccessPointDelegation.accounts(['12345']) })).toThrow(/delegation: "12345" is not a 12-digit AWS account ID/);
    });

    test('fails if the name pattern is only a wildcard or has invalid characters', () => {
      expect(() => synth({ delegation: AccessPointDelegation.accessPoints('*') })).toThrow(/delegation: access point name pattern "\*"/);
      expect(() => synth({ delegation: AccessPointDelegation.accessPoints('Tenant_*') })).toThrow(/delegation: access point name pattern "Tenant_\*"/);
    });
  });

  describe('denyDirectAccess', () => {
    test('denies data actions that do not come through an access point, never policy management', () => {
      const { template } = synth({ denyDirectAccess: true });
      const deny = bucketPolicyStatements(template).find(s => s.Sid === 'DenyDirectAccess');
      expect(deny).toEqual({
        Sid: 'DenyDirectAccess',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: [
          's3:AbortMultipartUpload', 's3:BypassGovernanceRetention', 's3:DeleteObject*', 's3:GetObject*', 's3:ListBucket*', 's3:ListMultipartUploadParts',
          's3:ListObjectAnnotations', 's3:ListObjectVersionAnnotations', 's3:ObjectOwnerOverrideToBucketOwner', 's3:PutObject*', 's3:Replicate*',
          's3:RestoreObject', 's3:UpdateObjectEncryption',
        ],
        Resource: expect.any(Array),
        // negated operators match when the key is absent: direct requests and other accounts' access points
        Condition: { StringNotEquals: { 's3:DataAccessPointAccount': ACCOUNT } },
      });
      expect(JSON.stringify(deny.Action)).not.toMatch(/BucketPolicy|s3:\*"/);
    });

    test('exempts the direct access principals by aws:PrincipalArn', () => {
      const { template } = synth(undefined, stack => ({
        denyDirectAccess: true,
        directAccessPrincipals: [
          new iam.Role(stack, 'Admin', { assumedBy: new iam.AccountRootPrincipal() }),
          new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/replication`),
        ],
      }));
      expectBucketPolicyStatement(template, Match.objectLike({
        Sid: 'DenyDirectAccess',
        Condition: {
          StringNotEquals: { 's3:DataAccessPointAccount': ACCOUNT },
          ArnNotLike: { 'aws:PrincipalArn': [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Admin'), 'Arn'] }, `arn:aws:iam::${ACCOUNT}:role/replication`] },
        },
      }));
    });

    test('with a name pattern, also denies requests through access points the pattern does not trust', () => {
      const { template } = synth({ denyDirectAccess: true, delegation: AccessPointDelegation.accessPoints('tenant-*') });
      expectBucketPolicyStatement(template, Match.objectLike({
        Sid: 'DenyDirectAccess',
        Effect: 'Deny',
        Condition: {
          StringNotLike: { 's3:DataAccessPointArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:us-east-1:${ACCOUNT}:accesspoint/tenant-*`]] } },
        },
      }));
    });

    test('with other accounts, also denies requests through access points of accounts it does not trust', () => {
      const { template } = synth({ denyDirectAccess: true, delegation: AccessPointDelegation.accounts(['111122223333']) });
      expectBucketPolicyStatement(template, Match.objectLike({
        Sid: 'DenyDirectAccess',
        Condition: { StringNotEquals: { 's3:DataAccessPointAccount': [ACCOUNT, '111122223333'] } },
      }));
    });

    test('warns that custom resources and replication call the bucket directly', () => {
      const { stack } = synth({ denyDirectAccess: true });
      Annotations.fromStack(stack).hasWarning('/Stack/Shared', Match.stringLikeRegexp('autoDeleteObjects, BucketDeployment, replication'));
    });

    test('fails if direct access principals are given without denyDirectAccess', () => {
      expect(() => synth({ directAccessPrincipals: [new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/admin`)] }))
        .toThrow(/directAccessPrincipals: only has an effect with denyDirectAccess: true/);
    });

    test('fails if a direct access principal has no ARN', () => {
      expect(() => synth({ denyDirectAccess: true, directAccessPrincipals: [new iam.ServicePrincipal('lambda.amazonaws.com')] }))
        .toThrow(/directAccessPrincipals\[0\]: cannot tell the ARN of/);
    });
  });

  describe('adopted bucket', () => {
    test('writes a bucket policy for the existing bucket and warns that it replaces the old one', () => {
      const { template, stack, shared } = synth(undefined, s => ({ bucket: s3.Bucket.fromBucketName(s, 'Existing', 'existing-bucket') }));
      template.resourceCountIs('AWS::S3::Bucket', 0);
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: 'existing-bucket',
        PolicyDocument: {
          Statement: [
            Match.objectLike({ Sid: 'DenyInsecureTransport', Resource: EXISTING_BUCKET_RESOURCES }),
            Match.objectLike({ Sid: 'DelegateToAccessPoints', Resource: EXISTING_BUCKET_RESOURCES }),
          ],
        },
      });
      Annotations.fromStack(stack).hasWarning('/Stack/Shared', Match.stringLikeRegexp('replaces any policy the bucket already has'));
      expect(shared.bucket.bucketName).toBe('existing-bucket');
    });

    test('uses the adopted bucket key', () => {
      const { shared } = synth(undefined, s => ({
        bucket: s3.Bucket.fromBucketAttributes(s, 'Existing', {
          bucketName: 'existing-bucket',
          encryptionKey: kms.Key.fromKeyArn(s, 'Key', `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`),
        }),
      }));
      expect(shared.encryptionKey?.keyArn).toBe(`arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`);
    });

    test('fails with every prop that only configures a new bucket', () => {
      expect(() => synth(undefined, s => ({ bucket: s3.Bucket.fromBucketName(s, 'E', 'existing-bucket'), bucketName: 'other', versioned: true })))
        .toThrow(/- bucketName: configures a new bucket and cannot be combined with bucket[^]*- versioned: configures a new bucket/);
    });
  });

  test('a fully configured bucket matches the snapshot', () => {
    const { template } = synth(undefined, stack => ({
      bucketName: 'access-point-test',
      encryption: SharedBucketEncryption.KMS,
      serverAccessLogsBucket: new s3.Bucket(stack, 'Logs'),
      serverAccessLogsPrefix: 'shared/',
      delegation: AccessPointDelegation.accessPoints('tenant-*'),
      denyDirectAccess: true,
      directAccessPrincipals: [new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/admin`)],
    }));
    expect(template.toJSON()).toMatchSnapshot();
  });
});
