/**
 * AWS Control Tower proactive controls (the cfn-guard rules AWS publishes) over the example app:
 * the defaults fail exactly the documented controls; the strict variant fails none, and its access
 * model (SSE-KMS included) still holds.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildWorld, PolicyDocument } from './access-model';
import { buildScenario, buildStrictScenario, ScenarioStack } from '../examples/scenario';
import { checkMatrix, describeFailures, ExpectedCell } from './access-model/matrix';
import { checkControlTower, ControlTowerReport } from './compliance/control-tower';

function report(build: (app: App) => ScenarioStack): { stack: ScenarioStack; template: any; controls: ControlTowerReport } {
  const stack = build(new App());
  const template = Template.fromStack(stack).toJSON();
  return { stack, template, controls: checkControlTower(template) };
}

const defaults = report(buildScenario);
const strict = report(buildStrictScenario);

/** The controls about access and exposure, which the defaults must pass (CT.LAMBDA.PR.2 has no resource to check here). */
const ACCESS_AND_EXPOSURE = ['CT.S3.PR.1', 'CT.S3.PR.5', 'CT.S3.PR.8', 'CT.S3.PR.11', 'CT.S3.PR.12', 'CT.LAMBDA.PR.3', 'CT.IAM.PR.1', 'CT.IAM.PR.5'];

describe('Control Tower proactive controls', () => {
  describe('defaults', () => {
    test('fail exactly the documented controls (README, Compliance)', () => {
      expect(Object.fromEntries(defaults.controls.failed)).toEqual({
        // Server access logs need a log bucket in the same account and Region: opt-in.
        'CT.S3.PR.2': ['AliceBucketB160363F'],
        // Object Lock cannot be turned off again: opt-in, decided when the bucket is created.
        'CT.S3.PR.9': ['AliceBucketB160363F'],
        // SSE-KMS costs KMS requests and a key policy to manage: opt-in (with S3 Bucket Keys).
        'CT.S3.PR.10': ['AliceBucketB160363F'],
        // The default scenario grants Bob as a user; the group route passes.
        'CT.IAM.PR.4': ['BobDefaultPolicy8467AE72'],
      });
    });

    test('pass every control about access and exposure', () => {
      for (const control of ACCESS_AND_EXPOSURE) expect([control, defaults.controls.passed.has(control)]).toEqual([control, true]);
      expect(defaults.controls.failed.has('CT.LAMBDA.PR.2')).toBe(false);
    });

    test('pass the lifecycle and notification controls that plain buckets fail', () => {
      for (const control of ['CT.S3.PR.3', 'CT.S3.PR.4', 'CT.S3.PR.6']) expect([control, defaults.controls.passed.has(control)]).toEqual([control, true]);
    });
  });

  describe('strict variant', () => {
    test('fails no control', () => {
      expect(Object.fromEntries(strict.controls.failed)).toEqual({});
      for (const control of ['CT.S3.PR.2', 'CT.S3.PR.9', 'CT.S3.PR.10', 'CT.IAM.PR.4', 'CT.KMS.PR.1', 'CT.KMS.PR.3', ...ACCESS_AND_EXPOSURE]) {
        expect([control, strict.controls.passed.has(control)]).toEqual([control, true]);
      }
    });

    test('keeps the access model, with SSE-KMS', async () => {
      // GIVEN the strict world, an admin with s3:* and kms:* on *, and a user without rights
      const account = strict.stack.account;
      const admin = `arn:aws:iam::${account}:role/Admin`;
      const nobody = `arn:aws:iam::${account}:user/nobody`;
      const adminPolicy: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*', 'kms:*'], Resource: '*' }] };
      const world = buildWorld(strict.template, {
        account, region: strict.stack.region, externalPrincipals: [{ arn: admin, policies: { Admin: adminPolicy } }, { arn: nobody }],
      });
      const bob = `arn:aws:iam::${account}:user/Bob-strict`;
      const reader = [...world.principals.values()].find(p => p.logicalId?.startsWith('AliceBucketAppAccessPointReaderServiceRole'))!.arn;
      const endpoint = [...world.endpoints.values()][0];
      const vpc = { vpc: endpoint.vpcId, endpoint: endpoint.id };
      const bobAccessPoint = strict.stack.bobAccess.accessPoint.accessPointName;
      const appAccessPoint = strict.stack.app.accessPoint.accessPointName;

      // WHEN every principal tries every operation on every folder, by every path and network
      const cells: ExpectedCell[] = [];
      for (const principal of [bob, reader, admin, nobody]) {
        for (const path of [{ accessPoint: bobAccessPoint }, { accessPoint: appAccessPoint }, 'bucket' as const]) {
          for (const network of ['internet' as const, vpc]) {
            for (const folder of ['Bob/', 'app/', '']) {
              for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket']) {
                const list = action === 's3:ListBucket';
                const through = path === 'bucket' ? 'bucket' : path.accessPoint;
                // THEN only Bob (through his group) in Bob/ via his access point from the internet,
                // and the reader in app/ via the VPC access point through the endpoint
                const bobMay = principal === bob && through === bobAccessPoint && network === 'internet' && folder === 'Bob/' && action !== 's3:DeleteObject';
                const readerMay = principal === reader && through === appAccessPoint && network === vpc && folder === 'app/'
                  && (action === 's3:GetObject' || list);
                // Without denyDirectAccess, an admin whose identity policy allows s3:* reaches the
                // bucket directly (docs/aws-rules.md section 2); from the VPC only what the endpoint
                // policy lets through: reading app/. Never through an exclusive access point.
                const adminMay = principal === admin && through === 'bucket'
                  && (network === 'internet' || (folder === 'app/' && (action === 's3:GetObject' || list)));
                cells.push({
                  request: { principal, action, path, network, bucket: 'access-point-test-strict', encrypted: !list, ...(list ? { listPrefix: folder } : { key: `${folder}x.bin` }) },
                  expected: { allowed: bobMay || readerMay || adminMay },
                });
              }
            }
          }
        }
      }
      const matrix = await checkMatrix(world, cells);
      expect(matrix.evaluated).toBe(4 * 3 * 2 * 3 * 4);
      if (matrix.failures.length) throw new Error(describeFailures('strict', matrix));
      expect(matrix.allowed).toBe(5 + 12 + 2);
    });
  });
});
