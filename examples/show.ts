/**
 * The quick start's main job: synthesize the scenario and print what it built, for a person.
 * Run with `npx projen example`.
 */
import { App } from 'aws-cdk-lib';
import { buildScenario } from './scenario';

const app = new App({ outdir: 'examples/cdk.out' });
const stack = buildScenario(app);
const assembly = app.synth();
const artifact = assembly.getStackByName(stack.stackName);
const resources: Record<string, { Type: string; Properties?: any }> = artifact.template.Resources;

const counts = new Map<string, number>();
for (const resource of Object.values(resources)) counts.set(resource.Type, (counts.get(resource.Type) ?? 0) + 1);

console.log(`Synthesized ${artifact.stackName} (${artifact.environment.account}/${artifact.environment.region}) into ${assembly.directory}`);
console.log('\nResources:');
for (const [type, count] of [...counts].sort()) console.log(`  ${String(count).padStart(3)}  ${type}`);

console.log('\nAccess points:');
for (const accessPoint of stack.shared.accessPoints) {
  console.log(`  ${accessPoint.accessPointName} (${accessPoint.networkOrigin} origin)`);
}
