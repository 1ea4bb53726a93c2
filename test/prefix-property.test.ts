import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as fc from 'fast-check';
import { UserAccessPoint } from '../src';

/*
 * Property: whatever name and prefix a user passes, a UserAccessPoint either refuses them with an
 * error naming the construct and the prop, or writes policies in which no user-supplied character
 * acts as a wildcard (docs/aws-rules.md section 9: `*` and `?` in ARNs and StringLike widen a grant).
 */

const ENV = { account: '123456789012', region: 'us-east-1' };
const PATH = 'Stack/Uap';

// Names: mostly valid characters, some invalid ones, 0-60 characters (valid: 3-50).
const nameChar = fc.oneof(
  { weight: 60, arbitrary: fc.constantFrom(...'abcdxyz0189-') },
  { weight: 1, arbitrary: fc.constantFrom('A', 'Z', '_', '.', ' ', '*', '?', 'é') },
);
const nameArb = fc.option(
  fc.oneof(
    fc.string({ unit: nameChar, minLength: 0, maxLength: 60, size: 'max' }),
    fc.constantFrom('abc', 'a'.repeat(50), 'a'.repeat(51), 'my-s3alias', 'my-ext-s3alias', '-ab', 'ab-'),
  ),
  { nil: undefined, freq: 4 },
);

// Prefixes: letters, "/", wildcards, policy-variable characters and non-ASCII, 0-1100 characters.
const prefixChar = fc.oneof(
  { weight: 30, arbitrary: fc.constantFrom(...'abcXYZ019-_.') },
  { weight: 4, arbitrary: fc.constant('/') },
  { weight: 2, arbitrary: fc.constantFrom('é', '日', '😀', ' ') },
  { weight: 1, arbitrary: fc.constantFrom('$', '{', '}') },
  { weight: 1, arbitrary: fc.constantFrom('*', '?') },
);
const safeChar = fc.constantFrom(...'abcXYZ019-_./', 'é', '日', '}');
const prefixArb = fc.oneof(
  { weight: 2, arbitrary: fc.string({ unit: prefixChar, minLength: 0, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: prefixChar, minLength: 0, maxLength: 1100, size: 'max' }) },
  // Long prefixes without wildcards, around the 1,024-byte limit.
  { weight: 1, arbitrary: fc.string({ unit: safeChar, minLength: 330, maxLength: 1100, size: 'max' }) },
  { weight: 1, arbitrary: fc.constantFrom('', '/', '*', 'bob', 'bob/', 'bob*', 'b?b/', '$', '{', '${', '$/{', '${aws:username}/', '${*}/', 'a/../b/', '..', 'a/..b/', 'a'.repeat(1024), 'a'.repeat(1025)) },
);

/** An independent reading of the rules (docs/aws-rules.md sections 1 and 9, and the library's ".." rule). */
function isValidName(name: string | undefined): boolean {
  if (name === undefined) return true;
  return /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name) && name.length >= 3 && name.length <= 50 && !name.endsWith('-s3alias');
}

/**
 * `undefined` when either outcome is right: a prefix of exactly 1,024 bytes without a trailing "/"
 * is valid as given, but its folder (with the "/") would be longer than any S3 key.
 */
function isValidPrefix(prefix: string): boolean | undefined {
  if (prefix === '' || /[*?]/.test(prefix) || prefix.includes('${') || prefix.startsWith('/') || prefix.split('/').includes('..')) return false;
  const bytes = Buffer.byteLength(prefix, 'utf8');
  if (bytes > 1024) return false;
  return bytes === 1024 && !prefix.endsWith('/') ? undefined : true;
}

/** Resolve the CloudFormation intrinsics of an ARN to a string: enough for the ARNs this library writes. */
function resolveToString(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (v.Ref === 'AWS::Partition') return 'aws';
  if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(resolveToString).join(v['Fn::Join'][0]);
  if (v['Fn::GetAtt']) return `<${v['Fn::GetAtt'].join('.')}>`;
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

interface Checked {
  readonly statement: any;
  readonly resources: string[];
  readonly conditionValues: string[];
}

function checkedStatements(statements: any[]): Checked[] {
  return statements.map(statement => ({
    statement,
    resources: asArray(statement.Resource).map(resolveToString),
    conditionValues: Object.values<Record<string, unknown>>(statement.Condition ?? {})
      .flatMap(block => Object.values(block).flatMap(asArray).map(resolveToString)),
  }));
}

function hasWildcard(s: string): boolean {
  return /[*?]/.test(s);
}

describe('UserAccessPoint', () => {
  describe('prefix and name (property)', () => {
    test('either fails naming the prop, or writes policies where only the construct adds wildcards', () => {
      let synthesized = 0;
      let refused = 0;

      fc.assert(fc.property(nameArb, prefixArb, (accessPointName, prefix) => {
        // GIVEN
        const stack = new Stack(new App(), 'Stack', { env: ENV });
        const bucket = new s3.Bucket(stack, 'Bucket');
        const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
        const validPrefix = isValidPrefix(prefix);
        const expectValid = isValidName(accessPointName) ? validPrefix : false;

        // WHEN
        let uap: UserAccessPoint;
        try {
          uap = new UserAccessPoint(stack, 'Uap', { bucket, identity: role, prefix, accessPointName });
        } catch (e) {
          // THEN (refused)
          expect(e).toBeInstanceOf(Error);
          const message = (e as Error).message;
          expect(message).toContain(`'${PATH}`);
          expect(message).toMatch(/- (prefix|accessPointName): /);
          expect(expectValid).not.toBe(true);
          refused++;
          return;
        }

        // THEN (synthesized)
        expect(expectValid).not.toBe(false);
        const normalized = prefix.endsWith('/') ? prefix : `${prefix}/`;
        expect(uap.prefix).toBe(normalized);

        const template = Template.fromStack(stack);
        const accessPoint = Object.values<any>(template.findResources('AWS::S3::AccessPoint'))[0];
        const rolePolicy = Object.values<any>(template.findResources('AWS::IAM::Policy'))[0];
        expect(rolePolicy.Properties.Roles).toEqual([stack.resolve(role.roleName)]);
        const apArn = resolveToString(stack.resolve(uap.accessPoint.accessPointArn));
        const objectArn = `${apArn}/object/${normalized}*`;

        const all = checkedStatements([...accessPoint.Properties.Policy.Statement, ...rolePolicy.Properties.PolicyDocument.Statement]);
        for (const { statement, resources, conditionValues } of all) {
          for (const resource of resources) {
            if (resource === objectArn) {
              // (a) the "*" after the normalized prefix is the construct's
              expect(hasWildcard(resource.slice(0, -1))).toBe(false);
            } else if (statement.Sid === 'DenyOtherPrincipals' && resource === `${apArn}/object/*`) {
              // (b) the exclusive deny covers every object of the access point
            } else {
              expect(hasWildcard(resource)).toBe(false);
            }
          }
          for (const value of conditionValues) {
            if (value === `${normalized}*`) {
              // (c) the list condition value for "everything below the folder"
              expect(hasWildcard(normalized)).toBe(false);
            } else {
              expect(hasWildcard(value)).toBe(false);
            }
          }
        }

        // The object grants end with the folder: "/<normalized prefix>*".
        const objectResources = all
          .filter(c => c.statement.Effect === 'Allow')
          .flatMap(c => c.resources)
          .filter(r => r.includes('/object/'));
        expect(objectResources).toHaveLength(2); // access point policy and role policy
        for (const resource of objectResources) {
          expect(resource.endsWith(`/${normalized}*`)).toBe(true);
          expect(resource).toBe(objectArn);
        }
        synthesized++;
      }), {
        numRuns: 200,
        // Each run synthesizes a stack: shrinking a 1,000-character prefix would take minutes.
        endOnFailure: true,
        // Always tried, whatever the seed: the edges of the rules.
        examples: [
          [undefined, 'bob'],
          ['bob-ap', 'a'.repeat(1023)],
          [undefined, 'a'.repeat(1024)],
          [undefined, `${'a'.repeat(1023)}/`],
          [undefined, 'é'.repeat(512)],
          ['bob-ap', 'a'.repeat(1025)],
          ['bob-ap', '$/{}/'],
          ['bob-ap', '${aws:username}/'],
        ],
      });

      // Both outcomes were exercised, so the property did not hold vacuously.
      expect(synthesized).toBeGreaterThan(20);
      expect(refused).toBeGreaterThan(20);
    });
  });
});
