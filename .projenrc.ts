import { JsonFile, awscdk, javascript } from 'projen';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-shared-bucket',
  description:
    'One S3 bucket shared by many users and applications: a bucket that delegates to S3 Access Points, folder-scoped access points for IAM identities, and VPC-only access points with a private reader.',
  author: 'cdk-shared-bucket maintainers',
  authorAddress: 'maintainers@cdk-shared-bucket.dev',
  repositoryUrl: 'https://github.com/cdk-shared-bucket/cdk-shared-bucket.git',
  license: 'Apache-2.0',
  defaultReleaseBranch: 'main',
  keywords: ['awscdk', 'cdk', 's3', 'access-points', 'multi-tenant', 'vpc-endpoint', 'iam'],
  stability: 'experimental',

  cdkVersion: '2.257.0',
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,

  // Checked without AWS in `test`; a maintainer with credentials can deploy them.
  experimentalIntegRunner: true,
  integrationTestAutoDiscover: false,
  lambdaOptions: {
    runtime: awscdk.LambdaRuntime.NODEJS_24_X,
    // SDK v3 reuses connections by default; the variable is for v2.
    awsSdkConnectionReuse: false,
    // The handler's only runtime dependency, @aws-sdk/client-s3, ships with the Node.js runtime.
    bundlingOptions: { externals: ['@aws-sdk/*'], sourcemap: false },
  },

  jestOptions: {
    // The default test task would rewrite snapshots; a changed snapshot must fail until reviewed.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testPathIgnorePatterns: ['/node_modules/', '/cdk.out/', '\\.snapshot/'],
      coveragePathIgnorePatterns: ['/node_modules/', '/test/'],
      // Jest's default leaves a core idle (cores - 1 workers): on 2 cores the suite ran on one, in
      // about 200 s instead of about 105 s. Suites then share the CPUs: a test is allowed 30 s
      // (jest's default is 5 s), and the access proofs set their own, longer limits.
      maxWorkers: '100%',
      testTimeout: 30_000,
    },
  },

  devDeps: [
    '@aws-cdk/integ-runner@2.197.10',
    '@aws-cdk/integ-tests-alpha@2.245.0-alpha.0',
    'aws-cdk@2.1115.1',
    'cdk-nag@^2.36.8',
    '@aws-sdk/client-s3@^3',
    'aws-sdk-client-mock@^4',
    '@types/aws-lambda@^8',
    // AGPL: used by the test suite only, never shipped.
    '@cloud-copilot/iam-simulate@^0.1.173',
    '@cloud-copilot/iam-expand@^0.11.44',
    'fast-check@^4',
    // Ships the cfn-guard binary and the AWS Control Tower proactive control rules.
    '@cdklabs/cdk-validator-cfnguard@0.0.62',
  ],

  publishToPypi: {
    distName: 'cdk-shared-bucket',
    module: 'cdk_shared_bucket',
  },
  publishToMaven: {
    javaPackage: 'io.github.cdksharedbucket',
    mavenGroupId: 'io.github.cdk-shared-bucket',
    mavenArtifactId: 'cdk-shared-bucket',
  },
  publishToNuget: {
    dotNetNamespace: 'CdkSharedBucket',
    packageId: 'CdkSharedBucket',
  },
  publishToGo: {
    moduleName: 'github.com/cdk-shared-bucket/cdk-shared-bucket-go',
  },

  gitignore: ['cdk.out/', '*.d.ts.map', '/examples/cdk.out/', '.tmp/', 'cdk.context.json'],
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'examples', 'bench', 'projenrc', 'build-tools'],
  },
});

project.addPackageIgnore('/examples/');
project.addPackageIgnore('/docs/');
project.addPackageIgnore('/.ci/');
project.addPackageIgnore('/bench/');
project.addPackageIgnore('cdk.json');

// Locally `package` would try every jsii language; this machine packages JavaScript only. The
// release workflow still runs package:python, package:java, ... in their own jobs.
project.tasks.tryFind('package')!.reset();
project.tasks.tryFind('package')!.spawn(project.tasks.tryFind('package:js')!);

// The example app and the benchmark type-check against the test configuration, with src.
for (const dir of ['examples', 'bench']) {
  new JsonFile(project, `${dir}/tsconfig.json`, {
    obj: { extends: '../test/tsconfig.json', include: ['**/*.ts', '../src/**/*.ts'] },
  });
}

project.tasks.addEnvironment('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '20');

// Integration tests are test/*.integ.ts, compiled with the test configuration.
const integArgs = ['--language', 'typescript', '--test-regex', "'\\.integ\\.ts$'"];
for (const [name, extra] of [['integ', []], ['integ:update', ['--update-on-failed', '--dry-run']]] as const) {
  const task = project.tasks.tryFind(name)!;
  task.reset();
  task.env('TS_NODE_PROJECT', 'test/tsconfig.json');
  task.exec(['integ-runner', ...integArgs, ...extra].join(' '));
}

// The main job of the quick start: synthesize the example app and print what it built.
const example = project.addTask('example', {
  description: 'Synthesize the example app (examples/) and print who can reach which folder',
});
example.spawn(project.tasks.tryFind('bundle')!);
example.exec('ts-node --project examples/tsconfig.json examples/show.ts');

// Synth time and template size against hand-written L1 resources (docs/benchmarks.md); not in CI.
const bench = project.addTask('bench', {
  description: 'Benchmark synth time and template sizes against hand-written L1 resources (--quick, --strict)',
  receiveArgs: true,
});
bench.spawn(project.tasks.tryFind('bundle')!);
bench.exec('ts-node --project bench/tsconfig.json bench/bench.ts', { receiveArgs: true });

project.synth();
