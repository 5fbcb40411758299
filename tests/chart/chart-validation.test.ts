import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { stringify } from 'yaml';

import { at, renderChart } from './chart-render';

// scripts/chart-check.sh: the offline checks of the rendered chart (docs/chart-checks.md). Its
// tools come from `scripts/chart-tools.sh install`, which npm test runs first.
const run = promisify(execFile);
const CHECK = path.resolve(__dirname, '..', '..', 'scripts', 'chart-check.sh');

interface Result {
  code: number;
  output: string;
}

async function chartCheck(...args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run('bash', [CHECK, ...args], { maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      output: `${failed.stdout ?? ''}${failed.stderr ?? ''}`,
    };
  }
}

type Json = Record<string, unknown>;

const labels = { app: 'demo' };
const securityContext = {
  runAsNonRoot: true,
  runAsUser: 65532,
  runAsGroup: 65532,
  seccompProfile: { type: 'RuntimeDefault' },
};

/** A hardened workload as the chart's component template makes one: every check passes it. */
function workload(): { deployment: Json & { spec: Json }; pod: Json; container: Json; rest: Json[] } {
  const container: Json = {
    name: 'demo',
    image: 'registry.example.test/demo:1.0.0',
    imagePullPolicy: 'IfNotPresent',
    ports: [{ name: 'http', containerPort: 8080 }],
    securityContext: {
      ...securityContext,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
    },
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
    livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
    readinessProbe: { httpGet: { path: '/readyz', port: 'http' } },
  };
  const pod: Json = {
    serviceAccountName: 'demo',
    automountServiceAccountToken: false,
    securityContext: { ...securityContext },
    containers: [container],
  };
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'demo', labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: pod },
    } as Json,
  };
  const rest: Json[] = [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'demo' },
      automountServiceAccountToken: false,
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'demo' },
      spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'demo' },
      spec: {
        podSelector: { matchLabels: labels },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ ports: [{ port: 8080 }] }],
      },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'demo' },
      spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
    },
  ];
  return { deployment, pod, container, rest };
}

let dir: string;
let files = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'chart-check-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes the objects as one multi-document YAML file; its path. */
async function manifests(objects: Json[]): Promise<string> {
  const file = path.join(dir, `manifests-${String(++files)}.yaml`);
  await writeFile(file, objects.map((object) => stringify(object)).join('---\n'));
  return file;
}

describe('the offline chart checks', () => {
  test('pass a hardened workload with its Service, NetworkPolicy and PodDisruptionBudget', async () => {
    const { deployment, rest } = workload();
    const result = await chartCheck('--manifests', await manifests([deployment, ...rest]));
    expect(result.output).toMatch(/^ok .*5 documents, 5 built-in .*kube-score and checkov clean$/m);
    expect(result.code).toBe(0);
  });

  test('refuse an unknown field, naming the document, the object and the field', async () => {
    const { deployment, container, rest } = workload();
    container.securityContxt = container.securityContext;
    const result = await chartCheck('--manifests', await manifests([deployment, ...rest]));
    expect(result.code).toBe(1);
    expect(result.output).toMatch(
      /FAIL .*Deployment demo \(apps\/v1\): spec\.template\.spec\.containers\[0\]: .*'securityContxt' was unexpected/,
    );
  });

  test('refuse a value of the wrong type', async () => {
    const { deployment, rest } = workload();
    deployment.spec.replicas = 'two';
    const result = await chartCheck('--manifests', await manifests([deployment, ...rest]));
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/FAIL .*Deployment demo .*spec\.replicas: 'two' is not of type 'integer'/);
  });

  test('flag a container without a security context, and one that may run as root', async () => {
    const bare = workload();
    delete bare.container.securityContext;
    delete bare.pod.securityContext;
    const root = workload();
    root.container.securityContext = { ...(root.container.securityContext as Json), runAsUser: 0 };
    delete (root.container.securityContext as Json).runAsNonRoot;
    delete (root.pod.securityContext as Json).runAsNonRoot;
    delete (root.pod.securityContext as Json).runAsUser;

    const noContext = await chartCheck('--manifests', await manifests([bare.deployment, ...bare.rest]));
    expect(noContext.code).toBe(1);
    expect(noContext.output).not.toMatch(/schema validation failed/);
    expect(noContext.output).toMatch(
      /kube-score found problems[^]*\(demo\) Container has no configured security context/,
    );
    expect(noContext.output).toMatch(
      /checkov found problems[^]*\[CKV_K8S_23\] Deployment\.\S*demo: .*root containers/,
    );

    const asRoot = await chartCheck('--manifests', await manifests([root.deployment, ...root.rest]));
    expect(asRoot.code).toBe(1);
    expect(asRoot.output).toMatch(/\[CKV_K8S_23\] Deployment\.\S*demo: .*root containers/);
    expect(asRoot.output).toMatch(/\(demo\) The container is running with a low user ID/);
  });

  test('check custom resources against their CRD, and refuse a kind without a schema', async () => {
    const rule = (group: Json): Json => ({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'demo' },
      spec: { groups: [{ name: 'demo', ...group }] },
    });
    const widget = { apiVersion: 'widgets.example.test/v1', kind: 'Widget', metadata: { name: 'demo' } };
    const result = await chartCheck('--manifests', await manifests([rule({ rulez: [] }), widget]));
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/FAIL .*PrometheusRule demo .*spec\.groups\[0\]: .*'rulez' was unexpected/);
    expect(result.output).toMatch(/FAIL .*Widget demo .*no schema for widgets\.example\.test\/v1 Widget/);

    const valid = await chartCheck(
      '--manifests',
      await manifests([rule({ rules: [{ record: 'demo:up', expr: 'up' }] })]),
    );
    expect(valid.output).toMatch(/^ok .*1 documents, 0 built-in and 1 custom resources/m);
    expect(valid.code).toBe(0);
  });

  test('fail on values the chart refuses to render', async () => {
    const values = path.join(dir, 'bad-values.yaml');
    await writeFile(values, stringify({ observability: { promethusRules: { enabled: false } } }));
    const result = await chartCheck(values);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(
      new RegExp(`^${values.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: helm template failed`, 'm'),
    );
  });

  test("pass the chart's backup CronJob as rendered, and flag one without a starting deadline or that may escalate privileges", async () => {
    const rendered = (await renderChart()) as unknown as (Json & {
      kind: string;
      metadata: { name: string };
      spec: Json;
    })[];
    const pick = (kind: string, name: string) => {
      const found = rendered.find((object) => object.kind === kind && object.metadata.name === name);
      if (!found) throw new Error(`no ${kind}/${name} rendered`);
      return structuredClone(found);
    };
    const objects = () => ({
      cronJob: pick('CronJob', 'tracking-backup-backup'),
      rest: [pick('ServiceAccount', 'tracking-backup'), pick('NetworkPolicy', 'tracking-backup-cronjob')],
    });

    const asRendered = objects();
    const ok = await chartCheck('--manifests', await manifests([asRendered.cronJob, ...asRendered.rest]));
    expect(ok.output).toMatch(/^ok .*3 documents, 3 built-in .*kube-score and checkov clean$/m);
    expect(ok.code).toBe(0);

    const noDeadline = objects();
    delete noDeadline.cronJob.spec.startingDeadlineSeconds;
    const late = await chartCheck('--manifests', await manifests([noDeadline.cronJob, ...noDeadline.rest]));
    expect(late.code).toBe(1);
    expect(late.output).toMatch(/kube-score found problems[^]*CronJob.*startingDeadlineSeconds/i);

    const escalating = objects();
    const container = at(escalating.cronJob.spec, 'jobTemplate', 'spec', 'template', 'spec', 'containers', 0);
    (container as { securityContext: Json }).securityContext.allowPrivilegeEscalation = true;
    const escalates = await chartCheck(
      '--manifests',
      await manifests([escalating.cronJob, ...escalating.rest]),
    );
    expect(escalates.code).toBe(1);
    expect(escalates.output).toMatch(/\[CKV_K8S_20\] CronJob\.\S*tracking-backup-backup/);
  });

  test('pass the chart as it is, with its default values: every document valid, no linter finding', async () => {
    const result = await chartCheck();
    expect(result.output).toMatch(
      /^ok defaults: \d+ documents, .*unknown fields refused; kube-score and checkov clean$/m,
    );
    expect(result.code).toBe(0);
  });
});
