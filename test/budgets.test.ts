import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AccessPoint, Access, IdentityPolicy, SharedBucket } from '../src';
import { policyLength } from '../src/budgets';

const ENV = { account: '123456789012', region: 'us-east-1' };

function given() {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: ENV });
  const shared = new SharedBucket(stack, 'Shared');
  return { app, stack, shared };
}

/** Give `identity` one UserAccessPoint per folder. */
function addFolders(shared: SharedBucket, identity: iam.IIdentity, count: number, identityPolicy?: IdentityPolicy) {
  for (let i = 0; i < count; i++) {
    shared.addUserAccessPoint(`${identity.node.id}${i}`, { identity, prefix: `folder-${i}/`, access: Access.READ_WRITE, consoleAccess: true, identityPolicy });
  }
}

describe('budgets', () => {
  describe('policyLength', () => {
    test('is at least the length of the deployed policy', () => {
      // GIVEN Bob's inline policy with tokens for partition, region, account and the key ARN
      const { stack, shared } = given();
      const bob = new iam.User(stack, 'Bob', { userName: 'Bob' });
      addFolders(shared, bob, 1);
      const document = (bob.node.findChild('DefaultPolicy') as iam.Policy).document;
      // WHEN the same document is rendered with real values
      const rendered = JSON.stringify(stack.resolve(document.toJSON()), (_key, value) => {
        if (value?.Ref === 'AWS::Partition') return 'aws';
        if (value?.['Fn::Join']) return value['Fn::Join'][1].map((p: any) => (p?.Ref === 'AWS::Partition' ? 'aws' : p)).join(value['Fn::Join'][0]);
        return value;
      });
      // THEN the estimate is not smaller, and not wildly larger
      expect(rendered).not.toMatch(/Fn::|"Ref"/);
      expect(policyLength(stack, document.toJSON())).toBeGreaterThanOrEqual(rendered.length);
      expect(policyLength(stack, document.toJSON())).toBeLessThan(rendered.length * 1.2);
    });
  });

  describe('identity policies', () => {
    test("fails if a user's inline policies exceed 2,048 characters, naming the user and the fix", () => {
      const { app, stack, shared } = given();
      addFolders(shared, new iam.User(stack, 'Bob', { userName: 'Bob' }), 3);
      expect(() => app.synth()).toThrow(
        /the inline policies of the IAM user Stack\/Bob are about [\d,]+ characters together, over the 2,048 AWS allows for a user: set identityPolicy: IdentityPolicy.MANAGED/,
      );
    });

    test('accepts a user with one access point', () => {
      const { app, stack, shared } = given();
      addFolders(shared, new iam.User(stack, 'Bob', { userName: 'Bob' }), 1);
      expect(() => app.synth()).not.toThrow();
    });

    test('puts the grants in one managed policy per access point with IdentityPolicy.MANAGED', () => {
      const { app, stack, shared } = given();
      addFolders(shared, new iam.User(stack, 'Bob', { userName: 'Bob' }), 3, IdentityPolicy.MANAGED);
      expect(() => app.synth()).not.toThrow();
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::IAM::ManagedPolicy', 3);
      template.resourceCountIs('AWS::IAM::Policy', 0);
      template.hasResourceProperties('AWS::IAM::ManagedPolicy', { Users: [{ Ref: 'Bob4B8519C4' }] });
      template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({
            Action: ['s3:ListBucket', 's3:ListBucketVersions'], // a reading level lists versions too
            Condition: { StringLike: { 's3:prefix': ['folder-0/', 'folder-0/*'] } },
          })]),
        },
      });
    });

    test('attaches the managed policy to imported users and groups too', () => {
      const { app, stack, shared } = given();
      shared.addUserAccessPoint('Bob', { identity: iam.User.fromUserName(stack, 'Bob', 'Bob'), identityPolicy: IdentityPolicy.MANAGED });
      shared.addUserAccessPoint('Team', {
        identity: iam.Group.fromGroupArn(stack, 'Team', 'arn:aws:iam::123456789012:group/team'), prefix: 'team/', identityPolicy: IdentityPolicy.MANAGED,
      });
      expect(() => app.synth()).not.toThrow();
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::IAM::ManagedPolicy', { Users: ['Bob'] });
      template.hasResourceProperties('AWS::IAM::ManagedPolicy', { Groups: ['team'] });
    });

    test("fails if a group's inline policies exceed 5,120 characters", () => {
      const { app, stack, shared } = given();
      addFolders(shared, new iam.Group(stack, 'Team'), 8);
      expect(() => app.synth()).toThrow(/the inline policies of the IAM group Stack\/Team are about [\d,]+ characters together, over the 5,120 AWS allows for a group/);
    });

    test("leaves a role's overflow to aws-cdk-lib, which moves it into managed policies", () => {
      // aws-cdk-lib splits a role's default policy when it outgrows 10,240 characters; users and
      // groups get no such help, hence the checks above.
      const { app, stack, shared } = given();
      addFolders(shared, new iam.Role(stack, 'App', { assumedBy: new iam.AccountRootPrincipal() }), 30);
      expect(() => app.synth()).not.toThrow();
      const template = Template.fromStack(stack);
      expect(Object.keys(template.findResources('AWS::IAM::ManagedPolicy')).length).toBeGreaterThan(0);
      for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
        expect(policyLength(stack, policy.Properties.PolicyDocument)).toBeLessThanOrEqual(10_240);
      }
    });

    test('fails if one managed policy exceeds 6,144 characters', () => {
      const { app, stack, shared } = given();
      const role = new iam.Role(stack, 'App', { assumedBy: new iam.AccountRootPrincipal() });
      const access = shared.addUserAccessPoint('App', { identity: role, prefix: 'app/', identityPolicy: IdentityPolicy.MANAGED });
      const policy = access.node.findChild('IdentityPolicy') as iam.ManagedPolicy;
      for (let i = 0; i < 40; i++) policy.addStatements(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [access.accessPoint.arnForObjects(`extra-${i}/*`)] }));
      expect(() => app.synth()).toThrow(/the managed policy Stack\/Shared\/App\/IdentityPolicy\/Resource is about [\d,]+ characters, over the 6,144 AWS allows/);
    });
  });

  describe('resource policies', () => {
    test('fails if an access point policy exceeds 20 KB', () => {
      const { app, stack, shared } = given();
      const accessPoint = new AccessPoint(stack, 'Partners', { bucket: shared.bucket, accessPointName: 'partners' });
      for (let i = 0; i < 60; i++) {
        accessPoint.grantReadWrite(new iam.ArnPrincipal(`arn:aws:iam::${String(100000000000 + i)}:role/partner-reader`), `partner-${i}/`);
      }
      expect(() => app.synth()).toThrow(/the access point policy of partners is about [\d,]+ characters, over the 20,480 AWS allows: give the identities with the most statements access points of their own/);
    });

    test('fails if the bucket policy exceeds 20 KB', () => {
      const { app, shared } = given();
      for (let i = 0; i < 100; i++) {
        shared.bucket.addToResourcePolicy(new iam.PolicyStatement({
          principals: [new iam.ArnPrincipal(`arn:aws:iam::${String(100000000000 + i)}:root`)],
          actions: ['s3:GetObject'],
          resources: [shared.bucket.arnForObjects(`partner-${i}/*`)],
        }));
      }
      expect(() => app.synth()).toThrow(/the bucket policy is about [\d,]+ characters, over the 20,480 AWS allows/);
    });
  });

  describe('stack resources', () => {
    test("honours aws-cdk-lib's @aws-cdk/core:stackResourceLimit context (0 turns the check off)", () => {
      const app = new App({ context: { '@aws-cdk/core:stackResourceLimit': 0 } });
      const stack = new Stack(app, 'Stack', { env: ENV });
      const shared = new SharedBucket(stack, 'Shared');
      for (let i = 0; i < 170; i++) {
        shared.addUserAccessPoint(`Tenant${i}`, { identity: new iam.Role(stack, `Role${i}`, { assumedBy: new iam.AccountRootPrincipal() }), prefix: `tenant-${i}/` });
      }
      expect(() => app.synth()).not.toThrow();
    });

    test('fails if a stack has more than 500 resources, suggesting sharding', () => {
      const { app, stack, shared } = given();
      for (let i = 0; i < 170; i++) {
        shared.addUserAccessPoint(`Tenant${i}`, { identity: new iam.Role(stack, `Role${i}`, { assumedBy: new iam.AccountRootPrincipal() }), prefix: `tenant-${i}/` });
      }
      expect(() => app.synth()).toThrow(/the stack has 512 resources, over the 500 CloudFormation allows: shard it, putting UserAccessPoints in other stacks/);
    });
  });
});
