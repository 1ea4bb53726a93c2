import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SharedBucket, UserAccessPoint } from '../src';

const ENV = { account: '123456789012', region: 'us-east-1' };
const SHARDS = 4;
const PER_SHARD = 250;

function bucketPolicy(stack: Stack) {
  const policies = Template.fromStack(stack).findResources('AWS::S3::BucketPolicy');
  return Object.values(policies).map(p => p.Properties.PolicyDocument);
}

describe('sharding', () => {
  test('a thousand UserAccessPoints in four stacks beside the bucket synthesize, and the bucket policy does not grow', () => {
    // GIVEN the bucket in one stack, and a bucket stack without access points to compare with
    const app = new App();
    const bucketStack = new Stack(app, 'Data', { env: ENV });
    const shared = new SharedBucket(bucketStack, 'Shared', { bucketName: 'tenants-data' });
    const alone = new Stack(new App(), 'Data', { env: ENV });
    new SharedBucket(alone, 'Shared', { bucketName: 'tenants-data' });

    // WHEN four stacks hold 250 tenants each (identities managed elsewhere, imported by ARN)
    const shards = Array.from({ length: SHARDS }, (_, s) => {
      const shard = new Stack(app, `Tenants${s}`, { env: ENV });
      for (let t = 0; t < PER_SHARD; t++) {
        const tenant = `tenant-${s * PER_SHARD + t}`;
        new UserAccessPoint(shard, tenant, {
          bucket: shared.bucket,
          identity: iam.Role.fromRoleArn(shard, `${tenant}-role`, `arn:aws:iam::${ENV.account}:role/${tenant}`),
          prefix: `${tenant}/`,
          accessPointName: tenant,
        });
      }
      return shard;
    });
    const assembly = app.synth();

    // THEN every shard stays within CloudFormation's 500 resources and imports only the bucket name
    for (const shard of shards) {
      const template = assembly.getStackByName(shard.stackName).template;
      const resources = Object.values<any>(template.Resources);
      expect(resources.length).toBeLessThanOrEqual(500);
      expect(resources.filter(r => r.Type === 'AWS::S3::AccessPoint')).toHaveLength(PER_SHARD);
      const imports = new Set(JSON.stringify(template).match(/"Fn::ImportValue":"[^"]+"/g));
      expect([...imports]).toEqual([expect.stringMatching(/^"Fn::ImportValue":"Data:ExportsOutputRefSharedBucket/)]);
      expect(shard.dependencies).toEqual([bucketStack]);
    }
    // AND each import has its export in the bucket stack
    const outputs = assembly.getStackByName('Data').template.Outputs;
    expect(Object.values<any>(outputs).map(o => o.Export.Name)).toEqual([expect.stringMatching(/^Data:ExportsOutputRefSharedBucket/)]);
    // AND the bucket policy is the same as with no access point at all
    expect(bucketPolicy(bucketStack)).toEqual(bucketPolicy(alone));
  });
});
