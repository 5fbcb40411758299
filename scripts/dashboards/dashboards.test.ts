import { HANDLED_EVENTS } from '@tracking/billing/stripe';
import { STATUSES } from '@tracking/billing/subscriptions';
import { NOTIFICATION_TEMPLATE_NAMES, PLAN_NAMES, SECURITY_EVENTS } from '@tracking/contracts';

import { DASHBOARD_DIR, dashboardExpressions, dashboards, staleDashboards } from './index';
import type { QueryPanel } from './model';

/**
 * What the services export (docs: the metrics contract): each metric with the labels it
 * carries and, for labels with a fixed set of values, those values. Prometheus adds job and
 * instance; a histogram is queried through its _bucket, _sum and _count series.
 */
const CODES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];
// The kit's list is the source of truth for which events exist.
const EVENTS = SECURITY_EVENTS;
/** The databases the backup service backs up: one per service (docs/operations.md). */
const DATABASES = ['auth', 'audit', 'tracking', 'gateway', 'ai_inference', 'billing', 'backup'];
/** Label name → its allowed values, or null when any value is allowed. */
type Labels = Record<string, readonly string[] | null>;
const COUNTERS_AND_GAUGES: Record<string, Labels> = {
  process_cpu_seconds_total: {},
  process_resident_memory_bytes: {},
  nodejs_eventloop_lag_p99_seconds: {},
  nodejs_heap_size_used_bytes: {},
  kafka_consumer_messages_total: { topic: null, outcome: ['processed', 'duplicate', 'dead_lettered'] },
  kafka_consumer_lag_messages: { topic: null },
  kafka_consumer_retries_total: { topic: null },
  kafka_dlq_messages_total: { topic: null },
  outbox_events_published_total: { topic: null },
  outbox_publish_failures_total: {},
  outbox_backlog: {},
  http_server_requests_total: {
    method: null,
    route: null,
    status_class: ['1xx', '2xx', '3xx', '4xx', '5xx'],
  },
  grpc_server_handled_total: { method: null, code: CODES },
  security_events_total: { event: EVENTS },
  security_event_last_seen_timestamp_seconds: { event: EVENTS, correlation_id: null, trace_id: null },
  auth_logins_total: {},
  auth_login_failures_total: { reason: ['bad_credentials', 'throttled'] },
  auth_mfa_failures_total: { reason: ['invalid', 'replay', 'throttled'] },
  auth_lockouts_total: { scope: ['login', 'mfa', 'ip'] },
  auth_privilege_changes_total: {
    kind: ['role_client', 'role_trainer', 'role_admin', 'disabled', 'enabled'],
    actor: ['regular', 'first_time', 'dormant'],
  },
  auth_sessions_revoked_total: { reason: null },
  auth_login_failing_identities: {},
  gateway_rate_limited_total: { route: null, budget: ['ip', 'auth', 'account'] },
  gateway_geo_blocked_total: { country: null },
  gateway_geoip_database_build_timestamp_seconds: {},
  gateway_security_txt_expiry_timestamp_seconds: {},
  audit_chain_broken: {},
  audit_chain_verified_sequence: {},
  audit_chain_last_verification_timestamp_seconds: {},
  ai_requests_total: {
    provider: ['anthropic', 'qwen', 'offline'],
    operation: ['estimate', 'review'],
    outcome: ['success', 'invalid_output', 'malformed', 'unavailable', 'rejected', 'circuit_open'],
  },
  ai_tokens_total: {
    provider: ['anthropic', 'qwen', 'offline'],
    operation: ['estimate', 'review'],
    direction: ['input', 'output'],
  },
  ai_circuit_open: { provider: ['anthropic', 'qwen', 'offline'] },
  // result: success or an open-ended set of failure reasons
  ai_results_total: { operation: ['estimate', 'review'], result: null },
  // billing: webhooks by the handled event types, `other`, and `unverified` for the rejected.
  billing_webhooks_total: {
    // Billing's own lists: the Stripe events it handles, the subscription statuses it counts.
    type: [...HANDLED_EVENTS, 'other', 'unverified'],
    outcome: ['processed', 'duplicate', 'ignored', 'rejected', 'failed'],
  },
  billing_subscriptions: { plan: PLAN_NAMES, status: STATUSES },
  billing_dunning_downgrades_total: {},
  // backup: one series per database of the sources file, from start-up.
  backup_last_success_timestamp_seconds: { db: DATABASES },
  backup_rpo_seconds: { db: DATABASES },
  backup_size_bytes: { db: DATABASES },
  backup_restore_drill_success: { db: DATABASES },
  backup_restore_drill_duration_seconds: { db: DATABASES },
  backup_last_drill_timestamp_seconds: { db: DATABASES },
  backup_runs_total: { db: DATABASES, kind: ['backup', 'drill'], outcome: ['success', 'failure'] },
  // notifications (services/notifications/src/metrics.ts): every label from a fixed set.
  notifications_sent_total: {
    template: NOTIFICATION_TEMPLATE_NAMES,
    outcome: ['sent', 'suppressed', 'throttled', 'bounced', 'unknown_recipient'],
  },
  notifications_dlq_total: {
    reason: ['invalid_request', 'link_outside_app', 'smtp_rejected', 'retries_exhausted'],
  },
  notifications_retries_total: { reason: ['smtp', 'contact_lookup'] },
  notifications_suppressed_total: {},
  notifications_suppression_list_size: {},
  // privacy (services/privacy/src/metrics.ts) and the retention jobs (packages/kit/src/retention.ts).
  privacy_requests_open: { kind: ['export', 'erasure'] },
  privacy_request_oldest_open_age_seconds: { kind: ['export', 'erasure'] },
  privacy_steps_pending: { service: ['auth', 'tracking', 'ai-inference', 'billing', 'audit'] },
  privacy_requests_total: {
    kind: ['export', 'erasure'],
    outcome: ['ready', 'completed', 'cancelled', 'failed', 'expired'],
  },
  privacy_export_purge_last_success_timestamp_seconds: {},
  retention_job_last_success_timestamp_seconds: {
    task: ['tracking-deleted-entries', 'auth-sessions', 'auth-tokens', 'auth-devices'],
  },
  retention_job_rows_purged_total: {
    task: ['tracking-deleted-entries', 'auth-sessions', 'auth-tokens', 'auth-devices'],
  },
};
const HISTOGRAMS: Record<string, Labels> = {
  http_server_request_duration_seconds: { method: null, route: null },
  grpc_server_handling_seconds: { method: null },
  ai_request_duration_seconds: {
    provider: ['anthropic', 'qwen', 'offline'],
    operation: ['estimate', 'review'],
  },
};
const METRICS: Record<string, Labels> = { ...COUNTERS_AND_GAUGES };
for (const [name, labels] of Object.entries(HISTOGRAMS)) {
  METRICS[`${name}_bucket`] = { ...labels, le: null };
  METRICS[`${name}_sum`] = labels;
  METRICS[`${name}_count`] = labels;
}
const JOBS = [
  'gateway',
  'auth',
  'tracking',
  'audit',
  'ai-inference',
  'billing',
  'backup',
  'notifications',
  'privacy',
];

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'or',
  'and',
  'unless',
]);

/** The metric selectors of a PromQL expression: each metric name with its label matchers. */
function selectors(
  expr: string,
): { metric: string; matchers: { label: string; op: string; value: string }[] }[] {
  const found: ReturnType<typeof selectors> = [];
  // Label lists of by/without/on/ignoring are label names, not metrics.
  const code = expr.replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, ' ');
  for (const match of code.matchAll(/\b([a-zA-Z_:][\w:]*)\b\s*(\{[^}]*\})?(?!\s*\()/g)) {
    const [, name = '', braces] = match;
    const before = code.slice(0, match.index);
    // Skip words inside a matcher block, range selectors and numbers.
    if ((before.match(/\{/g) ?? []).length > (before.match(/\}/g) ?? []).length) continue;
    if (/\[[^\]]*$/.test(before) || PROMQL_WORDS.has(name)) continue;
    const matchers = [...(braces ?? '').matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)].map(
      ([, label = '', op = '', value = '']) => ({ label, op, value }),
    );
    found.push({ metric: name, matchers });
  }
  return found;
}

function queryPanels() {
  return dashboards().flatMap((board) =>
    board.panels
      .filter((panel): panel is QueryPanel => panel.type !== 'row')
      .map((panel) => ({ board, panel })),
  );
}

describe('the Grafana dashboards', () => {
  it('are committed exactly as the generator writes them (run `npm run dashboards` when this fails)', async () => {
    expect(await staleDashboards()).toEqual([]);
    expect(DASHBOARD_DIR).toMatch(/charts\/tracking\/files\/grafana\/dashboards$/);
  });

  it('have unique uids and titles, and the shared conventions', () => {
    const boards = dashboards();
    const uids = boards.map((board) => board.uid);
    expect(new Set(uids).size).toBe(uids.length);
    expect(new Set(boards.map((board) => board.title)).size).toBe(boards.length);
    expect(uids).toEqual(
      expect.arrayContaining([
        'tracking-security',
        'tracking-red-gateway',
        'tracking-red-auth',
        'tracking-red-tracking',
        'tracking-red-audit',
        'tracking-red-ai-inference',
        'tracking-red-billing',
        'tracking-red-backup',
        'tracking-kafka',
        'tracking-ai',
        'tracking-backups',
        'tracking-billing',
      ]),
    );
    for (const board of boards) {
      expect(board).toMatchObject({ schemaVersion: 39, time: { from: 'now-6h', to: 'now' }, refresh: '30s' });
      expect(board.tags).toContain('tracking');
      expect(board.templating.list[0]).toMatchObject({
        name: 'datasource',
        type: 'datasource',
        query: 'prometheus',
      });
    }
  });

  it('give every panel a unique id and title, a position, the ${datasource} data source and a query', () => {
    for (const board of dashboards()) {
      const ids = board.panels.map((panel) => panel.id);
      expect({ uid: board.uid, duplicateIds: ids.filter((id, i) => ids.indexOf(id) !== i) }).toEqual({
        uid: board.uid,
        duplicateIds: [],
      });
      for (const panel of board.panels) {
        expect(panel.gridPos).toEqual({
          h: expect.any(Number) as number,
          w: expect.any(Number) as number,
          x: expect.any(Number) as number,
          y: expect.any(Number) as number,
        });
        expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
      }
    }
    for (const { board, panel } of queryPanels()) {
      const where = `${board.uid} / ${panel.title}`;
      expect({ where, datasource: panel.datasource }).toEqual({
        where,
        datasource: { type: 'prometheus', uid: '${datasource}' },
      });
      expect({ where, description: panel.description.length > 20 }).toEqual({ where, description: true });
      expect({ where, targets: panel.targets.length > 0 }).toEqual({ where, targets: true });
      for (const target of panel.targets) {
        expect({ where, datasource: target.datasource }).toEqual({
          where,
          datasource: { type: 'prometheus', uid: '${datasource}' },
        });
        expect({ where, expr: target.expr.trim().length > 0 }).toEqual({ where, expr: true });
      }
    }
    for (const board of dashboards()) {
      const titles = board.panels.filter((panel) => panel.type !== 'row').map((panel) => panel.title);
      expect({ uid: board.uid, duplicateTitles: titles.filter((t, i) => titles.indexOf(t) !== i) }).toEqual({
        uid: board.uid,
        duplicateTitles: [],
      });
    }
  });

  it('query only the metrics, labels and label values the services export', () => {
    const problems: string[] = [];
    for (const { dashboard, panel, expr } of dashboardExpressions()) {
      const found = selectors(expr);
      if (found.length === 0) problems.push(`${dashboard} / ${panel}: no metric in ${expr}`);
      for (const { metric, matchers } of found) {
        const labels = METRICS[metric];
        if (labels === undefined) {
          problems.push(`${dashboard} / ${panel}: ${metric} is not exported`);
          continue;
        }
        for (const { label, op, value } of matchers) {
          if (label === 'instance') continue;
          const allowed = label === 'job' ? JOBS : labels[label];
          if (allowed === undefined) {
            problems.push(`${dashboard} / ${panel}: ${metric} has no label ${label}`);
            continue;
          }
          if (allowed === null || value === '.*') continue;
          const values = op.endsWith('~') ? value.split('|') : [value];
          for (const v of values.filter((v) => !allowed.includes(v)))
            problems.push(`${dashboard} / ${panel}: ${metric}{${label}} has no value ${v}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('show the audit chain on the security overview as a red BROKEN when audit_chain_broken is 1', () => {
    const panel = queryPanels().find(
      ({ board, panel }) => board.uid === 'tracking-security' && panel.title === 'Audit chain',
    )?.panel;
    expect(panel).toMatchObject({
      type: 'stat',
      targets: [{ expr: 'max(audit_chain_broken)' }],
      fieldConfig: {
        defaults: { mappings: [{ type: 'value', options: { '1': { text: 'BROKEN', color: 'red' } } }] },
      },
    });
  });

  it('ask for exemplars on every security_events_total graph, so a spike links to example traces', () => {
    const graphs = queryPanels().filter(
      ({ board, panel }) =>
        board.uid === 'tracking-security' &&
        panel.type === 'timeseries' &&
        panel.targets.some((target) => target.expr.includes('security_events_total')),
    );
    expect(graphs.length).toBeGreaterThanOrEqual(2);
    for (const { panel } of graphs) {
      expect({ panel: panel.title, exemplars: panel.targets.map((target) => target.exemplar) }).toEqual({
        panel: panel.title,
        exemplars: panel.targets.map(() => true),
      });
    }
  });

  it('draw one RED dashboard per service: HTTP for the gateway, gRPC server errors for the others', () => {
    const expressions = dashboardExpressions();
    const of = (uid: string) =>
      expressions.filter((entry) => entry.dashboard === uid).map((entry) => entry.expr);
    expect(of('tracking-red-gateway')).toContainEqual(
      expect.stringContaining(
        'histogram_quantile(0.99, sum by (le, route) (rate(http_server_request_duration_seconds_bucket',
      ),
    );
    for (const job of ['auth', 'tracking', 'audit', 'ai-inference', 'billing', 'backup']) {
      expect(of(`tracking-red-${job}`)).toContainEqual(
        expect.stringContaining(
          `grpc_server_handled_total{job="${job}", instance=~".*", code=~"UNKNOWN|INTERNAL|UNAVAILABLE|DATA_LOSS|DEADLINE_EXCEEDED"}`,
        ),
      );
    }
  });

  it('say on the backup RED dashboard that its gRPC panels show only on-demand runs', () => {
    const backup = dashboards().find((board) => board.uid === 'tracking-red-backup');
    expect(backup?.description).toMatch(/batch service/);
    const rate = backup?.panels.find((panel) => panel.title === 'Call rate');
    expect(rate?.type === 'row' ? '' : rate?.description).toMatch(/only on-demand runs/);
  });

  it('show on the Backups dashboard every backup metric, per database, never summed over replicas', () => {
    const expressions = dashboardExpressions()
      .filter((entry) => entry.dashboard === 'tracking-backups')
      .map((entry) => entry.expr);
    for (const metric of [
      'backup_last_success_timestamp_seconds',
      'backup_rpo_seconds',
      'backup_restore_drill_success',
      'backup_restore_drill_duration_seconds',
      'backup_last_drill_timestamp_seconds',
      'backup_size_bytes',
      'backup_runs_total',
    ]) {
      const uses = expressions.filter((expr) => expr.includes(`${metric}{`));
      expect({ metric, shown: uses.length > 0 }).toEqual({ metric, shown: true });
      // Every replica reports the same numbers: max by database, never a sum of replicas.
      for (const expr of uses) expect(expr).toContain(`max by (db`);
    }
    // Age panels leave a database never backed up (0) out, rather than drawing it 56 years old.
    expect(expressions).toContainEqual(
      'time() - (max by (db) (backup_last_success_timestamp_seconds{job="backup", instance=~".*"}) > 0)',
    );
    const drill = queryPanels().find(
      ({ board, panel }) => board.uid === 'tracking-backups' && panel.title === 'Last restore drill',
    )?.panel;
    expect(drill).toMatchObject({
      fieldConfig: {
        defaults: {
          mappings: [
            { options: { '0': { text: 'FAILED', color: 'red' }, '1': { text: 'passed', color: 'green' } } },
          ],
        },
      },
    });
  });

  it('show on the Billing dashboard webhooks by type and outcome, subscriptions by plan and status, and dunning downgrades', () => {
    const expressions = dashboardExpressions()
      .filter((entry) => entry.dashboard === 'tracking-billing')
      .map((entry) => entry.expr);
    expect(expressions).toContainEqual(
      expect.stringContaining(
        'sum by (type, outcome) (rate(billing_webhooks_total{job="billing", instance=~".*"}[5m]))',
      ),
    );
    expect(expressions).toContainEqual(
      expect.stringContaining(
        'max by (plan, status) (billing_subscriptions{job="billing", instance=~".*", status!="none"})',
      ),
    );
    expect(expressions).toContainEqual(expect.stringContaining('billing_dunning_downgrades_total{'));
    expect(expressions).toContainEqual(
      expect.stringContaining(
        'security_events_total{job="billing", instance=~".*", event="billing.webhook.rejected"}',
      ),
    );
  });

  it('export expressions Prometheus can run as they are: no Grafana variable left in them', () => {
    const expressions = dashboardExpressions();
    expect(expressions.length).toBeGreaterThan(50);
    expect(expressions.filter((entry) => entry.expr.includes('$'))).toEqual([]);
  });
});
