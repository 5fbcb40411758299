import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { at, CHART, renderChart, type Json, type Manifest } from './chart-render';

const VALUES_FILES = ['values.yaml', 'values-dev.yaml', 'values-staging.yaml', 'values-prod.yaml'];

const render = (valuesFile: string, ...set: string[]) => renderChart({ valuesFiles: [valuesFile], set });

function podSpec(manifest: Manifest): Json | undefined {
  if (manifest.kind === 'Deployment' || manifest.kind === 'Job')
    return at(manifest.spec, 'template', 'spec') as Json;
  if (manifest.kind === 'CronJob')
    return at(manifest.spec, 'jobTemplate', 'spec', 'template', 'spec') as Json;
  return undefined;
}

/**
 * What every workload the chart renders must be (docs/operations.md): the restricted Pod Security
 * profile, no service-account token, requests and limits, and for long-running pods the three
 * probes. Returns one line per breach, so a test can show exactly what is missing.
 */
function hardeningProblems(manifests: Manifest[]): string[] {
  const problems: string[] = [];
  for (const manifest of manifests) {
    const pod = podSpec(manifest);
    if (!pod) continue;
    const where = `${manifest.kind}/${manifest.metadata.name}`;
    const check = (ok: boolean, what: string) => {
      if (!ok) problems.push(`${where}: ${what}`);
    };
    check(pod.automountServiceAccountToken === false, 'mounts a service-account token');
    check(at(pod, 'securityContext', 'runAsNonRoot') === true, 'pod may run as root');
    check(
      at(pod, 'securityContext', 'seccompProfile', 'type') === 'RuntimeDefault',
      'pod lacks seccomp RuntimeDefault',
    );
    check(typeof pod.serviceAccountName === 'string', 'runs as the default service account');
    for (const container of (pod.containers ?? []) as Json[]) {
      const name = `container ${String(container.name)}`;
      const context = container.securityContext;
      check(at(context, 'runAsNonRoot') === true, `${name} may run as root`);
      check(Number(at(context, 'runAsUser')) > 0, `${name} has no non-root numeric UID`);
      check(at(context, 'readOnlyRootFilesystem') === true, `${name} has a writable root filesystem`);
      check(at(context, 'allowPrivilegeEscalation') === false, `${name} allows privilege escalation`);
      check(JSON.stringify(at(context, 'capabilities', 'drop')) === '["ALL"]', `${name} keeps capabilities`);
      check(
        at(context, 'seccompProfile', 'type') === 'RuntimeDefault',
        `${name} lacks seccomp RuntimeDefault`,
      );
      for (const kind of ['requests', 'limits'])
        for (const resource of ['cpu', 'memory'])
          check(
            at(container, 'resources', kind, resource) !== undefined,
            `${name} has no ${resource} ${kind}`,
          );
      if (manifest.kind === 'Deployment') {
        for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'])
          check(container[probe] !== undefined, `${name} has no ${probe}`);
      }
      // Secret values only ever come from Secrets, never inline.
      for (const variable of (container.env ?? []) as { name: string; value?: string }[])
        check(
          !(
            /(DATABASE_URL|ENCRYPTION_KEYS|_API_KEY|PASSWORD|SECRET|TOKEN)$/.test(variable.name) &&
            'value' in variable
          ),
          `${name} has ${variable.name} inline`,
        );
    }
  }
  return problems;
}

describe('the chart is hardened by default, in every environment', () => {
  test.each(VALUES_FILES)(
    '%s: every workload runs restricted, with resources, probes and no token',
    async (file) => {
      const manifests = await render(file);
      expect(manifests.filter((manifest) => podSpec(manifest)).length).toBeGreaterThanOrEqual(5);
      expect(hardeningProblems(manifests)).toEqual([]);
    },
  );

  test('a workload missing its securityContext is caught', async () => {
    const manifests = await render('values.yaml');
    const deployment = manifests.find((manifest) => manifest.kind === 'Deployment');
    const container = (podSpec(deployment as Manifest)?.containers as Json[])[0] as Json;
    delete container.securityContext;
    expect(hardeningProblems(manifests)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Deployment\/.+: container .+ may run as root$/)]),
    );
  });

  test.each(VALUES_FILES)(
    '%s: each component has its own ServiceAccount without a token, a PDB and a Service',
    async (file) => {
      const manifests = await render(file);
      const deployments = manifests.filter((manifest) => manifest.kind === 'Deployment');
      for (const deployment of deployments) {
        const name = deployment.metadata.name;
        const account = manifests.find(
          (m) => m.kind === 'ServiceAccount' && m.metadata.name === podSpec(deployment)?.serviceAccountName,
        );
        expect({ name, automount: account?.automountServiceAccountToken }).toEqual({
          name,
          automount: false,
        });
        expect(manifests.some((m) => m.kind === 'PodDisruptionBudget' && m.metadata.name === name)).toBe(
          true,
        );
        expect(manifests.some((m) => m.kind === 'Service' && m.metadata.name === name)).toBe(true);
      }
      // The chart never makes a Secret from values (the Alertmanager config, off by default, aside).
      expect(manifests.filter((manifest) => manifest.kind === 'Secret')).toEqual([]);
    },
  );

  test('network policies deny by default and allow exactly the call graph', async () => {
    const manifests = await render('values.yaml');
    const policies = manifests.filter((manifest) => manifest.kind === 'NetworkPolicy');
    const deny = policies.find((policy) => policy.metadata.name === 'tracking-default-deny');
    expect(deny?.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'tracking' } },
      policyTypes: ['Ingress', 'Egress'],
    });
    const peersOf = (component: string, direction: 'ingress' | 'egress') => {
      const policy = policies.find((p) => p.metadata.name === `tracking-${component}`);
      const rules = (policy?.spec?.[direction] ?? []) as Json[];
      return rules
        .flatMap((rule) => (rule[direction === 'ingress' ? 'from' : 'to'] ?? []) as Json[])
        .map((peer) => at(peer, 'podSelector', 'matchLabels', 'app.kubernetes.io/component'))
        .filter((value): value is string => typeof value === 'string')
        .sort();
    };
    expect(peersOf('gateway', 'ingress')).toEqual(['edge']);
    expect(peersOf('auth', 'ingress')).toEqual(['audit', 'gateway']);
    expect(peersOf('tracking', 'ingress')).toEqual(['gateway']);
    expect(peersOf('ai-inference', 'ingress')).toEqual(['gateway']);
    expect(peersOf('audit', 'ingress')).toEqual(['gateway']);
    expect(peersOf('gateway', 'egress')).toEqual(['ai-inference', 'audit', 'auth', 'tracking']);
    expect(peersOf('audit', 'egress')).toEqual(['auth']);
    expect(peersOf('tracking', 'egress')).toEqual([]);
    // The gateway reaches Postgres but not Kafka; auth both.
    const ports = (component: string) =>
      ((policies.find((p) => p.metadata.name === `tracking-${component}`)?.spec?.egress ?? []) as Json[])
        .flatMap((rule) => (rule.ports ?? []) as { port: number }[])
        .map((port) => port.port);
    expect(ports('gateway')).toContain(5432);
    expect(ports('gateway')).not.toContain(9092);
    expect(ports('auth')).toEqual(expect.arrayContaining([53, 5432, 9092]));
  });

  test('migrations run before install and upgrade as each database’s migration role', async () => {
    const jobs = (await render('values.yaml')).filter((manifest) => manifest.kind === 'Job');
    expect(jobs.map((job) => job.metadata.name).sort()).toEqual(
      ['ai-inference', 'audit', 'auth', 'gateway', 'tracking'].map((name) => `tracking-${name}-migrate`),
    );
    for (const job of jobs) {
      expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
      const env = (podSpec(job)?.containers as Json[])[0]?.env as { name: string; valueFrom?: unknown }[];
      const url = env.find((variable) => variable.name === 'DATABASE_URL');
      expect(at(url?.valueFrom, 'secretKeyRef', 'name')).toMatch(/-db-migrator$/);
    }
  });

  test('with Strimzi, every topic of the manifest the local scripts use becomes a KafkaTopic', async () => {
    const manifest = JSON.parse(await readFile(path.join(CHART, 'files', 'topics.json'), 'utf8')) as {
      topics: { name: string; partitions: number; retentionMs: number }[];
    };
    const topics = (await render('values.yaml', 'dependencies.strimzi.enabled=true')).filter(
      (manifest) => manifest.kind === 'KafkaTopic',
    );
    expect(
      topics.map((topic) => ({
        name: at(topic.spec, 'topicName'),
        partitions: at(topic.spec, 'partitions'),
        retentionMs: at(topic.spec, 'config', 'retention.ms'),
        cluster: topic.metadata.labels?.['strimzi.io/cluster'],
      })),
    ).toEqual(
      manifest.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions,
        retentionMs: topic.retentionMs,
        cluster: 'kafka',
      })),
    );
  });

  test('a values file with a typo, or a secret given as a plain setting, is refused', async () => {
    await expect(render('values.yaml', 'components.gateway.replicaz=3')).rejects.toThrow(/replicaz/);
    await expect(render('values.yaml', 'componentDefaults.resources.limits.gpu=1')).rejects.toThrow(/gpu/);
    await expect(
      render('values.yaml', 'components.auth.env.DATABASE_URL=postgres://u:p@db/auth'),
    ).rejects.toThrow(/DATABASE_URL|not/);
    await expect(render('values.yaml', 'components.billing.enabled=true')).rejects.toThrow(/billing/);
  });
});
