/**
 * The quick start's main job: synthesize the scenario and print what it built, for a person, and
 * the access report that every synth writes into the cloud assembly (access-report.md): who may do
 * what through which access point, and who reaches the bucket without one.
 * Run with `npx projen example`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { buildScenario } from './scenario';

function main() {
  const app = new App({ outdir: 'examples/cdk.out' });
  const stack = buildScenario(app);
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  const resources: Record<string, { Type: string }> = artifact.template.Resources;

  console.log(`Synthesized ${artifact.stackName} (${stack.account}/${stack.region}) into ${assembly.directory}\n`);
  console.log('Resources:');
  const counts = new Map<string, number>();
  Object.values(resources).forEach(r => counts.set(r.Type, (counts.get(r.Type) ?? 0) + 1));
  [...counts].sort().forEach(([type, count]) => console.log(`  ${String(count).padStart(3)}  ${type}`));

  console.log('\nAccess points:');
  for (const accessPoint of stack.shared.accessPoints) {
    console.log(`  ${accessPoint.accessPointName} (${accessPoint.networkOrigin} origin)`);
  }

  const report = path.join(assembly.directory, 'access-report.md');
  console.log(`\n${path.relative(process.cwd(), report)} (and access-report.json beside it):\n`);
  console.log(fs.readFileSync(report, 'utf-8'));
}

main();
