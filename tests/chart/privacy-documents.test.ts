// The privacy documents hold the chart to what they say (#22): every component the chart lets
// reach outside the cluster names its provider in docs/subprocessors.md, and every regional
// setting defaults to Australia (Sydney, ap-southeast-2) or is documented as unpinnable.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { at, renderChart, type Json, type Manifest } from './chart-render';

const DOCS = path.resolve(__dirname, '..', '..', 'docs');
/** The values a cluster runs with; values-dev.yaml is a developer's cluster with local stand-ins. */
const CLUSTER_VALUES = ['values.yaml', 'values-staging.yaml', 'values-prod.yaml'];
const AU = 'ap-southeast-2';
/** Model Studio's international endpoint (Singapore): it has no Australian region. */
const QWEN_SINGAPORE = 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1';

const rendered = new Map<string, Promise<Manifest[]>>();
/** Each values file is rendered once for all the tests here (helm is the slow part). */
function render(file: string): Promise<Manifest[]> {
  if (!rendered.has(file)) rendered.set(file, renderChart({ valuesFiles: [file] }));
  return rendered.get(file) as Promise<Manifest[]>;
}

/** The subprocessor table: each row's cells, keyed by the header. */
function subprocessorRows(): Record<string, string>[] {
  const lines = readFileSync(path.join(DOCS, 'subprocessors.md'), 'utf8').split('\n');
  const start = lines.findIndex((line) => line.startsWith('| Subprocessor'));
  const cells = (line: string) =>
    line
      .slice(1, -1)
      .split('|')
      .map((cell) => cell.trim());
  const header = cells(lines[start] ?? '');
  const rows: Record<string, string>[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(Object.fromEntries(cells(line).map((cell, i) => [header[i] ?? String(i), cell])));
  }
  return rows;
}

/** The components whose NetworkPolicy lets them send to an address block (outside the cluster). */
function externalEgress(manifests: Manifest[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const policy of manifests.filter((m) => m.kind === 'NetworkPolicy')) {
    const component = policy.metadata.labels?.['app.kubernetes.io/component'] ?? policy.metadata.name;
    for (const rule of (at(policy, 'spec', 'egress') ?? []) as Json[]) {
      for (const peer of (rule.to ?? []) as Json[]) {
        const cidr = at(peer, 'ipBlock', 'cidr');
        if (typeof cidr === 'string') found.set(component, [...(found.get(component) ?? []), cidr]);
      }
    }
  }
  return found;
}

/** Every plain env value of every container in the rendered workloads, as `workload/NAME`. */
function envValues(manifests: Manifest[]): [string, string][] {
  const values: [string, string][] = [];
  for (const workload of manifests.filter((m) => ['Deployment', 'CronJob', 'Job'].includes(m.kind))) {
    const podSpec =
      workload.kind === 'CronJob'
        ? at(workload, 'spec', 'jobTemplate', 'spec', 'template', 'spec')
        : at(workload, 'spec', 'template', 'spec');
    for (const container of [
      ...((at(podSpec, 'containers') ?? []) as Json[]),
      ...((at(podSpec, 'initContainers') ?? []) as Json[]),
    ]) {
      for (const variable of (container.env ?? []) as { name: string; value?: string }[]) {
        if (typeof variable.value === 'string')
          values.push([`${workload.metadata.name}/${variable.name}`, variable.value]);
      }
    }
  }
  return values;
}

describe('docs/subprocessors.md', () => {
  const rows = subprocessorRows();
  const egressColumn = 'Reached from (chart egress)';

  test('has a row for hosting, Stripe, each AI provider, the mail relay and the object store, each with its region', () => {
    const names = rows.map((row) => row.Subprocessor);
    for (const provider of [/Hosting/, /Stripe/, /Anthropic/, /Qwen/, /SMTP relay/, /object store/]) {
      expect(names.filter((name) => provider.test(name ?? ''))).toHaveLength(1);
    }
    for (const row of rows) expect(row.Region ?? '').not.toBe('');
  });

  /** Components with external egress that no row names in its egress column. */
  const unlisted = (egress: Map<string, string[]>) => {
    const named = new Set(
      rows.flatMap((row) => [...(row[egressColumn] ?? '').matchAll(/`([a-z-]+)`/g)].map((m) => m[1])),
    );
    return [...egress.keys()].filter((component) => !named.has(component));
  };

  test.each(CLUSTER_VALUES)(
    '%s: every component the NetworkPolicies let out of the cluster is in the table',
    async (file) => {
      const egress = externalEgress(await render(file));
      expect(unlisted(egress)).toEqual([]);
      // The shipped values do let these out, so the check above has something to check.
      expect([...egress.keys()]).toEqual(expect.arrayContaining(['ai-inference', 'billing', 'backup']));
    },
  );

  test('names a component that is let out without a row', async () => {
    const egress = externalEgress(
      await renderChart({
        valuesFiles: ['values.yaml'],
        set: [
          'components.gateway.egress[0].peers[0].ipBlock.cidr=203.0.113.0/24',
          'components.gateway.egress[0].ports[0]=443',
        ],
      }),
    );
    expect(unlisted(egress)).toEqual(['gateway']);
  });
});

describe('data residency', () => {
  test.each(CLUSTER_VALUES)('%s: every regional setting is Sydney (ap-southeast-2)', async (file) => {
    const env = envValues(await render(file));
    const regional = env.filter(([name, value]) => /_REGION$/.test(name) || /amazonaws\.com/.test(value));
    expect(regional.length).toBeGreaterThan(0);
    for (const [name, value] of regional) {
      const region = /_REGION$/.test(name)
        ? value
        : /\.([a-z]{2}-[a-z]+-\d)\.amazonaws\.com/.exec(value)?.[1];
      expect([name, region]).toEqual([name, AU]);
    }
  });

  test.each(CLUSTER_VALUES)(
    '%s: Qwen is pinned to Singapore, its nearest region, as docs/subprocessors.md says',
    async (file) => {
      const env = Object.fromEntries(envValues(await render(file)));
      expect(env['tracking-ai-inference/QWEN_BASE_URL']).toBe(QWEN_SINGAPORE);
      const doc = readFileSync(path.join(DOCS, 'subprocessors.md'), 'utf8');
      expect(doc).toContain(QWEN_SINGAPORE);
      expect(doc).toMatch(/Anthropic[^\n]*Cannot be pinned to a region/);
    },
  );
});
