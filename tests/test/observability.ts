import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { randomName, startProcess, type ManagedProcess } from '@tracking/kit/testing';
import { parse, stringify } from 'yaml';
import { z } from 'zod';

import { freePort } from './platform';

const ROOT = path.resolve(__dirname, '..', '..');
/** What the chart ships: the rules and the Alertmanager configuration, used here unchanged. */
export const RULES_DIR = path.join(ROOT, 'charts', 'tracking', 'files', 'prometheus', 'rules');
export const ALERTMANAGER_CONFIG = path.join(
  ROOT,
  'charts',
  'tracking',
  'files',
  'alertmanager',
  'alertmanager.yml',
);

export async function ruleFiles(): Promise<string[]> {
  return (await readdir(RULES_DIR))
    .filter((name) => name.endsWith('.yml'))
    .sort()
    .map((name) => path.join(RULES_DIR, name));
}

export interface Observability {
  prometheus: string;
  alertmanager: string;
  /** GET a Prometheus HTTP API path (e.g. /api/v1/query?query=up); the `data` of its answer. */
  api(pathAndQuery: string): Promise<unknown>;
  stop(): Promise<void>;
}

const apiAnswer = z.object({ status: z.literal('success'), data: z.unknown() });

/**
 * Debian's Prometheus and Alertmanager as local processes: Prometheus scrapes every service of a
 * running platform each second, one job per service as in production, and evaluates the
 * chart's rules against them; Alertmanager runs the chart's routing with every receiver pointed
 * at `webhookUrl` and the waits shortened, so an alert reaches the webhook within seconds.
 */
export async function startObservability(options: {
  targets: Record<string, string>;
  webhookUrl: string;
}): Promise<Observability> {
  const dir = path.join(tmpdir(), randomName('observability-'));
  await mkdir(dir, { recursive: true });
  const processes: ManagedProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map((process) => process.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const [prometheusPort, alertmanagerPort] = await Promise.all([freePort(), freePort()]);
    const alertmanagerConfig = path.join(dir, 'alertmanager.yml');
    await writeFile(alertmanagerConfig, await localAlertmanagerConfig(options.webhookUrl));
    const alertmanager = `http://127.0.0.1:${String(alertmanagerPort)}`;
    processes.push(
      await startProcess({
        name: 'alertmanager',
        env: {},
        command: [
          'prometheus-alertmanager',
          `--config.file=${alertmanagerConfig}`,
          `--storage.path=${path.join(dir, 'alertmanager-data')}`,
          `--web.listen-address=127.0.0.1:${String(alertmanagerPort)}`,
          // A single instance: no gossip port to bind.
          '--cluster.listen-address=',
        ],
        readyUrl: `${alertmanager}/-/ready`,
      }),
    );

    const prometheusConfig = path.join(dir, 'prometheus.yml');
    await writeFile(
      prometheusConfig,
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: await ruleFiles(),
        alerting: {
          alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${String(alertmanagerPort)}`] }] }],
        },
        scrape_configs: Object.entries(options.targets).map(([job, url]) => ({
          job_name: job,
          static_configs: [{ targets: [new URL(url).host] }],
        })),
      }),
    );
    const prometheus = `http://127.0.0.1:${String(prometheusPort)}`;
    processes.push(
      await startProcess({
        name: 'prometheus',
        env: {},
        command: [
          'prometheus',
          `--config.file=${prometheusConfig}`,
          `--storage.tsdb.path=${path.join(dir, 'prometheus-data')}`,
          `--web.listen-address=127.0.0.1:${String(prometheusPort)}`,
          // Exemplars: a security event's counter sample carries its trace and correlation ids.
          '--enable-feature=exemplar-storage',
        ],
        readyUrl: `${prometheus}/-/ready`,
      }),
    );
    return {
      prometheus,
      alertmanager,
      async api(pathAndQuery) {
        const response = await fetch(`${prometheus}${pathAndQuery}`);
        if (!response.ok)
          throw new Error(`${pathAndQuery}: ${String(response.status)} ${await response.text()}`);
        return apiAnswer.parse(await response.json()).data;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

interface Route {
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: Route[];
}

/**
 * The chart's Alertmanager configuration with its receivers pointed at the test's webhook and
 * its waits cut to a second; routing, grouping, inhibition and templates are as shipped.
 */
async function localAlertmanagerConfig(webhookUrl: string): Promise<string> {
  const config = parse(await readFile(ALERTMANAGER_CONFIG, 'utf8')) as {
    route: Route;
    receivers: { webhook_configs?: { url?: string }[] }[];
    templates?: string[];
  };
  const shorten = (route: Route) => {
    if (route.group_wait) route.group_wait = '1s';
    if (route.group_interval) route.group_interval = '1s';
    for (const child of route.routes ?? []) shorten(child);
  };
  shorten(config.route);
  config.route.group_wait = '1s';
  config.route.group_interval = '1s';
  for (const receiver of config.receivers) {
    for (const webhook of receiver.webhook_configs ?? []) webhook.url = webhookUrl;
  }
  config.templates = (config.templates ?? []).map((template) =>
    path.resolve(path.dirname(ALERTMANAGER_CONFIG), template),
  );
  return stringify(config);
}
