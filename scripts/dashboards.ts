/**
 * Writes the Grafana dashboards, one file per dashboard, to
 * charts/tracking/files/grafana/dashboards/<uid>.json (charts/tracking/files/grafana/README.md).
 *   npx tsx scripts/dashboards.ts           regenerate them (npm run dashboards)
 *   npx tsx scripts/dashboards.ts --check   fail if a checked-in dashboard is stale, missing or extra
 * Every dashboard is built from the few panel builders below, so they share one look, one data
 * source variable and one way of writing each query. Queries use only the metrics the services
 * export (see the metric names in each service's metrics module and packages/kit/src/metrics.ts).
 * Formatted by the repository's Prettier settings, so `prettier --check .` agrees with the files.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// Prettier's standalone build, because its Node entry loads its internals with import(), which
// jest's CommonJS runtime refuses without --experimental-vm-modules; the test renders too.
import type { Options } from 'prettier';
import * as babel from 'prettier/plugins/babel';
import * as estree from 'prettier/plugins/estree';
import { format } from 'prettier/standalone';

const ROOT = path.join(__dirname, '..');
export const DASHBOARD_DIR = path.join(ROOT, 'charts', 'tracking', 'files', 'grafana', 'dashboards');
const USAGE = 'usage: scripts/dashboards.ts [--check]';

// ---------------------------------------------------------------------------------------------
// Grafana's JSON model (the parts these dashboards use)

/** Every panel and query reads from the data source the `datasource` variable picks. */
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;
type Datasource = typeof DATASOURCE;

export interface Target {
  refId: string;
  datasource: Datasource;
  expr: string;
  legendFormat: string;
  range: boolean;
  instant: boolean;
  format?: 'table';
  exemplar?: boolean;
}

interface Threshold {
  color: string;
  value: number | null;
}

interface Override {
  matcher: { id: 'byName' | 'byRegexp'; options: string };
  properties: { id: string; value: unknown }[];
}

interface ValueMapping {
  type: 'value';
  options: Record<string, { text: string; color: string; index: number }>;
}

export interface GridPos {
  h: number;
  w: number;
  x: number;
  y: number;
}

export interface QueryPanel {
  id: number;
  type: 'timeseries' | 'stat' | 'gauge' | 'bargauge' | 'table';
  title: string;
  description: string;
  gridPos: GridPos;
  datasource: Datasource;
  targets: Target[];
  fieldConfig: { defaults: Record<string, unknown>; overrides: Override[] };
  options: Record<string, unknown>;
  transformations?: { id: string; options: Record<string, unknown> }[];
}

/** A row header: groups the panels below it and holds no query. */
export interface RowPanel {
  id: number;
  type: 'row';
  title: string;
  collapsed: false;
  gridPos: GridPos;
  panels: [];
}

export type Panel = QueryPanel | RowPanel;

interface Variable {
  name: string;
  label: string;
  type: 'datasource' | 'query';
  [field: string]: unknown;
}

export interface Dashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  schemaVersion: 39;
  version: 1;
  editable: true;
  graphTooltip: 1;
  timezone: 'browser';
  time: { from: 'now-6h'; to: 'now' };
  refresh: '30s';
  links: Record<string, unknown>[];
  templating: { list: Variable[] };
  panels: Panel[];
}

// ---------------------------------------------------------------------------------------------
// PromQL

/** `metric{a="b", c=~"d"}`, or the bare metric without matchers. */
function sel(metric: string, matchers: readonly string[]): string {
  return matchers.length === 0 ? metric : `${metric}{${matchers.join(', ')}}`;
}

function rate(selector: string, window = '$__rate_interval'): string {
  return `rate(${selector}[${window}])`;
}

/** How many times a counter went up over the dashboard's time range (for stat panels). */
function inRange(selector: string): string {
  return `increase(${selector}[$__range])`;
}

function sumBy(labels: readonly string[], expr: string): string {
  return labels.length === 0 ? `sum(${expr})` : `sum by (${labels.join(', ')}) (${expr})`;
}

/** Rare events read better per minute than as 0.003/s. */
function perMinute(expr: string): string {
  return `60 * ${expr}`;
}

function histogramQuantile(
  q: number,
  histogram: string,
  matchers: readonly string[],
  by: readonly string[],
): string {
  return `histogram_quantile(${q}, ${sumBy(['le', ...by], rate(sel(`${histogram}_bucket`, matchers)))})`;
}

// ---------------------------------------------------------------------------------------------
// Panel builders. A builder returns a cell: the panel without its id and position, and its size;
// layout() numbers and places them.

interface Query {
  expr: string;
  legend?: string;
  /** Ask Prometheus for exemplars too, so a point on the graph links to an example trace. */
  exemplar?: boolean;
}

interface Cell {
  w: number;
  h: number;
  panel: Omit<QueryPanel, 'id' | 'gridPos'>;
}

interface Section {
  title: string;
  cells: Cell[];
}

function targets(queries: readonly Query[], mode: 'range' | 'instant' | 'table'): Target[] {
  return queries.map((query, index) => ({
    refId: String.fromCharCode(65 + index),
    datasource: DATASOURCE,
    expr: query.expr,
    legendFormat: query.legend ?? '__auto',
    range: mode === 'range',
    instant: mode !== 'range',
    ...(mode === 'table' ? { format: 'table' as const } : {}),
    ...(query.exemplar === true ? { exemplar: true } : {}),
  }));
}

function thresholds(base: string, ...steps: [color: string, from: number][]): Threshold[] {
  return [{ color: base, value: null }, ...steps.map(([color, value]) => ({ color, value }))];
}

/** Value 0 shows as `zero` in green, 1 as `one` in red. */
function flagMapping(zero: string, one: string): ValueMapping[] {
  return [
    {
      type: 'value',
      options: { '0': { text: zero, color: 'green', index: 0 }, '1': { text: one, color: 'red', index: 1 } },
    },
  ];
}

/** Draws the series whose display name matches `pattern` thick and in `color`, to stand out. */
function highlight(pattern: string, color: string): Override {
  return {
    matcher: { id: 'byRegexp', options: pattern },
    properties: [
      { id: 'color', value: { mode: 'fixed', fixedColor: color } },
      { id: 'custom.lineWidth', value: 3 },
    ],
  };
}

interface Common {
  title: string;
  description: string;
  w?: number;
  h?: number;
}

function timeseries(
  spec: Common & { unit: string; queries: Query[]; overrides?: Override[]; bars?: boolean; stack?: boolean },
): Cell {
  return {
    w: spec.w ?? 12,
    h: spec.h ?? 8,
    panel: {
      type: 'timeseries',
      title: spec.title,
      description: spec.description,
      datasource: DATASOURCE,
      targets: targets(spec.queries, 'range'),
      fieldConfig: {
        defaults: {
          unit: spec.unit,
          min: 0,
          color: { mode: 'palette-classic' },
          custom: {
            drawStyle: spec.bars === true ? 'bars' : 'line',
            lineWidth: 1,
            fillOpacity: spec.bars === true ? 80 : 10,
            showPoints: 'never',
            spanNulls: false,
            stacking: { mode: spec.stack === true ? 'normal' : 'none', group: 'A' },
          },
        },
        overrides: spec.overrides ?? [],
      },
      options: {
        legend: {
          showLegend: true,
          displayMode: 'table',
          placement: 'bottom',
          calcs: ['max', 'lastNotNull'],
        },
        tooltip: { mode: 'multi', sort: 'desc' },
      },
    },
  };
}

interface SingleValue extends Common {
  unit: string;
  query: Query;
  thresholds: Threshold[];
  mappings?: ValueMapping[];
  /** What an empty result means, shown instead of Grafana's "No data". */
  noValue?: string;
  decimals?: number;
}

function singleValueDefaults(spec: SingleValue): Record<string, unknown> {
  return {
    unit: spec.unit,
    color: { mode: 'thresholds' },
    thresholds: { mode: 'absolute', steps: spec.thresholds },
    mappings: spec.mappings ?? [],
    ...(spec.noValue === undefined ? {} : { noValue: spec.noValue }),
    ...(spec.decimals === undefined ? {} : { decimals: spec.decimals }),
  };
}

const LAST_VALUE = { calcs: ['lastNotNull'], fields: '', values: false };

/** A panel of one value per series (stat, gauge, bar gauge) from an instant query. */
function singleValue(
  type: 'stat' | 'gauge' | 'bargauge',
  spec: SingleValue,
  size: { w: number; h: number },
  defaults: Record<string, unknown>,
  options: Record<string, unknown>,
): Cell {
  return {
    w: spec.w ?? size.w,
    h: spec.h ?? size.h,
    panel: {
      type,
      title: spec.title,
      description: spec.description,
      datasource: DATASOURCE,
      targets: targets([spec.query], 'instant'),
      fieldConfig: { defaults: { ...singleValueDefaults(spec), ...defaults }, overrides: [] },
      options: { reduceOptions: LAST_VALUE, ...options },
    },
  };
}

/** One big number (one per series), coloured by its thresholds. */
function stat(spec: SingleValue): Cell {
  return singleValue(
    'stat',
    spec,
    { w: 6, h: 4 },
    {},
    {
      colorMode: 'background',
      graphMode: 'none',
      textMode: 'auto',
      justifyMode: 'auto',
      orientation: 'auto',
    },
  );
}

function gauge(spec: SingleValue & { max: number }): Cell {
  return singleValue(
    'gauge',
    spec,
    { w: 6, h: 6 },
    { min: 0, max: spec.max },
    { showThresholdLabels: false, showThresholdMarkers: true },
  );
}

/** Horizontal bars, one per series: a ranking at the end of the time range. */
function barGauge(spec: SingleValue): Cell {
  return singleValue(
    'bargauge',
    spec,
    { w: 12, h: 8 },
    { min: 0 },
    { displayMode: 'gradient', orientation: 'horizontal', showUnfilled: true, valueMode: 'color' },
  );
}

/** The series' labels as columns and its value as `valueColumn`, from an instant query. */
function table(spec: Common & { unit: string; query: Query; valueColumn: string }): Cell {
  return {
    w: spec.w ?? 24,
    h: spec.h ?? 8,
    panel: {
      type: 'table',
      title: spec.title,
      description: spec.description,
      datasource: DATASOURCE,
      targets: targets([spec.query], 'table'),
      fieldConfig: { defaults: { unit: spec.unit }, overrides: [] },
      options: { showHeader: true, cellHeight: 'sm', footer: { show: false } },
      transformations: [
        {
          id: 'organize',
          options: { excludeByName: { Time: true }, renameByName: { Value: spec.valueColumn } },
        },
      ],
    },
  };
}

/** Numbers the panels 1.. in order and places them: a row header per section, cells left to right. */
function layout(sections: readonly Section[]): Panel[] {
  const panels: Panel[] = [];
  let y = 0;
  for (const section of sections) {
    panels.push({
      id: panels.length + 1,
      type: 'row',
      title: section.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    let x = 0;
    let height = 0;
    for (const cell of section.cells) {
      if (x + cell.w > 24) {
        y += height;
        x = 0;
        height = 0;
      }
      panels.push({ id: panels.length + 1, gridPos: { h: cell.h, w: cell.w, x, y }, ...cell.panel });
      x += cell.w;
      height = Math.max(height, cell.h);
    }
    y += height;
  }
  return panels;
}

const DATASOURCE_VARIABLE: Variable = {
  name: 'datasource',
  label: 'Data source',
  type: 'datasource',
  query: 'prometheus',
  current: {},
  hide: 0,
  includeAll: false,
  multi: false,
  options: [],
  refresh: 1,
  regex: '',
  skipUrlSync: false,
};

/** A multi-value variable over `label`'s values, defaulting to all of them. */
function labelVariable(label: 'job' | 'instance', title: string, selector: string): Variable {
  const query = `label_values(${selector}, ${label})`;
  return {
    name: label,
    label: title,
    type: 'query',
    datasource: DATASOURCE,
    definition: query,
    query: { query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    current: { selected: true, text: ['All'], value: ['$__all'] },
    hide: 0,
    includeAll: true,
    allValue: '.*',
    multi: true,
    options: [],
    refresh: 2,
    regex: '',
    sort: 1,
    skipUrlSync: false,
  };
}

/** The instances of one service: every Node process exports its resident memory. */
function instanceVariable(job: string): Variable {
  return labelVariable('instance', 'Instance', `process_resident_memory_bytes{job="${job}"}`);
}

function dashboard(spec: {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  variables?: Variable[];
  sections: Section[];
}): Dashboard {
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ['tracking', ...spec.tags],
    schemaVersion: 39,
    version: 1,
    editable: true,
    graphTooltip: 1,
    timezone: 'browser',
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    links: [
      {
        type: 'dashboards',
        title: 'Tracking dashboards',
        tags: ['tracking'],
        asDropdown: true,
        includeVars: false,
        keepTime: true,
      },
    ],
    templating: { list: [DATASOURCE_VARIABLE, ...(spec.variables ?? [])] },
    panels: layout(spec.sections),
  };
}

// ---------------------------------------------------------------------------------------------
// Security overview

function securityDashboard(): Dashboard {
  const events = (pattern: string) => sel('security_events_total', [`event=~"${pattern}"`]);
  return dashboard({
    uid: 'tracking-security',
    title: 'Tracking / Security overview',
    description:
      'Authentication abuse, privilege changes, edge refusals and the audit chain, across all services.',
    tags: ['security'],
    sections: [
      {
        title: 'Audit chain and credential stuffing',
        cells: [
          stat({
            title: 'Audit chain',
            description:
              'Result of the latest audit chain verification. BROKEN means an audit entry was altered or removed, or the chain disagrees with its published head: treat as a security incident (audit runbook). No value means the audit service reports no verification at all.',
            unit: 'none',
            query: { expr: 'max(audit_chain_broken)', legend: 'chain' },
            thresholds: thresholds('green', ['red', 1]),
            mappings: flagMapping('Intact', 'BROKEN'),
            noValue: 'not reported',
            w: 6,
            h: 6,
          }),
          stat({
            title: 'Since last chain verification',
            description:
              'Time since the audit service last verified the chain. It verifies every CHAIN_ATTEST_INTERVAL_MS (1 h by default, 60 s on the local stack): orange after one missed run, red after two. A growing value means verification stopped, so a break would go unnoticed.',
            unit: 's',
            query: { expr: 'time() - max(audit_chain_last_verification_timestamp_seconds)', legend: 'age' },
            thresholds: thresholds('green', ['orange', 3900], ['red', 7500]),
            noValue: 'never verified',
            w: 6,
            h: 6,
          }),
          stat({
            title: 'Verified audit sequence',
            description:
              'The last audit sequence number the latest verification found intact. It should keep rising with activity; flat while users are active means verification covers nothing new.',
            unit: 'none',
            query: { expr: 'max(audit_chain_verified_sequence)', legend: 'sequence' },
            thresholds: thresholds('blue'),
            w: 6,
            h: 6,
          }),
          gauge({
            title: 'Failing login identities (15 min)',
            description:
              'Distinct login identities with a failed or pending login in the last 15 minutes (every auth replica reports the same shared number, hence max). A few is normal; a climb into the orange or red means many accounts are being tried at once: credential stuffing. Compare with lockouts by scope ip below.',
            unit: 'none',
            query: { expr: 'max(auth_login_failing_identities)', legend: 'identities' },
            thresholds: thresholds('green', ['orange', 25], ['red', 100]),
            max: 200,
            w: 6,
            h: 6,
          }),
        ],
      },
      {
        title: 'Authentication',
        cells: [
          timeseries({
            title: 'Login failures by reason',
            description:
              'Refused logins per minute: bad_credentials (wrong email or password) and throttled (refused because a lock is active). Successful logins are drawn for scale. A bad_credentials spike without a matching rise in successes is password guessing.',
            unit: 'opm',
            queries: [
              { expr: perMinute(sumBy(['reason'], rate('auth_login_failures_total'))), legend: '{{reason}}' },
              { expr: perMinute(sumBy([], rate('auth_logins_total'))), legend: 'successful logins' },
            ],
          }),
          timeseries({
            title: 'Lockouts by scope',
            description:
              'Throttle locks started per minute: login (one account), mfa (one account’s second factor) and ip (one source address). Many login locks across accounts point at credential stuffing; ip locks at a single noisy source.',
            unit: 'opm',
            queries: [
              { expr: perMinute(sumBy(['scope'], rate('auth_lockouts_total'))), legend: '{{scope}}' },
            ],
            bars: true,
          }),
          timeseries({
            title: 'MFA failures by reason',
            description:
              'Refused second-factor attempts per minute by reason. replay (highlighted) is a code that was already used: someone holding a stolen password who watched or intercepted a code. Any replay deserves a look; invalid and throttled are usually typos.',
            unit: 'opm',
            queries: [
              { expr: perMinute(sumBy(['reason'], rate('auth_mfa_failures_total'))), legend: '{{reason}}' },
            ],
            overrides: [highlight('^replay$', 'red')],
          }),
          timeseries({
            title: 'Sessions revoked by reason',
            description:
              'Sessions revoked per minute, by reason. Revocations follow logouts, password and privilege changes; a burst without a matching admin action is worth checking.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['reason'], rate('auth_sessions_revoked_total'))),
                legend: '{{reason}}',
              },
            ],
          }),
        ],
      },
      {
        title: 'Privileges',
        cells: [
          timeseries({
            title: 'Privilege changes by kind and actor',
            description:
              'Role changes and account disables/enables per minute, by kind and by what kind of admin made them. Changes by a first_time admin (never changed privileges before) or a dormant one (none in 90 days) are highlighted: confirm them with the admin, a taken-over admin account looks like this. role_admin grants deserve a look whoever made them.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['kind', 'actor'], rate('auth_privilege_changes_total'))),
                legend: '{{kind}} by {{actor}} admin',
              },
            ],
            overrides: [highlight('.* by (first_time|dormant) admin$', 'orange')],
            bars: true,
            w: 24,
          }),
        ],
      },
      {
        title: 'Edge (gateway)',
        cells: [
          timeseries({
            title: 'Rejected authentication and denied authorization',
            description:
              'authn.rejected: requests with a missing, expired or forged session; authz.denied: signed-in users asking for something their role does not allow (e.g. a client calling the admin API). Other people’s records answer 404, not 403, so they do not count here. A rise in authz.denied from few users is probing. Click an exemplar dot to open an example trace.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['event'], rate(events('authn.rejected|authz.denied')))),
                legend: '{{event}}',
                exemplar: true,
              },
            ],
          }),
          timeseries({
            title: 'Rate-limited requests by budget and route',
            description:
              'Requests refused by a rate-limit budget per minute: ip (one source address), auth (login and MFA attempts) and account (one signed-in account). The auth budget on the login routes is where guessing shows first.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['budget', 'route'], rate('gateway_rate_limited_total'))),
                legend: '{{budget}} {{route}}',
              },
            ],
          }),
          barGauge({
            title: 'Geo-blocked requests: top 10 countries',
            description:
              'Requests refused because they came from outside the allowed countries, over the selected time range, by country (ISO code; unknown = not in the GeoIP database). A new country at the top, or a surge of unknown, is worth a look.',
            unit: 'short',
            query: {
              expr: `topk(10, ${sumBy(['country'], inRange('gateway_geo_blocked_total'))})`,
              legend: '{{country}}',
            },
            thresholds: thresholds('orange'),
          }),
          stat({
            title: 'GeoIP database age',
            description:
              'How old the GeoIP database the gateway loaded is. Country data drifts: orange after 30 days, red after 60; refresh the database.',
            unit: 'dtdurations',
            query: {
              expr: 'time() - min(gateway_geoip_database_build_timestamp_seconds)',
              legend: 'GeoIP database',
            },
            thresholds: thresholds('green', ['orange', 30 * 86_400], ['red', 60 * 86_400]),
            h: 8,
          }),
          stat({
            title: 'security.txt expires in',
            description:
              'Time left before the Expires date in the gateway’s security.txt. Renew it before it turns red (14 days): an expired file tells researchers the contact is stale.',
            unit: 'dtdurations',
            query: {
              expr: 'min(gateway_security_txt_expiry_timestamp_seconds) - time()',
              legend: 'security.txt',
            },
            thresholds: thresholds('red', ['orange', 14 * 86_400], ['green', 30 * 86_400]),
            h: 8,
          }),
        ],
      },
      {
        title: 'Security events',
        cells: [
          timeseries({
            title: 'Security events by event',
            description:
              'Every security event the services record, per minute, by event name (docs/security-events.md). A spike in any one is the starting point: the exemplar dots link to example traces, and the table below holds the latest correlation id to search the logs and the audit trail for.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['event'], rate('security_events_total'))),
                legend: '{{event}}',
                exemplar: true,
              },
            ],
            h: 10,
            w: 24,
          }),
          table({
            title: 'Latest occurrence of each event',
            description:
              'For each security event, when it last happened and its correlation and trace ids: search the logs and the audit trail for the correlation id, open the trace by its id.',
            unit: 'dateTimeFromNow',
            query: {
              expr: 'max by (event, correlation_id, trace_id) (security_event_last_seen_timestamp_seconds) * 1000',
            },
            valueColumn: 'Last seen',
          }),
        ],
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// RED dashboards, one per service, from one function

interface Protocol {
  /** The counter of requests, with the status label, and the histogram of their duration. */
  requests: string;
  duration: string;
  /** What a request is called and the label naming which one. */
  noun: 'request' | 'call';
  by: 'route' | 'method';
  status: 'status_class' | 'code';
  /** The matcher selecting failures that are the server's fault, and how panels name them. */
  error: string;
  errorName: string;
}

const HTTP: Protocol = {
  requests: 'http_server_requests_total',
  duration: 'http_server_request_duration_seconds',
  noun: 'request',
  by: 'route',
  status: 'status_class',
  error: 'status_class="5xx"',
  errorName: '5xx',
};

const GRPC: Protocol = {
  requests: 'grpc_server_handled_total',
  duration: 'grpc_server_handling_seconds',
  noun: 'call',
  by: 'method',
  status: 'code',
  error: 'code=~"UNKNOWN|INTERNAL|UNAVAILABLE|DATA_LOSS|DEADLINE_EXCEEDED"',
  errorName: 'Server-error',
};

interface Service {
  job: string;
  title: string;
  protocol: Protocol;
  /** What the service's traffic is, when RED does not tell its whole story. */
  note?: string;
}

export const SERVICES: readonly Service[] = [
  { job: 'gateway', title: 'Gateway', protocol: HTTP },
  { job: 'auth', title: 'Auth', protocol: GRPC },
  { job: 'tracking', title: 'Tracking', protocol: GRPC },
  { job: 'audit', title: 'Audit', protocol: GRPC },
  { job: 'ai-inference', title: 'AI inference', protocol: GRPC },
  {
    job: 'billing',
    title: 'Billing',
    protocol: GRPC,
    note: 'Stripe’s webhooks reach billing on its own port and are counted on the Billing dashboard, not here.',
  },
  {
    job: 'backup',
    title: 'Backup',
    protocol: GRPC,
    note: 'Backup is a batch service: its CronJobs do the work and are not scraped, so these gRPC panels show only on-demand runs and are usually empty. The Backups dashboard shows the runs, their age, the drills and the recovery point.',
  },
];

function redDashboard({ job, title, protocol: p, note }: Service): Dashboard {
  const on = [`job="${job}"`, 'instance=~"$instance"'];
  const all = sel(p.requests, on);
  const failed = sel(p.requests, [...on, p.error]);
  const Subject = p === HTTP ? 'Request' : 'Call';
  const ratio = (by: string[]) => `${sumBy(by, rate(failed))} / ${sumBy(by, rate(all))}`;
  const quantile = (q: number) =>
    timeseries({
      title: `p${q * 100} latency by ${p.by}`,
      description: `${q * 100}th percentile of ${p.noun} duration per ${p.by}, from the histogram. ${
        q === 0.5
          ? 'The typical experience; if it moves, everything got slower.'
          : 'The slow tail; a rise here alone points at one dependency (database, Kafka, a provider) or at contention.'
      }`,
      unit: 's',
      queries: [{ expr: histogramQuantile(q, p.duration, on, [p.by]), legend: `{{${p.by}}}` }],
      w: 8,
    });
  const processPanel = (spec: { title: string; description: string; unit: string; expr: string }) =>
    timeseries({
      title: spec.title,
      description: spec.description,
      unit: spec.unit,
      queries: [{ expr: spec.expr, legend: '{{instance}}' }],
      w: 6,
    });
  return dashboard({
    uid: `tracking-red-${job}`,
    title: `Tracking / ${title} (RED)`,
    description: `Rate, errors and duration of the ${job} service’s ${p === HTTP ? 'HTTP requests' : 'gRPC calls'}, and its processes.${note === undefined ? '' : ` ${note}`}`,
    tags: ['red', job],
    variables: [instanceVariable(job)],
    sections: [
      {
        title: 'Overview',
        cells: [
          stat({
            title: `${Subject} rate`,
            description: `${Subject}s per second over all ${p.by}s. Compare with the same time last week; a sudden drop to zero with no errors means traffic no longer reaches the service.${note === undefined ? '' : ` ${note}`}`,
            unit: 'reqps',
            query: { expr: sumBy([], rate(all)), legend: 'rate' },
            thresholds: thresholds('blue'),
            noValue: 'no traffic',
            w: 8,
          }),
          stat({
            title: `${p.errorName} ratio`,
            description: `Share of ${p.noun}s that failed through the server’s fault (${p.error}). Orange above 1%, red above 5%; see the per-${p.by} panels below for where.`,
            unit: 'percentunit',
            query: {
              expr: `(${sumBy([], rate(failed))} or vector(0)) / ${sumBy([], rate(all))}`,
              legend: 'ratio',
            },
            thresholds: thresholds('green', ['orange', 0.01], ['red', 0.05]),
            noValue: 'no traffic',
            decimals: 2,
            w: 8,
          }),
          stat({
            title: 'p99 latency',
            description: `99th percentile of ${p.noun} duration over all ${p.by}s. Orange above 0.5 s, red above 1 s.`,
            unit: 's',
            query: { expr: histogramQuantile(0.99, p.duration, on, []), legend: 'p99' },
            thresholds: thresholds('green', ['orange', 0.5], ['red', 1]),
            noValue: 'no traffic',
            w: 8,
          }),
        ],
      },
      {
        title: 'Rate',
        cells: [
          timeseries({
            title: `${Subject}s by ${p.by}`,
            description: `${Subject}s per second per ${p.by}. Look for a ${p.by} that suddenly dominates (a client retrying in a loop, a scraper) or disappears.`,
            unit: 'reqps',
            queries: [{ expr: sumBy([p.by], rate(all)), legend: `{{${p.by}}}` }],
          }),
          timeseries({
            title: `${Subject}s by ${p.status}`,
            description: `${Subject}s per second by ${p.status}. Client errors (${
              p === HTTP ? '4xx' : 'INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED'
            }) are callers’ mistakes or probing; the server’s own failures are on the Errors row.`,
            unit: 'reqps',
            queries: [{ expr: sumBy([p.status], rate(all)), legend: `{{${p.status}}}` }],
            stack: true,
          }),
        ],
      },
      {
        title: 'Errors',
        cells: [
          timeseries({
            title: `${p.errorName} ratio by ${p.by}`,
            description: `Share of each ${p.by}’s ${p.noun}s that failed through the server’s fault. A ${p.by} with no such failure draws no line. One ${p.by} alone points at its dependency; all at once at the database, Kafka or a deploy.`,
            unit: 'percentunit',
            queries: [{ expr: ratio([p.by]), legend: `{{${p.by}}}` }],
          }),
          timeseries({
            title: `${p.errorName} ${p.noun}s by ${p.by}${p === HTTP ? '' : ' and code'}`,
            description: `Failed ${p.noun}s per second by ${p.by} and ${p.status}, to tell ${
              p === HTTP
                ? 'which route fails'
                : 'a timeout (DEADLINE_EXCEEDED) or an unreachable dependency (UNAVAILABLE) from a bug (UNKNOWN, INTERNAL)'
            }.`,
            unit: 'reqps',
            queries: [{ expr: sumBy([p.by, p.status], rate(failed)), legend: `{{${p.by}}} {{${p.status}}}` }],
          }),
        ],
      },
      { title: 'Duration', cells: [quantile(0.5), quantile(0.95), quantile(0.99)] },
      {
        title: 'Process',
        cells: [
          processPanel({
            title: 'Resident memory',
            description:
              'Resident memory per instance. Steady growth that never comes down is a leak; compare with the container’s memory limit to see how close it is to an OOM kill.',
            unit: 'bytes',
            expr: sumBy(['instance'], sel('process_resident_memory_bytes', on)),
          }),
          processPanel({
            title: 'Heap used',
            description:
              'V8 heap in use per instance. A sawtooth is healthy garbage collection; a rising floor is a leak in JavaScript objects.',
            unit: 'bytes',
            expr: sumBy(['instance'], sel('nodejs_heap_size_used_bytes', on)),
          }),
          processPanel({
            title: 'CPU',
            description:
              'CPU time per instance, in cores (100% = one core). Node runs JavaScript on one core: near 100% the event loop is saturated, whatever the CPU limit.',
            unit: 'percentunit',
            expr: sumBy(['instance'], rate(sel('process_cpu_seconds_total', on))),
          }),
          processPanel({
            title: 'Event loop lag p99',
            description:
              'How late the event loop runs timers (99th percentile) per instance. Above ~100 ms every request waits: look for synchronous work (crypto, large JSON) or CPU starvation.',
            unit: 's',
            expr: sumBy(['instance'], sel('nodejs_eventloop_lag_p99_seconds', on)),
          }),
        ],
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// Kafka and outbox

function kafkaDashboard(): Dashboard {
  const on = ['job=~"$job"'];
  return dashboard({
    uid: 'tracking-kafka',
    title: 'Tracking / Kafka and outbox',
    description:
      'Kafka consumers (lag, outcomes, retries, dead letters) and the transactional outboxes that publish events.',
    tags: ['kafka'],
    variables: [labelVariable('job', 'Service', 'process_resident_memory_bytes')],
    sections: [
      {
        title: 'Overview',
        cells: [
          stat({
            title: 'Largest consumer lag',
            description:
              'The largest backlog any consumer group has on any topic. Orange above 1 000 messages, red above 10 000; see the lag panel for which.',
            unit: 'short',
            query: { expr: `max(${sel('kafka_consumer_lag_messages', on)})`, legend: 'lag' },
            thresholds: thresholds('green', ['orange', 1000], ['red', 10_000]),
            noValue: 'no consumers',
          }),
          stat({
            title: 'Dead-lettered (time range)',
            description:
              'Messages sent to a dead-letter topic over the selected time range. Each one is an event a service gave up on: find it in the DLQ, fix the cause and replay it.',
            unit: 'short',
            query: { expr: `${sumBy([], inRange(sel('kafka_dlq_messages_total', on)))} or vector(0)` },
            thresholds: thresholds('green', ['red', 1]),
          }),
          stat({
            title: 'Outbox backlog',
            description:
              'Outbox rows waiting to be published, summed over services. Non-zero for long means the relay cannot reach Kafka or is falling behind.',
            unit: 'short',
            query: { expr: sumBy([], `max by (job) (${sel('outbox_backlog', on)})`), legend: 'backlog' },
            thresholds: thresholds('green', ['orange', 100], ['red', 1000]),
            noValue: 'no outbox',
          }),
          stat({
            title: 'Outbox publish failures (time range)',
            description:
              'Relay batches that failed over the selected time range (they are retried). Anything above zero means Kafka refused or timed out; check the broker and the relay logs.',
            unit: 'short',
            query: { expr: `${sumBy([], inRange(sel('outbox_publish_failures_total', on)))} or vector(0)` },
            thresholds: thresholds('green', ['orange', 1]),
          }),
        ],
      },
      {
        title: 'Consumers',
        cells: [
          timeseries({
            title: 'Consumer lag by service and topic',
            description:
              'Messages on each topic beyond what the service’s consumer group committed (every replica reports the group’s lag, hence max). Lag that keeps growing means the consumer is too slow or stuck on one message; see retries.',
            unit: 'short',
            queries: [
              {
                expr: `max by (job, topic) (${sel('kafka_consumer_lag_messages', on)})`,
                legend: '{{job}} {{topic}}',
              },
            ],
          }),
          timeseries({
            title: 'Messages consumed by outcome',
            description:
              'Messages each consumer finished with per second: processed, duplicate (already handled: redelivery, harmless) and dead_lettered (highlighted, given up on). Many duplicates follow a rebalance or a crash.',
            unit: 'ops',
            queries: [
              {
                expr: sumBy(['job', 'topic', 'outcome'], rate(sel('kafka_consumer_messages_total', on))),
                legend: '{{job}} {{topic}} {{outcome}}',
              },
            ],
            overrides: [highlight('.* dead_lettered$', 'red')],
          }),
          timeseries({
            title: 'Retries by service and topic',
            description:
              'Failed processing attempts per minute that will be retried. Short bursts are transient errors (a database failover); a steady rate is a message that keeps failing and will end in the DLQ.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['job', 'topic'], rate(sel('kafka_consumer_retries_total', on)))),
                legend: '{{job}} {{topic}}',
              },
            ],
          }),
          timeseries({
            title: 'Dead-lettered messages by service and source topic',
            description:
              'Messages routed to a dead-letter topic per minute, by the topic they came from. Any bar is data a service did not apply.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['job', 'topic'], rate(sel('kafka_dlq_messages_total', on)))),
                legend: '{{job}} {{topic}}',
              },
            ],
            bars: true,
          }),
        ],
      },
      {
        title: 'Outbox',
        cells: [
          timeseries({
            title: 'Outbox backlog by service',
            description:
              'Unsent outbox rows per service (counted up to 100 000, at most every 10 s while catching up; every replica sees the same table, hence max). It should return to zero after each burst.',
            unit: 'short',
            queries: [{ expr: `max by (job) (${sel('outbox_backlog', on)})`, legend: '{{job}}' }],
            w: 8,
          }),
          timeseries({
            title: 'Events published by topic',
            description:
              'Outbox rows published to Kafka per second, by service and topic. It should follow the write traffic; flat at zero with a growing backlog means the relay is stuck.',
            unit: 'ops',
            queries: [
              {
                expr: sumBy(['job', 'topic'], rate(sel('outbox_events_published_total', on))),
                legend: '{{job}} {{topic}}',
              },
            ],
            w: 8,
          }),
          timeseries({
            title: 'Outbox publish failures',
            description:
              'Relay batches that failed per minute, by service. Failures are retried; a steady rate means Kafka is unreachable or refusing writes.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['job'], rate(sel('outbox_publish_failures_total', on)))),
                legend: '{{job}}',
              },
            ],
            bars: true,
            w: 8,
          }),
        ],
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// AI providers

function aiDashboard(): Dashboard {
  const on = ['job="ai-inference"', 'instance=~"$instance"'];
  const requests = (...matchers: string[]) => sel('ai_requests_total', [...on, ...matchers]);
  const results = (...matchers: string[]) => sel('ai_results_total', [...on, ...matchers]);
  return dashboard({
    uid: 'tracking-ai',
    title: 'Tracking / AI providers',
    description:
      'Calls to the language-model providers (anthropic, qwen, offline): traffic, failures, latency, tokens, circuit breakers and budget.',
    tags: ['ai'],
    variables: [instanceVariable('ai-inference')],
    sections: [
      {
        title: 'Overview',
        cells: [
          stat({
            title: 'Provider call rate',
            description: 'Provider calls per second over all providers and operations.',
            unit: 'reqps',
            query: { expr: sumBy([], rate(requests())), legend: 'rate' },
            thresholds: thresholds('blue'),
            noValue: 'no traffic',
          }),
          stat({
            title: 'Provider error ratio',
            description:
              'Share of provider calls that did not succeed (any outcome but success). Orange above 5%, red above 20%; the panels below say which provider and why.',
            unit: 'percentunit',
            query: {
              expr: `(${sumBy([], rate(requests('outcome!="success"')))} or vector(0)) / ${sumBy([], rate(requests()))}`,
              legend: 'ratio',
            },
            thresholds: thresholds('green', ['orange', 0.05], ['red', 0.2]),
            noValue: 'no traffic',
            decimals: 1,
          }),
          stat({
            title: 'Circuit breakers',
            description:
              'Each provider’s circuit breaker: OPEN (or half-open) means calls skip that provider and go to the next one. An open circuit on the primary provider means degraded answers until it closes.',
            unit: 'none',
            query: { expr: `max by (provider) (${sel('ai_circuit_open', on)})`, legend: '{{provider}}' },
            thresholds: thresholds('green', ['red', 1]),
            mappings: flagMapping('closed', 'OPEN'),
            noValue: 'not reported',
          }),
          stat({
            title: 'Budget exhausted (time range)',
            description:
              'Estimates and reviews refused because the AI spending budget ran out, over the selected time range. Any value means users got no AI answer: raise the budget or find what is consuming it (tokens by provider).',
            unit: 'short',
            query: { expr: `${sumBy([], inRange(results('result="budget_exhausted"')))} or vector(0)` },
            thresholds: thresholds('green', ['red', 1]),
          }),
        ],
      },
      {
        title: 'Providers',
        cells: [
          timeseries({
            title: 'Provider calls by provider and outcome',
            description:
              'Provider calls per second by provider and outcome: success, invalid_output / malformed (the model answered nonsense), unavailable (timeouts, 5xx), rejected (the provider refused the request) and circuit_open (skipped). Traffic moving from the primary provider to the next one is a failover.',
            unit: 'reqps',
            queries: [
              { expr: sumBy(['provider', 'outcome'], rate(requests())), legend: '{{provider}} {{outcome}}' },
            ],
            stack: true,
          }),
          timeseries({
            title: 'Error ratio by provider and outcome',
            description:
              'For each provider, the share of its calls that ended in each failure outcome. unavailable points at the provider; invalid_output or malformed at a prompt or model change.',
            unit: 'percentunit',
            queries: [
              {
                expr: `${sumBy(['provider', 'outcome'], rate(requests('outcome!="success"')))} / ignoring (outcome) group_left ${sumBy(['provider'], rate(requests()))}`,
                legend: '{{provider}} {{outcome}}',
              },
            ],
          }),
          timeseries({
            title: 'Latency by provider',
            description:
              'p50, p95 and p99 of provider call duration (including the SDK’s retries), by provider. A rising p99 with a steady p50 is retries; both rising is a slow provider. Calls near the timeout end as unavailable.',
            unit: 's',
            queries: [0.5, 0.95, 0.99].map((q) => ({
              expr: histogramQuantile(q, 'ai_request_duration_seconds', on, ['provider']),
              legend: `{{provider}} p${q * 100}`,
            })),
          }),
          timeseries({
            title: 'Tokens by provider and direction',
            description:
              'Tokens per second the providers reported, by provider and direction (input, output). Cost follows this; input rising without more calls means longer prompts.',
            unit: 'short',
            queries: [
              {
                expr: sumBy(['provider', 'direction'], rate(sel('ai_tokens_total', on))),
                legend: '{{provider}} {{direction}}',
              },
            ],
          }),
        ],
      },
      {
        title: 'Results',
        cells: [
          timeseries({
            title: 'Failed results by reason',
            description:
              'Estimates and reviews per minute that the service could not answer, by operation and reason (budget_exhausted, plan_limit, invalid_output, unavailable, unrecognised, ...). This is what users see, after every provider was tried.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['operation', 'result'], rate(results('result!="success"')))),
                legend: '{{operation}} {{result}}',
              },
            ],
            bars: true,
          }),
          timeseries({
            title: 'Budget exhaustion',
            description:
              'Estimates and reviews refused per minute because the spending budget ran out, by operation. Starts when the budget is used up and stops when it resets or is raised.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['operation'], rate(results('result="budget_exhausted"')))),
                legend: '{{operation}}',
              },
            ],
            overrides: [highlight('.*', 'red')],
            bars: true,
          }),
        ],
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// Backups and restore drills

/** Value 1 shows as `one` in green, 0 as `zero` in red. */
function passMapping(zero: string, one: string): ValueMapping[] {
  return [
    {
      type: 'value',
      options: { '0': { text: zero, color: 'red', index: 0 }, '1': { text: one, color: 'green', index: 1 } },
    },
  ];
}

function backupsDashboard(): Dashboard {
  const on = ['job="backup"', 'instance=~"$instance"'];
  // Every replica reports the same numbers, read from the bucket and the backup database: max,
  // never sum, per database.
  const perDb = (metric: string, ...matchers: string[]) =>
    `max by (db) (${sel(metric, [...on, ...matchers])})`;
  const runs = (window: string) =>
    `max by (db, kind, outcome) (increase(${sel('backup_runs_total', on)}[${window}]))`;
  const DAY = 86_400;
  return dashboard({
    uid: 'tracking-backups',
    title: 'Tracking / Backups',
    description:
      'Encrypted logical backups of every database and their restore drills: how old the newest backup is, the recovery point (RPO), drill results and their duration (RTO), sizes and runs. The backup service reports every database of its sources file, whichever process ran the backup.',
    tags: ['backup'],
    variables: [instanceVariable('backup')],
    sections: [
      {
        title: 'Recovery point',
        cells: [
          barGauge({
            title: 'Since the last successful backup',
            description:
              'Time since the newest successful backup of each database finished. Backups run daily at 02:17 UTC: orange after 26 h (BackupStale fires), red after 48 h. A database never backed up has no bar; it is counted on the right.',
            unit: 's',
            query: {
              expr: `time() - (${perDb('backup_last_success_timestamp_seconds')} > 0)`,
              legend: '{{db}}',
            },
            thresholds: thresholds('green', ['orange', 26 * 3600], ['red', 2 * DAY]),
            noValue: 'no backup reported',
            w: 10,
          }),
          barGauge({
            title: 'Recovery point (RPO) by database',
            description:
              'Age of the newest backup the last drill did not find broken: what a restore now would lose, at most. Infinity means backups exist but none is restorable, or there is none. Red after 48 h (BackupRpoHigh pages).',
            unit: 's',
            query: { expr: perDb('backup_rpo_seconds'), legend: '{{db}}' },
            thresholds: thresholds('green', ['orange', 26 * 3600], ['red', 2 * DAY]),
            noValue: 'no backup reported',
            w: 10,
          }),
          stat({
            title: 'Databases never backed up',
            description:
              'Databases the backup service has in its sources but no successful backup of. Right after installing, until the first nightly run; after a day, BackupStale fires for each.',
            unit: 'none',
            query: {
              expr: `count(${perDb('backup_last_success_timestamp_seconds')} == 0) or vector(0)`,
              legend: 'never backed up',
            },
            thresholds: thresholds('green', ['red', 1]),
            w: 4,
            h: 8,
          }),
        ],
      },
      {
        title: 'Restore drills',
        cells: [
          stat({
            title: 'Last restore drill',
            description:
              'Whether the last weekly restore drill of each database restored a verified database (passed) or not. FAILED also shows before the first drill: a drill that did not run counts as failed. See BackupRestoreDrillFailed and BackupRestoreDrillMissing.',
            unit: 'none',
            query: { expr: perDb('backup_restore_drill_success'), legend: '{{db}}' },
            thresholds: thresholds('red', ['green', 1]),
            mappings: passMapping('FAILED', 'passed'),
            noValue: 'not reported',
            w: 24,
          }),
          barGauge({
            title: 'Since the last restore drill',
            description:
              'Time since the last restore drill of each database finished, passed or not. Drills run weekly, Sunday 04:43 UTC: orange after 7 days, red after 8 (BackupRestoreDrillMissing).',
            unit: 's',
            query: {
              expr: `time() - (${perDb('backup_last_drill_timestamp_seconds')} > 0)`,
              legend: '{{db}}',
            },
            thresholds: thresholds('green', ['orange', 7 * DAY + 3600], ['red', 8 * DAY]),
            noValue: 'no drill reported',
          }),
          barGauge({
            title: 'Restore time (RTO) of the last drill',
            description:
              'Wall time of the last drill of each database, from fetching the backup to a restored and verified database: what a restore would take today. Compare with the recovery time you promise; it grows with the database.',
            unit: 's',
            query: { expr: `${perDb('backup_restore_drill_duration_seconds')} > 0`, legend: '{{db}}' },
            thresholds: thresholds('green', ['orange', 1800], ['red', 3600]),
            noValue: 'no drill reported',
          }),
        ],
      },
      {
        title: 'Backups',
        cells: [
          timeseries({
            title: 'Backup size by database',
            description:
              'Size of the newest backup of each database as stored (compressed and encrypted). Growth should follow the data; a sudden drop is worth a look (a table emptied, or a dump cut short).',
            unit: 'bytes',
            queries: [{ expr: perDb('backup_size_bytes'), legend: '{{db}}' }],
          }),
          timeseries({
            title: 'Runs in the last day by kind and outcome',
            description:
              'Backups and drills run in the 24 hours before each point, over all databases, by outcome: one backup per database a day and one drill a week is normal. failure (highlighted) is what BackupFailed and BackupRestoreDrillFailed look at.',
            unit: 'short',
            queries: [{ expr: sumBy(['kind', 'outcome'], runs('1d')), legend: '{{kind}} {{outcome}}' }],
            overrides: [highlight('.* failure$', 'red')],
          }),
          table({
            title: 'Runs in the time range by database',
            description:
              'Backups and drills of each database in the selected time range, by outcome. A database with failures and no success needs its Job’s log (docs/runbooks/backup.md).',
            unit: 'short',
            query: { expr: `${runs('$__range')} > 0` },
            valueColumn: 'Runs',
          }),
        ],
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// Billing

function billingDashboard(): Dashboard {
  const on = ['job="billing"', 'instance=~"$instance"'];
  const webhooks = (...matchers: string[]) => sel('billing_webhooks_total', [...on, ...matchers]);
  // Counted from the database at each scrape: every replica reports the same numbers.
  const subscriptions = (...matchers: string[]) =>
    `max by (plan, status) (${sel('billing_subscriptions', [...on, ...matchers])})`;
  return dashboard({
    uid: 'tracking-billing',
    title: 'Tracking / Billing',
    description:
      'Stripe’s webhooks (by event type and outcome, rejected ones above all), subscriptions by plan and Stripe status, and downgrades after failed payments.',
    tags: ['billing'],
    variables: [instanceVariable('billing')],
    sections: [
      {
        title: 'Overview',
        cells: [
          stat({
            title: 'Webhooks received (time range)',
            description:
              'Stripe deliveries to /webhooks/stripe in the selected time range, whatever their outcome. Stripe only sends when something changes, so a quiet day is normal.',
            unit: 'short',
            query: { expr: `${sumBy([], inRange(webhooks()))} or vector(0)` },
            thresholds: thresholds('blue'),
          }),
          stat({
            title: 'Rejected webhooks (time range)',
            description:
              'Deliveries refused with 400 because the signature did not verify over the body, the timestamp was over 5 minutes old, or the body could not be read: not from Stripe, or a signing secret billing does not have. Five in 10 minutes pages security (BillingWebhookRejections).',
            unit: 'short',
            query: { expr: `${sumBy([], inRange(webhooks('outcome="rejected"')))} or vector(0)` },
            thresholds: thresholds('green', ['red', 1]),
          }),
          stat({
            title: 'Failed webhooks (time range)',
            description:
              'Deliveries billing could not apply (500): Stripe retries them for up to three days, and until then plans here lag behind Stripe (BillingWebhookFailures).',
            unit: 'short',
            query: { expr: `${sumBy([], inRange(webhooks('outcome="failed"')))} or vector(0)` },
            thresholds: thresholds('green', ['orange', 1]),
          }),
          stat({
            title: 'Paying subscriptions',
            description:
              'Subscriptions to a paid plan (pro, team) that Stripe reports active or trialing. past_due and unpaid are in dunning, counted on the right.',
            unit: 'none',
            query: {
              expr: `sum(${subscriptions('plan=~"pro|team"', 'status=~"active|trialing"')}) or vector(0)`,
            },
            thresholds: thresholds('blue'),
            w: 3,
          }),
          stat({
            title: 'In dunning',
            description:
              'Paid subscriptions whose payment failed (past_due, unpaid). Each is downgraded to free when BILLING_GRACE_DAYS pass without a payment.',
            unit: 'none',
            query: {
              expr: `sum(${subscriptions('plan=~"pro|team"', 'status=~"past_due|unpaid"')}) or vector(0)`,
            },
            thresholds: thresholds('green', ['orange', 1]),
            w: 3,
          }),
        ],
      },
      {
        title: 'Webhooks',
        cells: [
          timeseries({
            title: 'Webhooks by type and outcome',
            description:
              'Stripe deliveries per minute by event type and outcome: processed, duplicate (a retry of one already applied: harmless), ignored (an event type billing does not act on), rejected (type unverified) and failed. Failures and rejections are highlighted.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['type', 'outcome'], rate(webhooks()))),
                legend: '{{type}} {{outcome}}',
              },
            ],
            overrides: [highlight('.* (failed|rejected)$', 'red')],
            bars: true,
          }),
          timeseries({
            title: 'Rejected webhooks',
            description:
              'The billing.webhook.rejected security event per minute. Click an exemplar dot for an example trace; the Security overview’s table holds the latest correlation id to search the logs for.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(
                  sumBy(
                    ['event'],
                    rate(sel('security_events_total', [...on, 'event="billing.webhook.rejected"'])),
                  ),
                ),
                legend: '{{event}}',
                exemplar: true,
              },
            ],
            overrides: [highlight('.*', 'red')],
          }),
        ],
      },
      {
        title: 'Subscriptions',
        cells: [
          timeseries({
            title: 'Subscriptions by plan and status',
            description:
              'Subscriptions by the plan paid for and their Stripe status (active, trialing, past_due, unpaid, canceled, incomplete, ...), from billing’s database. Users who never subscribed (status none) are left out.',
            unit: 'none',
            queries: [{ expr: subscriptions('status!="none"'), legend: '{{plan}} {{status}}' }],
            stack: true,
            w: 16,
          }),
          timeseries({
            title: 'Dunning downgrades per day',
            description:
              'Users moved to the free plan in the 24 hours before each point because a failed payment’s grace period (BILLING_GRACE_DAYS) ended. A jump points at a payment problem on Stripe’s side or a card-expiry wave.',
            unit: 'short',
            queries: [
              {
                expr: sumBy([], `increase(${sel('billing_dunning_downgrades_total', on)}[1d])`),
                legend: 'downgrades',
              },
            ],
            bars: true,
            w: 8,
          }),
        ],
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------

/** Every dashboard, in a stable order. */
export function dashboards(): Dashboard[] {
  return [
    securityDashboard(),
    ...SERVICES.map(redDashboard),
    kafkaDashboard(),
    aiDashboard(),
    backupsDashboard(),
    billingDashboard(),
  ];
}

/**
 * What Grafana substitutes for the variables the queries use, with every variable at its
 * default (all instances, all jobs) and the default 6 h range; $__rate_interval is at least
 * four scrape intervals, 5m is safe for any scrape interval up to 75 s.
 */
const VARIABLE_DEFAULTS: Readonly<Record<string, string>> = {
  __rate_interval: '5m',
  __range: '6h',
  instance: '.*',
  job: '.*',
};

function interpolate(expr: string): string {
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
    files.set(
      `${board.uid}.json`,
      await format(JSON.stringify(board, null, 2), { ...options, parser: 'json', plugins: [babel, estree] }),
    );
  }
  return files;
}

function committedFiles(): Map<string, string> {
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

async function main(args: string[]): Promise<number> {
  if (args.length > 1 || (args[0] !== undefined && args[0] !== '--check')) {
    process.stderr.write(`[dashboards] ${USAGE}\n`);
    return 2;
  }
  const relative = path.relative(process.cwd(), DASHBOARD_DIR);
  if (args[0] === '--check') {
    const problems = await staleDashboards();
    if (problems.length === 0) {
      process.stderr.write(`[dashboards] ${relative} is up to date\n`);
      return 0;
    }
    for (const problem of problems) process.stderr.write(`[dashboards] error: ${relative}/${problem}\n`);
    process.stderr.write('[dashboards] run `npm run dashboards` and commit the result\n');
    return 1;
  }
  const expected = await renderDashboards();
  mkdirSync(DASHBOARD_DIR, { recursive: true });
  // The directory holds generated files only: a dashboard the generator no longer makes goes.
  for (const name of committedFiles().keys()) {
    if (!expected.has(name)) rmSync(path.join(DASHBOARD_DIR, name));
  }
  for (const [name, content] of expected) writeFileSync(path.join(DASHBOARD_DIR, name), content);
  process.stderr.write(`[dashboards] wrote ${expected.size} dashboards to ${relative}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `[dashboards] failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
