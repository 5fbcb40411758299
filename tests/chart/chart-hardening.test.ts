import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { parse } from 'yaml';

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
    // notifications: GetContact, a user id's address (docs/notifications.md).
    expect(peersOf('auth', 'ingress')).toEqual(['audit', 'gateway', 'notifications']);
    expect(peersOf('tracking', 'ingress')).toEqual(['gateway']);
    expect(peersOf('ai-inference', 'ingress')).toEqual(['gateway']);
    expect(peersOf('audit', 'ingress')).toEqual(['gateway']);
    // billing: gRPC from the gateway, Stripe's webhooks from the edge; backup: from the gateway
    // (the admin console's runs and drills, #23).
    expect(peersOf('billing', 'ingress')).toEqual(['edge', 'gateway']);
    expect(peersOf('backup', 'ingress')).toEqual(['gateway']);
    // privacy: the gateway's privacy routes (#22); it calls no service, only the object store.
    expect(peersOf('privacy', 'ingress')).toEqual(['gateway']);
    // The web app's files: for the edge only.
    expect(peersOf('web', 'ingress')).toEqual(['edge']);
    // Nothing calls the notifications service: it reads its work from Kafka.
    expect(peersOf('notifications', 'ingress')).toEqual([]);
    expect(peersOf('gateway', 'egress')).toEqual([
      'ai-inference',
      'audit',
      'auth',
      'backup',
      'billing',
      'privacy',
      'tracking',
    ]);
    expect(peersOf('audit', 'egress')).toEqual(['auth']);
    expect(peersOf('tracking', 'egress')).toEqual([]);
    expect(peersOf('billing', 'egress')).toEqual([]);
    expect(peersOf('backup', 'egress')).toEqual([]);
    expect(peersOf('privacy', 'egress')).toEqual([]);
    expect(peersOf('web', 'egress')).toEqual([]);
    expect(peersOf('notifications', 'egress')).toEqual(['auth']);
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
      [
        'ai-inference',
        'audit',
        'auth',
        'backup',
        'billing',
        'gateway',
        'notifications',
        'privacy',
        'tracking',
      ].map((name) => `tracking-${name}-migrate`),
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
    await expect(render('values.yaml', 'components.billling.enabled=true')).rejects.toThrow(/billling/);
  });

  test.each([
    'STRIPE_SECRET_KEY=sk_live_canary',
    'STRIPE_WEBHOOK_SECRET=whsec_canary',
    'STRIPE_API_KEY=sk_live_canary',
    'AWS_SECRET_ACCESS_KEY=canary',
    'S3_ACCESS_KEY_ID=canary',
    'BACKUP_KEK_PASSPHRASE=canary',
    'SIGNING_PRIVATE_KEY=canary',
    'KAFKA_SASL_PASSWORD=canary',
  ])('a secret-looking plain setting (%s) is refused', async (setting) => {
    await expect(render('values.yaml', `components.billing.env.${setting}`)).rejects.toThrow(
      /values don't meet the specifications of the schema/,
    );
  });

  test('a setting that names a mounted secret file or folder is accepted', async () => {
    const manifests = await render(
      'values.yaml',
      'components.billing.env.STRIPE_SECRET_KEY_FILE=/var/run/secrets/tracking/stripe/secret-key',
      'components.backup.env.S3_CREDENTIALS_DIR=/var/run/secrets/tracking/backup/s3',
    );
    expect(manifests.some((manifest) => manifest.metadata.name === 'tracking-billing')).toBe(true);
  });
});

describe('billing and backup', () => {
  const policy = (manifests: Manifest[], name: string) => {
    const found = manifests.find((m) => m.kind === 'NetworkPolicy' && m.metadata.name === name);
    if (!found) throw new Error(`no NetworkPolicy ${name}`);
    return found.spec as { ingress?: Json[]; egress: Json[] };
  };
  const privateRanges = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16'];

  test('billing takes gRPC only from the gateway and Stripe’s webhooks only from the edge, on their own ports', async () => {
    const ingress = policy(await render('values.yaml'), 'tracking-billing').ingress ?? [];
    const component = (rule: Json) =>
      ((rule.from ?? []) as Json[]).map((peer) =>
        at(peer, 'podSelector', 'matchLabels', 'app.kubernetes.io/component'),
      );
    const ports = (rule: Json) => ((rule.ports ?? []) as { port: number }[]).map((port) => port.port);
    expect(ingress.map((rule) => ({ from: component(rule), ports: ports(rule) }))).toEqual([
      { from: ['gateway'], ports: [15059] },
      { from: ['edge'], ports: [8089] },
      // The monitoring namespace (a namespaceSelector, no component) on the ops port.
      { from: [undefined], ports: [9109] },
    ]);
    // The gateway finds billing through BILLING_GRPC_ADDR.
    const gateway = (await render('values.yaml')).find(
      (m) => m.kind === 'Deployment' && m.metadata.name === 'tracking-gateway',
    );
    const env = (podSpec(gateway as Manifest)?.containers as Json[])[0]?.env as Json[];
    expect(env).toContainEqual({ name: 'BILLING_GRPC_ADDR', value: 'tracking-billing:15059' });
  });

  test.each(VALUES_FILES)(
    '%s: billing reaches Stripe only over HTTPS to public addresses, never the cluster’s private ranges',
    async (file) => {
      const egress = policy(await render(file), 'tracking-billing').egress;
      const https = egress.filter((rule) =>
        ((rule.ports ?? []) as { port: number }[]).some((port) => port.port === 443),
      );
      expect(https).toEqual([
        {
          to: [{ ipBlock: { cidr: '0.0.0.0/0', except: privateRanges } }],
          ports: [{ port: 443, protocol: 'TCP' }],
        },
      ]);
    },
  );

  test('backup reaches the object store, every database and Kafka; only the gateway calls it', async () => {
    const manifests = await render('values.yaml');
    for (const name of ['tracking-backup', 'tracking-backup-cronjob']) {
      const { ingress, egress } = policy(manifests, name);
      const ports = egress.flatMap((rule) => ((rule.ports ?? []) as { port: number }[]).map((p) => p.port));
      expect({ name, ports: [...new Set(ports)].sort((a, b) => a - b) }).toEqual({
        name,
        ports: [53, 443, 5432, 9092],
      });
      expect(egress).toContainEqual({
        to: [{ ipBlock: { cidr: '0.0.0.0/0', except: privateRanges } }],
        ports: [{ port: 443, protocol: 'TCP' }],
      });
      // The Deployment: gRPC from the gateway, and the monitoring scrape on the ops port. The
      // CronJobs' pods: nothing.
      expect({ name, ingress }).toEqual({
        name,
        ingress:
          name === 'tracking-backup'
            ? [
                {
                  from: [
                    {
                      podSelector: {
                        matchLabels: {
                          'app.kubernetes.io/component': 'gateway',
                          'app.kubernetes.io/instance': 'tracking',
                        },
                      },
                    },
                  ],
                  ports: [{ port: 15061, protocol: 'TCP' }],
                },
                {
                  from: [
                    { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
                  ],
                  ports: [{ port: 9111, protocol: 'TCP' }],
                },
              ]
            : [],
      });
    }
    // In the dev values, the object store is the namespace's MinIO.
    const dev = policy(await render('values-dev.yaml'), 'tracking-backup-cronjob').egress;
    expect(dev).toContainEqual({
      to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'minio' } } }],
      ports: [{ port: 9000, protocol: 'TCP' }],
    });
  });

  test.each(VALUES_FILES)(
    '%s: the backup, the restore drill and retention run as CronJobs that never overlap, with deadlines and the hardened pod',
    async (file) => {
      const manifests = await render(file);
      const cronJobs = manifests.filter((manifest) => manifest.kind === 'CronJob');
      expect(cronJobs.map((job) => job.metadata.name).sort()).toEqual([
        'tracking-auth-retention',
        'tracking-backup-backup',
        'tracking-backup-drill',
        'tracking-backup-prune',
        'tracking-privacy-purge-exports',
        'tracking-tracking-retention',
      ]);
      // Each run: its component, schedule, retries, deadline and command. The retention jobs run
      // daily, so RetentionJobStale (48 h) means two missed runs (docs/privacy.md, "Retention").
      const node = ['/nodejs/bin/node', '--enable-source-maps', '--import', 'tsx'];
      const runs: Record<
        string,
        {
          component: string;
          schedule: string;
          backoffLimit: number;
          activeDeadlineSeconds: number;
          command: string[];
        }
      > = {
        'tracking-backup-backup': {
          component: 'backup',
          schedule: '17 2 * * *',
          backoffLimit: 1,
          activeDeadlineSeconds: 14400,
          command: [...node, 'services/backup/src/cli.ts', 'backup'],
        },
        'tracking-backup-drill': {
          component: 'backup',
          schedule: '43 4 * * 0',
          backoffLimit: 0,
          activeDeadlineSeconds: 14400,
          command: [...node, 'services/backup/src/cli.ts', 'drill'],
        },
        'tracking-backup-prune': {
          component: 'backup',
          schedule: '47 5 * * *',
          backoffLimit: 1,
          activeDeadlineSeconds: 3600,
          command: [...node, 'services/backup/src/cli.ts', 'prune'],
        },
        'tracking-tracking-retention': {
          component: 'tracking',
          schedule: '23 3 * * *',
          backoffLimit: 1,
          activeDeadlineSeconds: 1800,
          command: [...node, 'services/tracking/src/retention-cli.ts'],
        },
        'tracking-auth-retention': {
          component: 'auth',
          schedule: '29 3 * * *',
          backoffLimit: 1,
          activeDeadlineSeconds: 1800,
          command: [...node, 'services/auth/src/retention-cli.ts'],
        },
        'tracking-privacy-purge-exports': {
          component: 'privacy',
          schedule: '35 3 * * *',
          backoffLimit: 1,
          activeDeadlineSeconds: 1800,
          command: [...node, 'services/privacy/src/cli.ts', 'purge-exports'],
        },
      };
      for (const job of cronJobs) {
        const expected = runs[job.metadata.name];
        const component = expected?.component ?? '';
        const deployment = manifests.find(
          (m) => m.kind === 'Deployment' && m.metadata.name === `tracking-${component}`,
        ) as Manifest;
        const service = manifests.find(
          (m) => m.kind === 'Service' && m.metadata.name === `tracking-${component}`,
        );
        const pod = podSpec(job) as Json;
        const container = (pod.containers as Json[])[0] as Json;
        expect(job.spec).toMatchObject({
          schedule: expected?.schedule,
          timeZone: 'Etc/UTC',
          concurrencyPolicy: 'Forbid',
          startingDeadlineSeconds: 3600,
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            spec: {
              backoffLimit: expected?.backoffLimit,
              activeDeadlineSeconds: expected?.activeDeadlineSeconds,
            },
          },
        });
        expect(container.command).toEqual(expected?.command);
        // The component's pod: its ServiceAccount, security contexts, settings and Secrets.
        const deployed = podSpec(deployment) as Json;
        const deployedContainer = (deployed.containers as Json[])[0] as Json;
        expect(pod).toMatchObject({
          restartPolicy: 'Never',
          serviceAccountName: `tracking-${component}`,
          automountServiceAccountToken: false,
          securityContext: deployed.securityContext,
        });
        expect(container.securityContext).toEqual(deployedContainer.securityContext);
        // All but the component's gRPC certificate: the runs call nobody over gRPC (zero-trust.test.ts).
        const grpcIdentity = (entry: Json) =>
          entry.name === 'mtls' || /^GRPC_(TLS_|ALLOWED_CALLERS$)/.test(String(entry.name));
        expect(container.env).toEqual(
          (deployedContainer.env as Json[]).filter((entry) => !grpcIdentity(entry)),
        );
        expect(container.volumeMounts).toEqual(
          (deployedContainer.volumeMounts as Json[]).filter((entry) => !grpcIdentity(entry)),
        );
        // A small /tmp: the dump streams to the object store, never to disk.
        expect((pod.volumes as Json[]).find((volume) => volume.name === 'tmp')).toEqual({
          name: 'tmp',
          emptyDir: { sizeLimit: '16Mi' },
        });
        // Not behind the component's Service, and matched by its own NetworkPolicy.
        const labels = at(job.spec, 'jobTemplate', 'spec', 'template', 'metadata', 'labels') as Record<
          string,
          string
        >;
        const selector = at(service?.spec, 'selector') as Record<string, string>;
        expect(Object.entries(selector).every(([key, value]) => labels[key] === value)).toBe(false);
        expect(labels['app.kubernetes.io/component']).toBe(`${component}-cronjob`);
      }
      expect(hardeningProblems(cronJobs)).toEqual([]);
    },
  );

  test('the backup service reads the topics manifest and the values in use, with anything that may carry a credential removed', async () => {
    const manifests = await render(
      'values-prod.yaml',
      'observability.alertmanager.enabled=true',
      'observability.alertmanager.pageWebhookUrl=https://pager.example.test/hooks/page?token=canary-page',
      'observability.alertmanager.ticketWebhookUrl=https://tickets.example.test/hooks/canary-ticket',
      'global.otel.endpoint=https://collector:canary-password@otel.example.test:4318',
    );
    const config = manifests.find(
      (m) => m.kind === 'ConfigMap' && m.metadata.name === 'tracking-backup-release',
    );
    const topics = await readFile(path.join(CHART, 'files', 'topics.json'), 'utf8');
    expect(JSON.parse(config?.data?.['topics.json'] ?? '')).toEqual(JSON.parse(topics));
    const values = config?.data?.['values.yaml'] ?? '';
    expect(values).not.toMatch(/canary/);
    const parsed = parse(values) as Json;
    expect(at(parsed, 'observability', 'alertmanager', 'pageWebhookUrl')).toBe(
      '<removed: may carry a token>',
    );
    expect(at(parsed, 'global', 'otel', 'endpoint')).toBe('https://<removed>@otel.example.test:4318');
    // The rest is the values in use: here, prod's.
    expect(at(parsed, 'components', 'backup', 'env', 'S3_BUCKET')).toBe('tracking-backups-prod');
    // Mounted where BACKUP_CONFIG_FILES points, in the Deployment and both CronJobs.
    for (const workload of manifests.filter(
      (m) =>
        (m.kind === 'Deployment' || m.kind === 'CronJob') && m.metadata.name.startsWith('tracking-backup'),
    )) {
      const pod = podSpec(workload) as Json;
      const container = (pod.containers as Json[])[0] as Json;
      expect((pod.volumes as Json[]).find((volume) => volume.name === 'release-config')).toEqual({
        name: 'release-config',
        configMap: { name: 'tracking-backup-release' },
      });
      expect(container.volumeMounts).toContainEqual({
        name: 'release-config',
        mountPath: '/etc/tracking/release',
        readOnly: true,
      });
      expect(container.env).toContainEqual({
        name: 'BACKUP_CONFIG_FILES',
        value: '/etc/tracking/release/topics.json,/etc/tracking/release/values.yaml',
      });
    }
  });

  test('a CronJob that would overlap or run as root cannot be configured', async () => {
    await expect(
      render('values.yaml', 'components.backup.cronJobs.backup.concurrencyPolicy=Allow'),
    ).rejects.toThrow(/concurrencyPolicy/);
    await expect(
      render('values.yaml', 'components.backup.cronJobs.backup.securityContext.runAsUser=0'),
    ).rejects.toThrow(/securityContext/);
    await expect(render('values.yaml', 'components.backup.cronJobs.backup.schedule=daily')).rejects.toThrow(
      /schedule/,
    );
  });
});
