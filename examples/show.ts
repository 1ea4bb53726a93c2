/**
 * The quick start's main job: synthesize the scenario and print what it built, for a person, and
 * who can reach which folder, evaluated from the synthesized policies (not from our intentions) by
 * the test suite's IAM engine (test/access-model; a development dependency, never shipped).
 * Run with `npx projen example`.
 */
import { App } from 'aws-cdk-lib';
import { buildScenario } from './scenario';
import { buildWorld, evaluate, Network, RequestPath } from '../test/access-model';

async function main() {
  const app = new App({ outdir: 'examples/cdk.out', context: { 'aws:cdk:enable-path-metadata': true } });
  const stack = buildScenario(app);
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  const template = artifact.template;
  const resources: Record<string, { Type: string; Metadata?: Record<string, string> }> = template.Resources;
  // A principal by its construct path (e.g. AliceBucket/AppAccessPoint/Reader/ServiceRole).
  const constructPath = (logicalId: string | undefined) =>
    resources[logicalId ?? '']?.Metadata?.['aws:cdk:path']?.replace(`${stack.stackName}/`, '').replace(/\/Resource$/, '');

  console.log(`Synthesized ${artifact.stackName} (${stack.account}/${stack.region}) into ${assembly.directory}\n`);
  console.log('Resources:');
  const counts = new Map<string, number>();
  Object.values(resources).forEach(r => counts.set(r.Type, (counts.get(r.Type) ?? 0) + 1));
  [...counts].sort().forEach(([type, count]) => console.log(`  ${String(count).padStart(3)}  ${type}`));

  console.log('\nAccess points:');
  for (const accessPoint of stack.shared.accessPoints) {
    console.log(`  ${accessPoint.accessPointName} (${accessPoint.networkOrigin} origin)`);
  }

  const world = buildWorld(template, { account: stack.account, region: stack.region });
  const folders = [stack.bobAccess.prefix, stack.app.prefix, ''];
  const paths: RequestPath[] = [...[...world.accessPoints.keys()].map(accessPoint => ({ accessPoint })), 'bucket'];
  const networks: Network[] = ['internet', ...[...world.endpoints.values()].map(e => ({ vpc: e.vpcId, endpoint: e.id }))];
  const operations = { read: 's3:GetObject', write: 's3:PutObject', delete: 's3:DeleteObject', list: 's3:ListBucket' };

  console.log('\nWho may do what (evaluated from the synthesized bucket, access point, identity and endpoint policies):');
  const rows: string[][] = [['principal', 'folder', 'may', 'through', 'from']];
  for (const principal of world.principals.values()) {
    for (const path of paths) {
      for (const network of networks) {
        for (const folder of folders) {
          const allowed: string[] = [];
          for (const [name, action] of Object.entries(operations)) {
            const target = action === 's3:ListBucket' ? { listPrefix: folder } : { key: `${folder}example.txt` };
            const decision = await evaluate(world, { principal: principal.arn, action, path, network, bucket: 'access-point-test', ...target });
            if (decision.allowed) allowed.push(name);
          }
          if (allowed.length === 0) continue;
          rows.push([
            `${principal.kind} ${constructPath(principal.logicalId) ?? principal.name}`,
            folder === '' ? '(bucket root)' : folder,
            allowed.join(', '),
            path === 'bucket' ? 'the bucket directly' : path.accessPoint,
            network === 'internet' ? 'the internet' : 'the VPC, through its S3 gateway endpoint',
          ]);
        }
      }
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map(row => row[i].length)));
  rows.forEach(row => console.log(`  ${row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()}`));
  console.log('\nEvery other combination of these principals, folders, access points and networks is denied.');
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
