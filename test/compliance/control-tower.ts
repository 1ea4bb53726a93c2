/**
 * TEST-ONLY: evaluate a synthesized template against the AWS Control Tower proactive controls,
 * with the cfn-guard binary and rules that @cdklabs/cdk-validator-cfnguard ships.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

const PACKAGE = dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json'));
const RULES = join(PACKAGE, 'rules', 'control-tower', 'cfn-guard');
const GUARD = join(PACKAGE, 'bin', 'ubuntu', process.arch === 'arm64' ? 'aarch64' : 'x86_64', 'cfn-guard');

/** What the controls said of a template: per control, the failing resources (logical IDs). */
export interface ControlTowerReport {
  readonly failed: ReadonlyMap<string, readonly string[]>;
  readonly passed: ReadonlySet<string>;
}

/** Rule name -> control ID (ct-s3-pr-5.guard -> CT.S3.PR.5), from the rule files. */
function ruleControls(): Map<string, string> {
  const controls = new Map<string, string>();
  for (const service of readdirSync(RULES)) {
    for (const file of readdirSync(join(RULES, service)).filter(f => f.endsWith('.guard'))) {
      const control = basename(file, '.guard').toUpperCase().replace(/-/g, '.');
      for (const [, rule] of readFileSync(join(RULES, service, file), 'utf8').matchAll(/^rule\s+(\w+)/gm)) controls.set(rule, control);
    }
  }
  return controls;
}

/** cfn-guard prints one JSON document per rule file, back to back. */
function splitDocuments(output: string): any[] {
  const documents: any[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < output.length; i++) {
    const c = output[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) {
      documents.push(JSON.parse(output.slice(start, i + 1)));
    }
  }
  return documents;
}

/** Run every Control Tower rule over `template` (a synthesized template object). */
export function checkControlTower(template: object): ControlTowerReport {
  const dir = mkdtempSync(join(tmpdir(), 'control-tower-'));
  try {
    const file = join(dir, 'template.json');
    writeFileSync(file, JSON.stringify(template));
    const run = spawnSync(GUARD, ['validate', '--rules', RULES, '--data', file, '--output-format', 'json', '--show-summary', 'none'], {
      encoding: 'utf8', maxBuffer: 256 * 1024 * 1024,
    });
    // 0: all passed; 19: some rule failed; anything else is cfn-guard failing to run.
    if (run.status !== 0 && run.status !== 19) throw new Error(`cfn-guard exited ${run.status}: ${run.stderr || run.error}`);
    const controls = ruleControls();
    const control = (rule: string) => {
      const id = controls.get(rule);
      if (id === undefined) throw new Error(`cfn-guard reported rule ${rule}, which no Control Tower rule file defines`);
      return id;
    };
    const failed = new Map<string, Set<string>>();
    const passed = new Set<string>();
    for (const document of splitDocuments(run.stdout)) {
      for (const finding of document.not_compliant ?? []) {
        const resources = failed.get(control(finding.Rule.name)) ?? new Set<string>();
        for (const [, logicalId] of JSON.stringify(finding).matchAll(/"path":"\/Resources\/([^/"]+)/g)) resources.add(logicalId);
        failed.set(control(finding.Rule.name), resources);
      }
      for (const rule of document.compliant ?? []) passed.add(control(rule));
    }
    if (passed.size === 0 && failed.size === 0) throw new Error('cfn-guard evaluated no control: the rules or the template did not load');
    return {
      failed: new Map([...failed].map(([id, resources]) => [id, [...resources].sort()])),
      passed: new Set([...passed].filter(id => !failed.has(id))),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
