/**
 * The S3 console through a UserAccessPoint, proven with the access model (test/access-model).
 *
 * The console opens an access point by listing its top level: ListObjects with an empty prefix and
 * delimiter `/`; inside a folder it lists `FOLDER/` with delimiter `/`; "Show versions" lists
 * versions (ListObjectVersions, `s3:ListBucketVersions`) the same way; downloads are GetObject /
 * GetObjectVersion (docs/aws-rules.md section 2; the console's root listing as AWS describes it:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/walkthrough1.html).
 *
 * The expected table is written from the user's intent (issue 11), never read from the policies:
 *  - by default (`consoleAccess: true`) nothing outside the folder is listed: the user opens the
 *    access point with `consoleUrl`, which starts in the folder;
 *  - with `consoleRootListing: true` the one top-level request the console makes (ListBucket, empty
 *    prefix, delimiter `/`) is allowed as well, and nothing else outside the folder: no top-level
 *    listing without the delimiter, no top-level version listing, no other folder;
 *  - whoever may read a version may list the versions of the same folder;
 *  - everyone else is where they were: the access points stay exclusive.
 *
 * `s3:delimiter` is a condition key iam-simulate knows for ListBucket and ListBucketVersions: the
 * harness throws on any context key the simulator ignores, so every cell below that sends it also
 * proves that it was evaluated.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SharedBucket, UserAccessPoint } from '../src';
import { AccessRequest, buildWorld, evaluate, PolicyDocument, World } from './access-model';
import { checkMatrix, describeFailures, ExpectedCell } from './access-model/matrix';

const ACCOUNT = '123456789012';
const ENV = { account: ACCOUNT, region: 'us-east-1' };
const BUCKET = 'console-shared-bucket';
const S3_STAR: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };

const user = (name: string) => `arn:aws:iam::${ACCOUNT}:user/${name}`;
const PRINCIPALS = {
  /** consoleAccess only: opens with the console link. */
  bob: user('Bob'),
  /** consoleAccess and consoleRootListing. */
  alice: user('Alice'),
  /** Member of the group `team` (PER_USER_FOLDER, consoleAccess and consoleRootListing). */
  carol: user('Carol'),
  /** An IAM user outside the group, with s3:* of his own: not in the template. */
  dave: user('Dave'),
  /** A same-account admin role with s3:*: not in the template. */
  admin: `arn:aws:iam::${ACCOUNT}:role/Admin`,
  /** A user without S3 rights: not in the template. */
  nobody: user('NoS3Rights'),
  /** An admin of another account with s3:*: not in the template. */
  foreign: 'arn:aws:iam::999999999999:role/ForeignAdmin',
};
type Who = keyof typeof PRINCIPALS;
const WHO = Object.keys(PRINCIPALS) as Who[];

const ACCESS_POINTS = { bob: 'bob-console', alice: 'alice-console', team: 'team-console' };
type Path = keyof typeof ACCESS_POINTS;
const PATHS = Object.keys(ACCESS_POINTS) as Path[];
/** The access points that opt in to the console's top-level listing. */
const ROOT_LISTING: readonly Path[] = ['alice', 'team'];

const FOLDERS = ['Bob/', 'Alice/', 'Carol/', 'Dave/'];
const KEYS = [...FOLDERS.map(f => `${f}a.txt`), 'root.txt'];

/** The folder `who` may use through `path`, if any. */
function ownFolder(who: Who, path: Path): string | undefined {
  if (path === 'bob' && who === 'bob') return 'Bob/';
  if (path === 'alice' && who === 'alice') return 'Alice/';
  // The group's access point admits IAM users of the account, each confined to the folder of
  // their user name: a member by the group's grant, Dave (outside the group) by his own s3:*.
  if (path === 'team' && who === 'carol') return 'Carol/';
  if (path === 'team' && who === 'dave') return 'Dave/';
  return undefined;
}

interface Cell {
  readonly who: Who;
  readonly path: Path;
  readonly action: string;
  readonly key?: string;
  /** undefined: the request has no prefix at all. */
  readonly prefix?: string;
  readonly delimiter?: string;
}

function expectation(c: Cell): boolean {
  const folder = ownFolder(c.who, c.path);
  if (folder === undefined) return false;
  if (c.key !== undefined) return c.key.startsWith(folder);
  if (c.prefix !== undefined && c.prefix.startsWith(folder)) return true;
  return ROOT_LISTING.includes(c.path) && c.action === 's3:ListBucket' && c.prefix === '' && c.delimiter === '/';
}

/** The console's request shapes, and their neighbours that must stay denied. */
function cells(): Cell[] {
  const out: Cell[] = [];
  for (const who of WHO) {
    for (const path of PATHS) {
      const at = (rest: Omit<Cell, 'who' | 'path'>) => out.push({ who, path, ...rest });
      for (const action of ['s3:ListBucket', 's3:ListBucketVersions']) {
        at({ action, prefix: '', delimiter: '/' }); // the console's first request
        at({ action, prefix: '' }); // the whole bucket
        at({ action, prefix: '', delimiter: 'a' }); // another delimiter
        at({ action, delimiter: '/' }); // no prefix at all
        for (const folder of FOLDERS) {
          at({ action, prefix: folder, delimiter: '/' }); // the console inside a folder
          at({ action, prefix: folder });
        }
      }
      for (const action of ['s3:GetObject', 's3:GetObjectVersion']) {
        for (const key of KEYS) at({ action, key });
      }
    }
  }
  return out;
}

function request(c: Cell): AccessRequest {
  return {
    principal: PRINCIPALS[c.who],
    action: c.action,
    key: c.key,
    listPrefix: c.prefix,
    path: { accessPoint: ACCESS_POINTS[c.path] },
    network: 'internet',
    extraContext: c.delimiter === undefined ? undefined : { 's3:delimiter': c.delimiter },
  };
}

function consoleStack(): { stack: Stack; bob: UserAccessPoint; alice: UserAccessPoint; team: UserAccessPoint } {
  const stack = new Stack(new App(), 'Console', { env: ENV });
  const shared = new SharedBucket(stack, 'Shared', { bucketName: BUCKET });
  const bobUser = new iam.User(stack, 'Bob', { userName: 'Bob' });
  const aliceUser = new iam.User(stack, 'Alice', { userName: 'Alice' });
  const group = new iam.Group(stack, 'Team', { groupName: 'team' });
  new iam.User(stack, 'Carol', { userName: 'Carol', groups: [group] });
  return {
    stack,
    bob: shared.addUserAccessPoint('BobAccess', { identity: bobUser, accessPointName: ACCESS_POINTS.bob, consoleAccess: true }),
    alice: shared.addUserAccessPoint('AliceAccess', {
      identity: aliceUser, accessPointName: ACCESS_POINTS.alice, consoleAccess: true, consoleRootListing: true,
    }),
    team: shared.addUserAccessPoint('TeamAccess', {
      identity: group, prefix: UserAccessPoint.PER_USER_FOLDER, accessPointName: ACCESS_POINTS.team, consoleAccess: true, consoleRootListing: true,
    }),
  };
}

function consoleWorld(stack: Stack): World {
  return buildWorld(Template.fromStack(stack).toJSON(), {
    account: ACCOUNT,
    region: ENV.region,
    externalPrincipals: [
      { arn: PRINCIPALS.dave, policies: { DaveS3: S3_STAR } },
      { arn: PRINCIPALS.admin, policies: { AdminS3: S3_STAR } },
      { arn: PRINCIPALS.nobody },
      { arn: PRINCIPALS.foreign, policies: { ForeignS3: S3_STAR } },
    ],
  });
}

describe('the S3 console through a UserAccessPoint', () => {
  const { stack, bob, alice, team } = consoleStack();
  const world = consoleWorld(stack);

  // 7 principals x 3 access points x (2 list actions x (4 top-level shapes + 4 folders x 2) + 2 get actions x 5 keys)
  const CELLS = 7 * 3 * (2 * (4 + 4 * 2) + 2 * 5);

  test('the console requests of every principal at every access point, allowed or denied per the option', async () => {
    const all = cells();
    expect(all).toHaveLength(CELLS);
    const expected: ExpectedCell[] = all.map(c => ({ request: request(c), expected: { allowed: expectation(c) } }));
    const report = await checkMatrix(world, expected);
    expect(report.evaluated).toBe(CELLS);
    // Bob, Alice, Carol and Dave each reach their folder; a table that allows nothing would prove nothing.
    expect(report.allowed).toBe(all.filter(expectation).length);
    expect(report.allowed).toBeGreaterThan(0);
    expect(describeFailures('console access', report)).toBe('console access: every cell as expected');
  }, 120_000);

  test("no allowed request ever names another tenant's folder", () => {
    // A check on the expected table itself: the matrix above holds the evaluator to it.
    const leaks = cells().filter(expectation).filter(c => {
      const named = c.key ?? c.prefix ?? '';
      return FOLDERS.some(f => named.startsWith(f) && f !== ownFolder(c.who, c.path));
    });
    expect(leaks).toEqual([]);
  });

  test('the console sends s3:delimiter, and the simulator evaluates it', async () => {
    // The same request with and without the delimiter decides differently: the key was not dropped.
    const shape = { principal: PRINCIPALS.alice, action: 's3:ListBucket', listPrefix: '', path: { accessPoint: ACCESS_POINTS.alice }, network: 'internet' as const };
    const withDelimiter = await evaluate(world, { ...shape, extraContext: { 's3:delimiter': '/' } });
    const without = await evaluate(world, shape);
    expect(withDelimiter.allowed).toBe(true);
    expect(without.allowed).toBe(false);
    expect(withDelimiter.legs[0].context['s3:delimiter']).toBe('/');
  });

  test('Bob (consoleAccess only) is denied the top-level listing by the access point and by his own policy', async () => {
    const decision = await evaluate(world, {
      principal: PRINCIPALS.bob,
      action: 's3:ListBucket',
      listPrefix: '',
      path: { accessPoint: ACCESS_POINTS.bob },
      network: 'internet',
      extraContext: { 's3:delimiter': '/' },
    });
    expect(decision.decision).toBe('denied: implicit');
  });

  test('the console links open each access point at its folder', () => {
    expect(stack.resolve(bob.consoleUrl)).toBe(`https://console.aws.amazon.com/s3/ap/${ACCOUNT}/bob-console?region=us-east-1&prefix=Bob/`);
    expect(stack.resolve(alice.consoleUrl)).toBe(`https://console.aws.amazon.com/s3/ap/${ACCOUNT}/alice-console?region=us-east-1&prefix=Alice/`);
    // PER_USER_FOLDER: one link for every member, at the top level (each adds &prefix=<name>/)
    expect(stack.resolve(team.consoleUrl)).toBe(`https://console.aws.amazon.com/s3/ap/${ACCOUNT}/team-console?region=us-east-1`);
  });
});

describe('console options', () => {
  test('the console link of an environment-agnostic stack takes the account and Region from CloudFormation', () => {
    const stack = new Stack(new App(), 'Agnostic');
    const shared = new SharedBucket(stack, 'Shared');
    const uap = shared.addUserAccessPoint('Access', { identity: new iam.User(stack, 'Bob', { userName: 'Bob' }), accessPointName: 'bob-ap' });
    expect(stack.resolve(uap.consoleUrl)).toEqual({
      'Fn::Join': ['', ['https://console.aws.amazon.com/s3/ap/', { Ref: 'AWS::AccountId' }, '/bob-ap?region=', { Ref: 'AWS::Region' }, '&prefix=Bob/']],
    });
  });

  test('percent-encodes the folder in the link, keeping its "/"', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const shared = new SharedBucket(stack, 'Shared');
    const uap = shared.addUserAccessPoint('Access', {
      identity: new iam.User(stack, 'Bob', { userName: 'Bob' }), prefix: 'team a/b&c', accessPointName: 'bob-ap',
    });
    expect(uap.consoleUrl).toBe(`https://console.aws.amazon.com/s3/ap/${ACCOUNT}/bob-ap?region=us-east-1&prefix=team%20a/b%26c/`);
  });

  test('consoleRootListing without consoleAccess is an error naming the construct and the prop', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const shared = new SharedBucket(stack, 'Shared');
    expect(() => shared.addUserAccessPoint('Access', {
      identity: new iam.User(stack, 'Bob', { userName: 'Bob' }), consoleRootListing: true,
    })).toThrow(/UserAccessPoint at 'Stack\/Shared\/Access' has invalid props:\n {2}- consoleRootListing: only applies with consoleAccess: true/);
  });

  test('consoleAccess: true alone writes no listing outside the folder', () => {
    const { stack } = consoleStack();
    const template = Template.fromStack(stack);
    const bobPolicy = template.findResources('AWS::IAM::Policy', { Properties: { Users: [{ Ref: stack.getLogicalId(stack.node.findChild('Bob').node.defaultChild as iam.CfnUser) }] } });
    expect(Object.keys(bobPolicy)).toHaveLength(1);
    const json = JSON.stringify(bobPolicy);
    expect(json).toContain('s3:ListAccessPoints');
    expect(json).not.toContain('s3:delimiter');
    const bobAccessPoint = template.findResources('AWS::S3::AccessPoint', { Properties: { Name: 'bob-console' } });
    expect(JSON.stringify(bobAccessPoint)).not.toContain('s3:delimiter');
  });

  test('consoleRootListing adds the top-level listing to both policies, with its conditions', () => {
    const { stack } = consoleStack();
    const template = Template.fromStack(stack);
    const condition = { StringEquals: { 's3:prefix': '', 's3:delimiter': '/' } };
    template.hasResourceProperties('AWS::IAM::Policy', {
      Users: [{ Ref: stack.getLogicalId(stack.node.findChild('Alice').node.defaultChild as iam.CfnUser) }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:ListBucket', Effect: 'Allow', Condition: condition })]) },
    });
    template.hasResourceProperties('AWS::S3::AccessPoint', {
      Name: 'alice-console',
      Policy: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:ListBucket', Effect: 'Allow', Principal: Match.anyValue(), Condition: condition })]) },
    });
    // the group: its members' policy, and the folder confinement that spares only that request
    template.hasResourceProperties('AWS::S3::AccessPoint', {
      Name: 'team-console',
      Policy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'DenyListingOutsideFolder', Condition: { StringNotLike: { 's3:prefix': ['', '${aws:username}/', '${aws:username}/*'] } } }),
          Match.objectLike({ Sid: 'DenyRootListingWithoutDelimiter', Condition: { StringEquals: { 's3:prefix': '' }, StringNotEquals: { 's3:delimiter': '/' } } }),
          Match.objectLike({ Sid: 'DenyRootListingOfVersionsAndUploads', Condition: { StringEquals: { 's3:prefix': '' } } }),
        ]),
      },
    });
  });
});
