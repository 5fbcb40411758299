import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { ALERTMANAGER_CONFIG, RULES_DIR } from '@tracking/testing';
import { parse } from 'yaml';

import { at, CHART, renderChart } from './chart-render';

const run = promisify(execFile);
const DASHBOARDS = path.join(CHART, 'files', 'grafana', 'dashboards');

const render = (...set: string[]) => renderChart({ set });

const page = 'https://pager.example.test/hooks/page';
const ticket = 'https://tickets.example.test/hooks/ticket';

describe('the chart ships the observability files as Kubernetes objects', () => {
  test('each rules file becomes one PrometheusRule whose spec is that file, unchanged', async () => {
    const rules = (await render('observability.prometheusRules.enabled=true')).filter(
      (manifest) => manifest.kind === 'PrometheusRule',
    );
    const files = (await readdir(RULES_DIR)).filter((name) => name.endsWith('.rules.yml')).sort();
    expect(rules.map((rule) => rule.metadata.name).sort()).toEqual(
      files.map((name) => `tracking-${name.replace('.rules.yml', '')}`),
    );
    for (const name of files) {
      const rule = rules.find(
        (manifest) => manifest.metadata.name === `tracking-${name.replace('.rules.yml', '')}`,
      );
      // Helm must not have touched the alert templates' {{ }} or the YAML anchors.
      expect(rule?.spec).toEqual(parse(await readFile(path.join(RULES_DIR, name), 'utf8'), { merge: true }));
    }
  });

  test('the operator can select the rules by label', async () => {
    const rules = (
      await render(
        'observability.prometheusRules.enabled=true',
        'observability.prometheusRules.labels.release=kube-prometheus-stack',
      )
    ).filter((manifest) => manifest.kind === 'PrometheusRule');
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) expect(rule.metadata.labels?.release).toBe('kube-prometheus-stack');
  });

  test('each dashboard becomes a ConfigMap the Grafana sidecar picks up, holding the committed JSON', async () => {
    const maps = (await render()).filter(
      (manifest) => manifest.kind === 'ConfigMap' && manifest.metadata.labels?.grafana_dashboard,
    );
    const files = (await readdir(DASHBOARDS)).filter((name) => name.endsWith('.json')).sort();
    expect(maps).toHaveLength(files.length);
    for (const name of files) {
      const map = maps.find((manifest) => manifest.data?.[name] !== undefined);
      expect(map?.metadata.labels?.grafana_dashboard).toBe('1');
      expect(map?.metadata.annotations?.grafana_folder).toBe('Tracking');
      expect(JSON.parse(map?.data?.[name] ?? '')).toEqual(
        JSON.parse(await readFile(path.join(DASHBOARDS, name), 'utf8')),
      );
    }
  });

  test('the Alertmanager config is off by default and refuses to render without both receivers', async () => {
    expect((await render()).some((manifest) => manifest.kind === 'Secret')).toBe(false);
    await expect(
      render('observability.alertmanager.enabled=true', `observability.alertmanager.pageWebhookUrl=${page}`),
    ).rejects.toThrow(/ticketWebhookUrl is required/);
    await expect(
      render('observability.alertmanager.pageWebhookUrl=ftp://pager.example.test'),
    ).rejects.toThrow(/pageWebhookUrl/);
  });

  test('enabled, it is the shipped routing with this deployment’s receivers, and amtool accepts it', async () => {
    const [secret] = (
      await render(
        'observability.alertmanager.enabled=true',
        `observability.alertmanager.pageWebhookUrl=${page}`,
        `observability.alertmanager.ticketWebhookUrl=${ticket}`,
      )
    ).filter((manifest) => manifest.kind === 'Secret');
    const files = secret?.stringData ?? {};
    const config = parse(files['alertmanager.yaml'] ?? '') as {
      receivers: { name: string; webhook_configs: { url: string }[] }[];
      route: unknown;
      inhibit_rules: unknown;
    };
    expect(
      Object.fromEntries(
        config.receivers.map((receiver) => [receiver.name, receiver.webhook_configs[0]?.url]),
      ),
    ).toEqual({
      'oncall-page': page,
      'oncall-ticket': ticket,
    });
    const shipped = parse(await readFile(ALERTMANAGER_CONFIG, 'utf8')) as typeof config;
    expect(config.route).toEqual(shipped.route);
    expect(config.inhibit_rules).toEqual(shipped.inhibit_rules);

    // Mounted as the Secret's files in one folder, the config finds its template and passes amtool.
    const dir = await mkdtemp(path.join(tmpdir(), 'alertmanager-'));
    try {
      for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
      expect(Object.keys(files).some((name) => name.endsWith('.tmpl'))).toBe(true);
      const { stdout } = await run('amtool', ['check-config', path.join(dir, 'alertmanager.yaml')]);
      expect(stdout).toMatch(/SUCCESS/);
      expect(stdout).toMatch(/Found:\s*\n\s*- global config/);
      expect(stdout).not.toMatch(/0 templates/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('the collector config is shipped for the collector to mount, with its redaction processor in every traces pipeline', async () => {
    const [map] = (await render()).filter((manifest) => manifest.metadata.name === 'tracking-otel-collector');
    const config = parse(map?.data?.['config.yaml'] ?? '') as {
      service: { pipelines: Record<string, { processors: string[] }> };
    };
    const traces = Object.entries(config.service.pipelines).filter(([name]) => name.startsWith('traces'));
    expect(traces.length).toBeGreaterThan(0);
    for (const [, pipeline] of traces) expect(pipeline.processors).toContain('redaction');
  });

  test('with CloudNativePG and PITR, WAL is archived through the Barman Cloud plugin and base backups are scheduled', async () => {
    const manifests = await render(
      'dependencies.cloudnativePg.enabled=true',
      'dependencies.cloudnativePg.pitr.enabled=true',
      'dependencies.cloudnativePg.pitr.endpointURL=https://s3.ap-southeast-2.amazonaws.com',
    );
    const find = (kind: string) => manifests.find((manifest) => manifest.kind === kind);
    expect(find('Cluster')?.spec).toMatchObject({
      postgresql: { parameters: { archive_timeout: '5min' } },
      plugins: [
        {
          name: 'barman-cloud.cloudnative-pg.io',
          isWALArchiver: true,
          parameters: { barmanObjectName: 'postgres-pitr' },
        },
      ],
    });
    const store = find('ObjectStore');
    expect(store?.apiVersion).toBe('barmancloud.cnpg.io/v1');
    expect(store?.metadata.name).toBe('postgres-pitr');
    // Its own prefix of the backup bucket, its own credentials (never the backup service's).
    expect(store?.spec).toMatchObject({
      retentionPolicy: '30d',
      configuration: {
        destinationPath: 's3://tracking-backups/pitr',
        s3Credentials: {
          accessKeyId: { name: 'tracking-pitr-s3', key: 'access-key-id' },
          secretAccessKey: { name: 'tracking-pitr-s3', key: 'secret-access-key' },
        },
      },
    });
    expect(find('ScheduledBackup')?.spec).toEqual({
      schedule: '0 0 3 * * 0',
      backupOwnerReference: 'self',
      cluster: { name: 'postgres' },
      method: 'plugin',
      pluginConfiguration: { name: 'barman-cloud.cloudnative-pg.io' },
    });

    // The plugin's CRD is not among the schemas scripts/chart-check.sh has (charts/chart-checks.yaml),
    // but its configuration is the Cluster CRD's barmanObjectStore: check it against that, strictly.
    const { stdout: tools } = await run('bash', [
      '-c',
      'source "$1" && printf "%s\\n%s" "$SCHEMA_PYTHON" "$CRD_SCHEMAS"',
      'chart-tools',
      path.resolve(CHART, '..', '..', 'scripts', 'chart-tools.sh'),
    ]);
    const [python = '', schemas = ''] = tools.split('\n');
    const check = (configuration: unknown) =>
      run(python, [
        '-c',
        [
          'import json, sys, jsonschema',
          'schema = json.load(open(sys.argv[1]))',
          "store = schema['properties']['spec']['properties']['backup']['properties']['barmanObjectStore']",
          'jsonschema.validate(json.loads(sys.argv[2]), store)',
        ].join('\n'),
        path.join(schemas, 'cluster-postgresql.cnpg.io-v1.json'),
        JSON.stringify(configuration),
      ]);
    const configuration = (store?.spec as { configuration: Record<string, unknown> }).configuration;
    await expect(check(configuration)).resolves.toBeDefined();
    await expect(check({ ...configuration, destinationPth: 's3://x' })).rejects.toThrow(/destinationPth/);

    // Off by default: no plugin, no ObjectStore.
    const plain = await render('dependencies.cloudnativePg.enabled=true');
    expect(plain.map((manifest) => manifest.kind)).not.toContain('ObjectStore');
    expect(plain.find((manifest) => manifest.kind === 'Cluster')?.spec).not.toHaveProperty('plugins');
  });

  test('every mounted file a service is told to read is mounted: the principal key, the Stripe secrets', async () => {
    const deployments = (await renderChart({ valuesFiles: ['values-prod.yaml'] })).filter(
      (manifest) => manifest.kind === 'Deployment',
    );
    const unmounted: string[] = [];
    for (const deployment of deployments) {
      const pod = at(deployment, 'spec', 'template', 'spec') as {
        containers: { env?: { name: string; value?: string }[]; volumeMounts?: { mountPath: string }[] }[];
      };
      for (const container of pod.containers) {
        const mounts = (container.volumeMounts ?? []).map((mount) => mount.mountPath);
        for (const variable of container.env ?? []) {
          if (!/_FILES?$/.test(variable.name) || !variable.value?.startsWith('/var/run/secrets/')) continue;
          for (const file of variable.value.split(',')) {
            if (!mounts.some((mount) => file.startsWith(`${mount}/`))) {
              unmounted.push(`${deployment.metadata.name}: ${variable.name}=${file}`);
            }
          }
        }
      }
    }
    expect(unmounted).toEqual([]);
    const billing = deployments.find((deployment) => deployment.metadata.name === 'tracking-billing');
    expect(JSON.stringify(billing)).toContain('PRINCIPAL_PUBLIC_KEY_FILES');
  });

  test('values outside the schema are refused', async () => {
    await expect(render('observability.promethusRules.enabled=false')).rejects.toThrow(
      /additional properties/,
    );
  });

  test("the gateway's RATE_LIMITS_LIFTED (for a fuzz run on a test stack) cannot be deployed", async () => {
    await expect(render('components.gateway.env.RATE_LIMITS_LIFTED=true')).rejects.toThrow(
      /RATE_LIMITS_LIFTED/,
    );
  });
});
