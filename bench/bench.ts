/**
 * Synth-time and template-size benchmark: a SharedBucket with N UserAccessPoints against the same N
 * tenants written by hand with L1 resources. Not part of the test suite. See docs/benchmarks.md.
 *
 *   npx projen bench            # N = 1, 10, 100, 1000, then 10,000 tenants (about 4 minutes on 2 cores)
 *   npx projen bench --quick    # N = 1, 10, 100, 2 repetitions (smoke run)
 *   npx projen bench --strict   # exit code 1 when a target fails
 *   npx projen bench --tenants-only [--tenants=N]   # only one TenantAccessPoint vs N UserAccessPoints
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import * as vm from 'vm';
import * as cdk from 'aws-cdk-lib';
import { Template, TemplateMetrics, templateMetrics, tenantPolicies } from './metrics';
import { ACCOUNT, BASELINE_TENANT_TYPES, Build, IDENTITY_TYPE, REGION, buildBaseline, buildBaselineWithGrants, buildLibrary, buildTenants } from './stacks';

const ROOT = path.join(__dirname, '..');
const BUNDLE = path.join(ROOT, 'assets', 'reader.lambda', 'index.js');
const STACK_NAME = 'Bench';

const TARGETS = {
  /** Library synth at the largest N, relative to the baseline. */
  maxSynthRatio: 1.25,
  /** Library synth growth from N=100 to N=1000 (10x the tenants). */
  maxGrowth: 11,
  /** CloudFormation resources per UserAccessPoint beyond the identity. */
  maxResourcesPerAccessPoint: 2,
  /** Reader Lambda bundle, bytes (10 KiB). */
  maxBundleBytes: 10 * 1024,
};

interface Options {
  readonly quick: boolean;
  readonly strict: boolean;
  /** Tenants of the TenantAccessPoint comparison (10,000; 1,000 with --quick). */
  readonly tenants: number;
  readonly tenantsOnly: boolean;
}

/** One timed run. */
interface Sample {
  readonly constructMs: number;
  readonly synthMs: number;
  readonly totalMs: number;
  /** CPU time of the process (all threads, e.g. GC helpers) during the run: less sensitive to a busy machine. */
  readonly cpuMs: number;
}

/** What one variant measured at one N. */
interface Result {
  readonly totalMs: number;
  readonly constructMs: number;
  readonly synthMs: number;
  readonly cpuMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly metrics: TemplateMetrics;
}

interface Row {
  readonly n: number;
  readonly reps: number;
  readonly library: Result;
  readonly baseline: Result;
  /** Median of library / baseline within each repetition: the two runs of a pair share the machine's load. */
  readonly pairedRatio: number;
}

function parseOptions(argv: string[]): Options {
  const known = new Set(['--quick', '--strict', '--tenants-only']);
  const unknown = argv.filter(a => !known.has(a) && !/^--tenants=\d+$/.test(a));
  if (unknown.length > 0) throw new Error(`unknown arguments: ${unknown.join(' ')} (use --quick, --strict, --tenants-only, --tenants=N)`);
  const quick = argv.includes('--quick');
  const tenants = argv.find(a => a.startsWith('--tenants='));
  return { quick, strict: argv.includes('--strict'), tenants: tenants ? Number(tenants.split('=')[1]) : quick ? 1000 : 10_000, tenantsOnly: argv.includes('--tenants-only') };
}

/** A garbage collection between runs, so that one run does not pay for the previous one's garbage. */
function exposeGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  return () => gc();
}
const collectGarbage = exposeGc();

const ms = (from: bigint, to: bigint) => Number(to - from) / 1e6;

/** Build and synthesize a fresh App; the clock covers construction and `app.synth()` (which writes the template). */
function run(build: Build, n: number, withTemplate = false): { sample: Sample; template?: Template } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-shared-bucket-bench-'));
  try {
    collectGarbage();
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    // CloudFormation allows 500 resources per stack; N=1000 is about synth cost, not a deployable stack.
    const app = new cdk.App({ outdir, context: { '@aws-cdk/core:stackResourceLimit': 0 } });
    const stack = new cdk.Stack(app, STACK_NAME, { env: { account: ACCOUNT, region: REGION } });
    build(stack, n);
    const built = process.hrtime.bigint();
    const assembly = app.synth();
    const end = process.hrtime.bigint();
    const cpu = process.cpuUsage(cpuStart);
    return {
      sample: { constructMs: ms(start, built), synthMs: ms(built, end), totalMs: ms(start, end), cpuMs: (cpu.user + cpu.system) / 1000 },
      // Read from the cloud assembly, so only when asked (the warm-up and the fairness check).
      template: withTemplate ? assembly.getStackByName(STACK_NAME).template as Template : undefined,
    };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** An untimed run's template. */
function synthesize(build: Build, n: number): Template {
  return run(build, n, true).template!;
}

/** A timed run whose template is not needed. */
function timed(build: Build, n: number): Sample {
  return run(build, n).sample;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function summarize(samples: Sample[], metrics: TemplateMetrics): Result {
  return {
    totalMs: median(samples.map(s => s.totalMs)),
    constructMs: median(samples.map(s => s.constructMs)),
    synthMs: median(samples.map(s => s.synthMs)),
    cpuMs: median(samples.map(s => s.cpuMs)),
    minMs: Math.min(...samples.map(s => s.totalMs)),
    maxMs: Math.max(...samples.map(s => s.totalMs)),
    metrics,
  };
}

/** Two variants at one N: one warm-up each, then `reps` repetitions that alternate them. */
function measurePair(n: number, reps: number, first: Build, second: Build): { first: Result; second: Result; pairedRatio: number } {
  // Warm-up (not timed): JIT, module loading; its templates give the sizes.
  const firstMetrics = templateMetrics(synthesize(first, n));
  const secondMetrics = templateMetrics(synthesize(second, n));
  const a: Sample[] = [];
  const b: Sample[] = [];
  for (let rep = 0; rep < reps; rep++) {
    // Alternate which variant goes first, so neither always runs on a freshly collected heap.
    if (rep % 2 === 0) {
      a.push(timed(first, n));
      b.push(timed(second, n));
    } else {
      b.push(timed(second, n));
      a.push(timed(first, n));
    }
  }
  return {
    first: summarize(a, firstMetrics),
    second: summarize(b, secondMetrics),
    pairedRatio: median(a.map((sample, i) => sample.totalMs / b[i].totalMs)),
  };
}

function measure(n: number, reps: number): Row {
  const { first: library, second: baseline, pairedRatio } = measurePair(n, reps, buildLibrary, buildBaseline);
  return { n, reps, library, baseline, pairedRatio };
}

/**
 * Where the library's time goes, at one N: the hand-written baseline with aws-cdk-lib's identity
 * grants, against the literal baseline and against the library (each pair alternated like the main
 * table, after it: aws-cdk-lib's process-wide token map makes later runs slower, so the pairs'
 * absolute times are higher than the main table's, their ratios comparable).
 */
function grantsDecomposition(n: number, reps: number): { grantsToBaseline: number; libraryToGrants: number } {
  return {
    grantsToBaseline: measurePair(n, reps, buildBaselineWithGrants, buildBaseline).pairedRatio,
    libraryToGrants: measurePair(n, reps, buildLibrary, buildBaselineWithGrants).pairedRatio,
  };
}

/**
 * Fairness: at N=1 both baselines must write the same statements as the library (modulo formatting)
 * and the same bucket settings.
 */
function fairnessCheck(): { lines: string[]; match: boolean } {
  const library = tenantPolicies(synthesize(buildLibrary, 1));
  const lines: string[] = [];
  let match = true;
  for (const [name, build] of [['baseline', buildBaseline], ['baseline with aws-cdk-lib grants', buildBaselineWithGrants]] as const) {
    const baseline = tenantPolicies(synthesize(build, 1));
    lines.push(`  ${name}:`);
    for (const key of ['accessPointPolicy', 'identityPolicy', 'bucketPolicy', 'bucket'] as const) {
      const same = library[key] === baseline[key];
      match &&= same;
      lines.push(`    ${key.padEnd(18)} ${same ? 'same' : 'DIFFERENT'}`);
      if (!same) lines.push(`      library:  ${library[key]}`, `      baseline: ${baseline[key]}`);
    }
  }
  return { lines, match };
}

/** Library resources per access point beyond the identity, and their types. */
function perAccessPoint(row: Row): { count: number; types: string } {
  const n = row.n;
  // The baseline's fixed resources: everything but its per-tenant role, access point and policy.
  const fixed = new Map(row.baseline.metrics.resourceTypes);
  BASELINE_TENANT_TYPES.forEach(type => fixed.set(type, fixed.get(type)! - n));
  const rest = new Map(row.library.metrics.resourceTypes);
  fixed.forEach((k, type) => rest.set(type, (rest.get(type) ?? 0) - k));
  rest.set(IDENTITY_TYPE, rest.get(IDENTITY_TYPE)! - n);
  const count = [...rest.values()].reduce((a, b) => a + b, 0) / n;
  const types = [...rest].filter(([, k]) => k !== 0).map(([type, k]) => `${type} x${k / n}`).sort().join(', ');
  return { count, types };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map(r => r[c].length)));
  return rows.map(r => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

const fmt = (x: number, digits = 0) => x.toFixed(digits);

function bundleFacts(): { bytes?: number; sdkExternal: boolean } {
  if (!fs.existsSync(BUNDLE)) return { sdkExternal: false };
  const code = fs.readFileSync(BUNDLE, 'utf8');
  // esbuild marks inlined modules with `// node_modules/...` comments; an external stays a require().
  const sdkExternal = /require\("@aws-sdk\/client-s3"\)/.test(code) && !code.includes('node_modules/@aws-sdk/');
  return { bytes: fs.statSync(BUNDLE).size, sdkExternal };
}

const loadAverage = () => os.loadavg().map(x => fmt(x, 2)).join(' ');

function machine(): string[] {
  const cpus = os.cpus();
  const cdkVersion = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'aws-cdk-lib', 'package.json'), 'utf8')).version;
  return [
    `date:     ${new Date().toISOString()}`,
    `os:       ${os.type()} ${os.release()} ${os.arch()}`,
    `cpus:     ${cpus.length} x ${cpus[0]?.model.trim() ?? 'unknown'}`,
    `memory:   ${fmt(os.totalmem() / 2 ** 30, 1)} GiB`,
    `node:     ${process.version}, aws-cdk-lib ${cdkVersion}`,
    `load:     ${loadAverage()} (1, 5, 15 min; other processes compete for the CPUs when it exceeds ${cpus.length})`,
  ];
}

/** One run each: a TenantAccessPoint with N tagged roles, and N UserAccessPoints for the same roles. */
function tenantComparison(n: number): Array<[string, boolean]> {
  const measureOne = (build: Build, count = n) => {
    const { sample, template } = run(build, count, true);
    const metrics = templateMetrics(template!);
    const accessPoints = metrics.resourceTypes.get('AWS::S3::AccessPoint') ?? 0;
    const managed = Object.values(template!.Resources).filter(r => r.Type === 'AWS::IAM::ManagedPolicy');
    const managedBytes = Math.max(0, ...managed.map(r => Buffer.byteLength(JSON.stringify(r.Properties!.PolicyDocument))));
    return { sample, metrics, accessPoints, managedBytes, nonRoles: metrics.resourceCount - (metrics.resourceTypes.get(IDENTITY_TYPE) ?? 0) };
  };
  const tenants = measureOne(buildTenants);
  process.stderr.write(`  measured TenantAccessPoint with N=${n}\n`);
  const users = measureOne(buildLibrary);
  process.stderr.write(`  measured ${n} UserAccessPoints\n`);
  const small = measureOne(buildTenants, 1);

  console.log(`Tenants at N=${n}: one TenantAccessPoint against ${n} UserAccessPoints (one run each; same roles)`);
  console.log(table([
    ['variant', 'construct ms', 'synth ms', 'total ms', 'cpu ms', 'tpl bytes', 'resources', 'non-role res', 'APs', 'bpol', 'max ap pol', 'max managed pol'],
    ...([['TenantAccessPoint', tenants], ['UserAccessPoints', users]] as const).map(([name, m]) => [
      name, fmt(m.sample.constructMs), fmt(m.sample.synthMs), fmt(m.sample.totalMs), fmt(m.sample.cpuMs),
      String(m.metrics.templateBytes), String(m.metrics.resourceCount), String(m.nonRoles), String(m.accessPoints),
      String(m.metrics.bucketPolicyBytes), String(m.metrics.maxAccessPointPolicyBytes), String(m.managedBytes),
    ]),
  ]));
  console.log(`  ${n} UserAccessPoints need ${n} access points (AWS allows 10,000 per account and Region) and ${2 * n} resources besides the roles (500 per stack);`);
  console.log('  both templates hold the N roles, which a real app would spread over stacks; non-role res = resources other than roles.');
  console.log(`  time ratio UserAccessPoints / TenantAccessPoint: ${fmt(users.sample.totalMs / tenants.sample.totalMs, 2)}x; template ratio: ${fmt(users.metrics.templateBytes / tenants.metrics.templateBytes, 2)}x`);
  console.log('');
  const constant = small.metrics.maxAccessPointPolicyBytes === tenants.metrics.maxAccessPointPolicyBytes
    && small.metrics.bucketPolicyBytes === tenants.metrics.bucketPolicyBytes
    && small.managedBytes === tenants.managedBytes && small.nonRoles === tenants.nonRoles;
  return [[`TenantAccessPoint: access point, bucket and managed policy sizes and non-role resources identical at N=1 and N=${n}`, constant]];
}

function main() {
  const options = parseOptions(process.argv.slice(2));
  if (options.tenantsOnly) {
    console.log('cdk-shared-bucket benchmark (--tenants-only)');
    machine().forEach(line => console.log(line));
    console.log('');
    const results = tenantComparison(options.tenants);
    results.forEach(([name, pass]) => console.log(`  ${pass ? 'PASS' : 'FAIL'}  ${name}`));
    if (options.strict && results.some(([, pass]) => !pass)) process.exitCode = 1;
    return;
  }
  const sizes = options.quick ? [1, 10, 100] : [1, 10, 100, 1000];
  // Five at N=1000 too: with three, the ratio swung by 0.2 between runs on a busy 2-core machine.
  const reps = options.quick ? 2 : 5;
  const began = Date.now();

  console.log(`cdk-shared-bucket benchmark${options.quick ? ' (--quick)' : ''}`);
  machine().forEach(line => console.log(line));
  console.log('');

  const fairness = fairnessCheck();
  console.log(`Fairness check at N=1 (canonical bucket settings and policies, library vs each hand-written baseline): ${fairness.match ? 'MATCH' : 'MISMATCH'}`);
  fairness.lines.forEach(line => console.log(line));
  console.log('');

  const rows: Row[] = [];
  const failed = new Map<number, string>();
  for (const n of sizes) {
    try {
      rows.push(measure(n, reps));
    } catch (e) {
      // Report and go on: the other sizes and targets still mean something.
      failed.set(n, (e instanceof Error ? e.message : String(e)).split('\n').map(line => line.trim()).filter(Boolean).join(' '));
    }
    process.stderr.write(`  measured N=${n} (${fmt((Date.now() - began) / 1000)} s)\n`);
  }

  console.log('Median construct + synth (ms), template sizes (bytes; policies as CloudFormation JSON with intrinsics)');
  console.log(table([
    ['N', 'reps', 'lib ms', 'base ms', 'ratio', 'lib tpl', 'base tpl', 'lib bpol', 'base bpol', 'lib ap pol', 'base ap pol', 'lib id ch', 'base id ch', 'res/AP'],
    ...rows.map(r => [
      String(r.n), String(r.reps),
      fmt(r.library.totalMs, 1), fmt(r.baseline.totalMs, 1), fmt(r.library.totalMs / r.baseline.totalMs, 2),
      String(r.library.metrics.templateBytes), String(r.baseline.metrics.templateBytes),
      String(r.library.metrics.bucketPolicyBytes), String(r.baseline.metrics.bucketPolicyBytes),
      String(r.library.metrics.maxAccessPointPolicyBytes), String(r.baseline.metrics.maxAccessPointPolicyBytes),
      String(r.library.metrics.maxIdentityPolicyChars), String(r.baseline.metrics.maxIdentityPolicyChars),
      fmt(perAccessPoint(r).count, 2),
    ]),
  ]));
  console.log('  tpl = JSON.stringify(template); bpol = bucket policy; ap pol = largest access point policy;');
  console.log('  id ch = largest identity policy of one role, characters without whitespace; res/AP = library');
  console.log('  resources per access point beyond the identity: (resources - baseline fixed - N roles) / N');
  failed.forEach((message, n) => console.log(`  N=${n}: synth FAILED: ${message}`));
  console.log('');

  const largestRow = rows.find(r => r.n === sizes[sizes.length - 1]);
  if (largestRow) {
    const decompositionReps = options.quick ? 2 : 3;
    const decomposition = grantsDecomposition(largestRow.n, decompositionReps);
    process.stderr.write(`  measured the grants decomposition at N=${largestRow.n} (${fmt((Date.now() - began) / 1000)} s)\n`);
    console.log(`Where the library's time goes at N=${largestRow.n} (median of per-repetition ratios, ${decompositionReps} repetitions per pair; not a target):`);
    console.log('  base+grants = the baseline with its identity statements granted by aws-cdk-lib (role.addToPrincipalPolicy,');
    console.log('  the role\'s default iam.Policy, as the library grants them) instead of a literal CfnPolicy');
    console.log(`  base+grants / base: ${fmt(decomposition.grantsToBaseline, 2)}x   lib / (base+grants): ${fmt(decomposition.libraryToGrants, 2)}x`);
    console.log('');
  }

  console.log('Phases, median ms (construct = new App .. last tenant; synth = app.synth()); CPU time; per-repetition ratio; spread of construct + synth');
  console.log(table([
    ['N', 'lib construct', 'lib synth', 'base construct', 'base synth', 'lib cpu', 'base cpu', 'cpu ratio', 'paired ratio', 'lib min..max', 'base min..max'],
    ...rows.map(r => [
      String(r.n), fmt(r.library.constructMs, 1), fmt(r.library.synthMs, 1), fmt(r.baseline.constructMs, 1), fmt(r.baseline.synthMs, 1),
      fmt(r.library.cpuMs, 1), fmt(r.baseline.cpuMs, 1), fmt(r.library.cpuMs / r.baseline.cpuMs, 2), fmt(r.pairedRatio, 2),
      `${fmt(r.library.minMs)}..${fmt(r.library.maxMs)}`, `${fmt(r.baseline.minMs)}..${fmt(r.baseline.maxMs)}`,
    ]),
  ]));
  console.log('');

  // Targets are about the largest N asked for (1000; 100 with --quick) and the N ten times smaller.
  const largestN = sizes[sizes.length - 1];
  const largest = rows.find(r => r.n === largestN);
  const previous = rows.find(r => r.n * 10 === largestN);
  const smallest = rows.find(r => r.n === sizes[0]);
  const missing = (n: number) => (failed.has(n) ? `N=${n} did not synthesize` : `N=${n} not measured`);
  const perAp = rows.map(perAccessPoint);
  const bundle = bundleFacts();

  if (perAp.length > 0) console.log(`Resources per UserAccessPoint beyond the identity: ${perAp[0].types}`);
  const growth = largest && previous ? largest.library.totalMs / previous.library.totalMs : undefined;
  console.log(`Library growth synth(N=${largestN}) / synth(N=${largestN / 10}): ${growth !== undefined ? `${fmt(growth, 2)}x` : missing(largest ? largestN / 10 : largestN)}`);
  const bucketPolicyBytes = [smallest, largest].map(r => r?.library.metrics.bucketPolicyBytes);
  const bucketPolicySame = bucketPolicyBytes[0] !== undefined && bucketPolicyBytes[0] === bucketPolicyBytes[1];
  console.log(`Library bucket policy bytes at N=${sizes[0]} and N=${largestN}: ${bucketPolicyBytes.map(b => b ?? 'n/a').join(' / ')} (${bucketPolicySame ? 'identical' : 'NOT identical'})`);
  console.log(`Reader Lambda bundle (assets/reader.lambda/index.js): ${bundle.bytes ?? 'missing, run npx projen bundle'} bytes, SDK v3 external: ${bundle.sdkExternal ? 'yes' : 'NO'}`);
  console.log('');

  const tenantTargets = tenantComparison(options.tenants);

  const ratio = largest ? largest.library.totalMs / largest.baseline.totalMs : undefined;
  const maxPerAp = Math.max(...perAp.map(p => p.count));
  const targets: Array<[string, boolean]> = [
    ['fairness: library and baseline write the same statements and bucket settings at N=1', fairness.match],
    [`synth at N=${largestN} within ${TARGETS.maxSynthRatio}x of the baseline (${ratio !== undefined ? `${fmt(ratio, 2)}x` : missing(largestN)})`,
      ratio !== undefined && ratio <= TARGETS.maxSynthRatio],
    [`library N=${largestN} at most ${TARGETS.maxGrowth}x N=${largestN / 10} (${growth !== undefined ? `${fmt(growth, 2)}x` : missing(largest ? largestN / 10 : largestN)})`,
      growth !== undefined && growth <= TARGETS.maxGrowth],
    [`bucket policy bytes identical at N=${sizes[0]} and N=${largestN}${largest ? '' : ` (${missing(largestN)})`}`, bucketPolicySame],
    [`at most ${TARGETS.maxResourcesPerAccessPoint} resources per UserAccessPoint beyond the identity (${fmt(maxPerAp, 2)}, N=${rows.map(r => r.n).join(', ')})`,
      maxPerAp <= TARGETS.maxResourcesPerAccessPoint],
    [`reader bundle <= ${TARGETS.maxBundleBytes} bytes with SDK v3 external (${bundle.bytes ?? 'missing'})`,
      bundle.bytes !== undefined && bundle.bytes <= TARGETS.maxBundleBytes && bundle.sdkExternal],
    ...tenantTargets,
  ];
  console.log('Targets');
  targets.forEach(([name, pass]) => console.log(`  ${pass ? 'PASS' : 'FAIL'}  ${name}`));
  console.log(`\nTotal wall time ${fmt((Date.now() - began) / 1000)} s; load average at the end ${loadAverage()}`);

  if (options.strict && targets.some(([, pass]) => !pass)) process.exitCode = 1;
}

main();
