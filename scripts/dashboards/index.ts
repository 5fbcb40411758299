/**
 * Writes the Grafana dashboards, one file per dashboard, to
 * charts/tracking/files/grafana/dashboards/<uid>.json (charts/tracking/files/grafana/README.md).
 *   npx tsx scripts/dashboards/main.ts         regenerate them (npm run dashboards)
 *   npx tsx scripts/dashboards/main.ts --check   fail if a checked-in dashboard is stale, missing or extra
 * Every dashboard (one file each here) is built from the few panel builders in panels.ts, so they share one look, one data
 * source variable and one way of writing each query. Queries use only the metrics the services
 * export (see the metric names in each service's metrics module and packages/kit/src/metrics.ts).
 * Formatted by the repository's Prettier settings, so `prettier --check .` agrees with the files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { DashboardLink, Dashboard as GrafanaDashboard } from '@grafana/schema';
// Prettier's standalone build, because its Node entry loads its internals with import(), which
// jest's CommonJS runtime refuses without --experimental-vm-modules; the test renders too.
import type { Options } from 'prettier';
import * as babel from 'prettier/plugins/babel';
import * as estree from 'prettier/plugins/estree';
import { format } from 'prettier/standalone';

import { aiDashboard } from './ai';
import { backupsDashboard } from './backups';
import { billingDashboard } from './billing';
import { kafkaDashboard } from './kafka';
import { type Dashboard } from './model';
import { notificationsDashboard } from './notifications';
import { privacyDashboard } from './privacy';
import { securityDashboard } from './security';
import { redDashboard, SERVICES } from './services';

const ROOT = path.join(__dirname, '..', '..');

/** Grafana's dashboard by its own schema types; a link may leave out fields that have defaults. */
type GrafanaOutput = Omit<GrafanaDashboard, 'links'> & { links: Partial<DashboardLink>[] };
export const DASHBOARD_DIR = path.join(ROOT, 'charts', 'tracking', 'files', 'grafana', 'dashboards');

/** Every dashboard, in a stable order. */
export function dashboards(): Dashboard[] {
  return [
    securityDashboard(),
    ...SERVICES.map(redDashboard),
    kafkaDashboard(),
    aiDashboard(),
    backupsDashboard(),
    billingDashboard(),
    notificationsDashboard(),
    privacyDashboard(),
  ];
}

/**
 * What Grafana substitutes for the variables the queries use, with every variable at its
 * default (all instances, all jobs) and the default 6 h range; $__rate_interval is at least
 * four scrape intervals, 5m is safe for any scrape interval up to 75 s.
 */
export const VARIABLE_DEFAULTS: Readonly<Record<string, string>> = {
  __rate_interval: '5m',
  __range: '6h',
  instance: '.*',
  job: '.*',
};

export function interpolate(expr: string): string {
  return expr.replace(/\$(\w+)/g, (_match, name: string) => {
    const value = VARIABLE_DEFAULTS[name];
    if (value === undefined) throw new Error(`unknown Grafana variable $${name} in ${expr}`);
    return value;
  });
}

/**
 * Every PromQL expression the dashboards run, with Grafana's variables replaced by their
 * defaults (see VARIABLE_DEFAULTS), so each can be sent to Prometheus as it is: `dashboard` is
 * the dashboard's uid, `panel` the panel's title (unique within its dashboard).
 */
export function dashboardExpressions(): { dashboard: string; panel: string; expr: string }[] {
  return dashboards().flatMap((board) =>
    board.panels.flatMap((panel) =>
      panel.type === 'row'
        ? []
        : panel.targets.map((target) => ({
            dashboard: board.uid,
            panel: panel.title,
            expr: interpolate(target.expr),
          })),
    ),
  );
}

/** The file name and formatted content of every dashboard, as the generator writes them. */
export async function renderDashboards(): Promise<Map<string, string>> {
  // The repository's one Prettier config, which has no per-path overrides (resolveConfig is not
  // in the standalone build).
  const options = JSON.parse(readFileSync(path.join(ROOT, '.prettierrc.json'), 'utf8')) as Options;
  const files = new Map<string, string>();
  for (const board of dashboards()) {
    // What is written must be a dashboard by Grafana's own schema types, not only by ours.
    const checked: GrafanaOutput = board;
    files.set(
      `${board.uid}.json`,
      await format(JSON.stringify(checked, null, 2), {
        ...options,
        parser: 'json',
        plugins: [babel, estree],
      }),
    );
  }
  return files;
}

export function committedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  let names: string[] = [];
  try {
    names = readdirSync(DASHBOARD_DIR).filter((name) => name.endsWith('.json'));
  } catch {
    // no directory yet: every dashboard is missing
  }
  for (const name of names.sort()) files.set(name, readFileSync(path.join(DASHBOARD_DIR, name), 'utf8'));
  return files;
}

/** Which committed files differ from what the generator writes: stale, missing or extra. */
export async function staleDashboards(): Promise<string[]> {
  const expected = await renderDashboards();
  const current = committedFiles();
  const problems: string[] = [];
  for (const [name, content] of expected) {
    const found = current.get(name);
    if (found === undefined) problems.push(`${name} is missing`);
    else if (found !== content) problems.push(`${name} is stale`);
  }
  for (const name of current.keys()) {
    if (!expected.has(name)) problems.push(`${name} is not generated (extra)`);
  }
  return problems;
}
