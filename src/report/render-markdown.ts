import { DATA_ACTION_NAMES, actionMatches } from './data-actions';
import { AccessReportDocument, ReportBucket, ReportPrincipal } from './model';

/** The report for a person: per bucket, the same tables as the JSON, and a Mermaid diagram. */
export function renderMarkdown(report: AccessReportDocument): string {
  const lines = [
    '# Access report',
    '',
    'Written by cdk-shared-bucket at synth: the grants its constructs made, and the identities whose own',
    'policies reach a bucket without an access point. Values known only at deploy time are shown as',
    '`${LogicalId.Attribute}`.',
    '',
  ];
  if (report.buckets.length === 0) lines.push('No bucket.', '');
  report.buckets.forEach((bucket, i) => lines.push(...renderBucket(bucket, i)));
  return lines.join('\n');
}

function renderBucket(b: ReportBucket, index: number): string[] {
  const out = [`## Bucket \`${b.bucket}\``, ''];
  if (b.path) out.push(`- Construct: \`${b.path}\``);
  if (b.sharedBucket) {
    const policy = b.sharedBucket;
    out.push(`- Delegation: access points of account${policy.delegatedAccounts.length > 1 ? 's' : ''} ${policy.delegatedAccounts.map(code).join(', ')}`
      + (policy.accessPointArnPattern ? ` named like ${code(policy.accessPointArnPattern)}` : '')
      + (policy.partnerAccounts.length > 0
        ? `; those of ${policy.partnerAccounts.map(code).join(', ')} carry only ${policy.partnerActions.map(code).join(', ')}` : ''));
    out.push(policy.denyDirectAccess
      ? `- Direct access (without an access point): denied${policy.directAccessPrincipals.length > 0 ? `, except for ${policy.directAccessPrincipals.map(principalLabel).join(', ')}` : ' to everyone'}`
      : '- Direct access (without an access point): not denied by the bucket policy (`denyDirectAccess` is off)');
  } else {
    out.push('- Bucket policy: not managed by a SharedBucket of this app');
  }
  out.push('', '### Grants through access points', '');
  if (b.grants.length === 0) {
    out.push('None.');
  } else {
    out.push('| Principal | Access point | Network | Folder | Access | Actions |', '|---|---|---|---|---|---|');
    for (const g of b.grants) {
      const network = g.networkOrigin === 'VPC' ? `VPC ${code(g.vpc?.path ?? g.vpc?.id ?? '')}` : 'Internet';
      const access = g.delegated === false ? `${g.access} (refused: the bucket policy does not delegate to this access point)`
        : g.refusedActions ? `${g.access} (the bucket refuses ${g.refusedActions.map(code).join(', ')}: another account's access point)` : g.access;
      out.push(row([principalLabel(g.principal), code(g.accessPoint), network, code(g.folder), access, [...g.actions, ...g.kmsActions].join(', ')]));
    }
  }
  out.push('', '### Direct access (identity policies, without an access point)', '');
  if (b.direct.length === 0) {
    out.push('None.');
  } else {
    out.push('| Principal | Status | Actions | Resources | Policies |', '|---|---|---|---|---|');
    for (const d of b.direct) {
      const actions = DATA_ACTION_NAMES.every(a => d.actions.includes(a)) ? 'every data action' : abbreviate(d.actions).join(', ');
      out.push(row([principalLabel(d.principal), d.status + (d.conditional ? ' (with conditions)' : ''), actions, d.resources.map(code).join(', '), d.policies.map(code).join(', ')]));
    }
  }
  if (b.guardrails) {
    out.push('', '### Organization guardrails', '');
    for (const g of b.guardrails) {
      out.push(`- \`${g.path}\`: ${g.files.map(code).join(' and ')}${g.targetIds ? `, attached to ${g.targetIds.map(code).join(', ')}` : ' (not attached by this app)'}`);
      out.push(`  - SCP: ${sidsOf(g.serviceControlPolicy).map(code).join(', ')}`);
      out.push(`  - RCP: ${sidsOf(g.resourceControlPolicy).map(code).join(', ')}`);
    }
  }
  out.push('', '### Diagram', '', '```mermaid', ...diagram(b, index), '```', '');
  return out;
}

function diagram(b: ReportBucket, index: number): string[] {
  const bucketId = `b${index}`;
  const lines = ['flowchart LR', `  ${bucketId}[("${label(`bucket ${b.bucket}`)}")]`];
  const principals = new Map<string, string>();
  const principalId = (p: ReportPrincipal) => {
    const key = principalLabel(p);
    if (!principals.has(key)) {
      principals.set(key, `b${index}p${principals.size}`);
      lines.push(`  ${principals.get(key)}["${label(key)}"]`);
    }
    return principals.get(key)!;
  };
  b.accessPoints.forEach((ap, i) => {
    const network = ap.networkOrigin === 'VPC' ? `VPC ${ap.vpc?.path ?? ap.vpc?.id ?? ''}` : 'Internet';
    lines.push(`  b${index}a${i}{{"${label(`${ap.name} (${network})`)}"}}`, `  b${index}a${i} --> ${bucketId}`);
  });
  for (const g of b.grants) {
    const ap = b.accessPoints.findIndex(a => a.name === g.accessPoint);
    const target = ap >= 0 ? `b${index}a${ap}` : bucketId;
    const arrow = g.delegated === false ? '-.->' : '-->';
    lines.push(`  ${principalId(g.principal)} ${arrow}|"${label(`${g.access} ${g.folder}${g.delegated === false ? ' (refused by the bucket)' : ''}`)}"| ${target}`);
  }
  for (const d of b.direct) {
    lines.push(`  ${principalId(d.principal)} -.->|"${label(`direct: ${d.status}`)}"| ${bucketId}`);
  }
  return lines;
}

/** Families of data actions, broadest first, written as one pattern when every member is in the list. */
const FAMILIES = ['s3:Get*', 's3:List*', 's3:Put*', 's3:Delete*', 's3:Replicate*', 's3:GetObjectVersion*', 's3:PutObjectVersion*', 's3:DeleteObjectVersion*'];

/** Actions for a person: `s3:Get*` rather than the fifteen data actions it stands for. */
function abbreviate(actions: string[]): string[] {
  let rest = [...actions];
  const out: string[] = [];
  for (const family of FAMILIES) {
    const members = DATA_ACTION_NAMES.filter(a => actionMatches(family, a));
    if (members.length > 1 && members.every(a => rest.includes(a))) {
      out.push(family);
      rest = rest.filter(a => !members.includes(a));
    }
  }
  return [...out, ...rest];
}

function principalLabel(p: ReportPrincipal): string {
  if (p.kind === 'tenants') return `each tenant of ${p.path} (tagged ${p.memberTag}): folder named by its ${p.tenantTag} tag`;
  const what = p.path ?? p.name ?? p.arn ?? '?';
  return `${p.kind} ${what}`;
}

function label(text: string): string {
  return text.replace(/"/g, '#quot;');
}

/** The statement ids of a policy document, in order. */
function sidsOf(document: unknown): string[] {
  const statements = (document as { Statement?: Array<{ Sid?: string }> } | undefined)?.Statement ?? [];
  return statements.map((statement, i) => statement.Sid ?? `#${i}`);
}

function code(text: string): string {
  return `\`${text}\``;
}

function row(cells: string[]): string {
  return `| ${cells.map(c => c.replace(/\|/g, '\\|')).join(' | ')} |`;
}
