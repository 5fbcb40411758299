import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { parse, stringify } from 'yaml';

import { REPO_ROOT } from './repo';

/**
 * Prometheus and Alertmanager configurations for running the chart's alerting on one machine:
 * the end-to-end tests and the local stack (scripts/observability.ts) both use these, so what
 * they run is the shipped rules and routing, with only the targets, receiver and waits local.
 */
export const RULES_DIR = path.join(REPO_ROOT, 'charts', 'tracking', 'files', 'prometheus', 'rules');
export const ALERTMANAGER_CONFIG = path.join(
  REPO_ROOT,
  'charts',
  'tracking',
  'files',
  'alertmanager',
  'alertmanager.yml',
);

/** The chart's rules files, sorted. */
export async function ruleFiles(): Promise<string[]> {
  return (await readdir(RULES_DIR))
    .filter((name) => name.endsWith('.rules.yml'))
    .sort()
    .map((name) => path.join(RULES_DIR, name));
}

/** One scrape job per service, named after it as in production, so `job` means the same everywhere. */
export async function prometheusConfig(options: {
  /** Service name → its ops server's base URL. */
  targets: Record<string, string>;
  /** host:port of the Alertmanager. */
  alertmanager: string;
  /** Scrape and rule-evaluation interval, e.g. '1s' in tests. */
  interval: string;
}): Promise<string> {
  return stringify({
    global: { scrape_interval: options.interval, evaluation_interval: options.interval },
    rule_files: await ruleFiles(),
    alerting: { alertmanagers: [{ static_configs: [{ targets: [options.alertmanager] }] }] },
    scrape_configs: Object.entries(options.targets).map(([job, url]) => ({
      job_name: job,
      static_configs: [{ targets: [new URL(url).host] }],
    })),
  });
}

interface Route {
  group_wait?: string;
  group_interval?: string;
  routes?: Route[];
}

/**
 * The chart's Alertmanager configuration with every receiver pointed at `webhookUrl` and each
 * group's first wait and interval set to `wait`; routing, grouping, inhibition and templates
 * stay as shipped.
 */
export async function alertmanagerConfig(options: { webhookUrl: string; wait: string }): Promise<string> {
  const config = parse(await readFile(ALERTMANAGER_CONFIG, 'utf8')) as {
    route: Route;
    receivers: { webhook_configs?: { url?: string }[] }[];
    templates?: string[];
  };
  const shorten = (route: Route) => {
    route.group_wait = options.wait;
    route.group_interval = options.wait;
    for (const child of route.routes ?? []) shorten(child);
  };
  shorten(config.route);
  for (const receiver of config.receivers) {
    for (const webhook of receiver.webhook_configs ?? []) webhook.url = options.webhookUrl;
  }
  config.templates = (config.templates ?? []).map((template) =>
    path.resolve(path.dirname(ALERTMANAGER_CONFIG), template),
  );
  return stringify(config);
}
