import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { parser } from '@prometheus-io/lezer-promql';
import {
  AlertReceiver,
  infraEnv,
  OtlpReceiver,
  randomName,
  ruleFiles,
  startProcess,
  waitFor,
  type ManagedProcess,
} from '@tracking/testing';
import {
  freePort,
  jsonLines,
  startPlatform,
  writePrincipalKeys,
  type Platform,
} from '@tracking/testing/platform';
import pg from 'pg';
import { parse } from 'yaml';
import { z } from 'zod';

import { accounts, PASSWORD } from './accounts';
import { createBackupHarness, ROOT, type BackupHarness } from './backup-support';
import { startObservability, type Observability } from './observability';

const DASHBOARDS_DIR = path.resolve(
  __dirname,
  '..',
  '..',
  'charts',
  'tracking',
  'files',
  'grafana',
  'dashboards',
);

/** Series Prometheus makes itself, not a service. */
const PROMETHEUS_OWN = new Set([
  'up',
  'ALERTS',
  'ALERTS_FOR_STATE',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
]);

/** The metric names a PromQL expression selects (recording-rule names included). */
function metricNames(expr: string): string[] {
  const names: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector')
        names.push(expr.slice(node.from, node.to));
    },
  });
  return names;
}

const ruleGroups = z.object({
  groups: z.array(
    z.object({
      name: z.string(),
      rules: z.array(
        z.object({
          alert: z.string().optional(),
          record: z.string().optional(),
          expr: z.string(),
          annotations: z.record(z.string(), z.string()).optional(),
        }),
      ),
    }),
  ),
});

/** Every PromQL expression the alerting uses: rule expressions and the queries inside annotation templates. */
async function ruleExpressions(): Promise<{ where: string; expr: string }[]> {
  const found: { where: string; expr: string }[] = [];
  for (const file of await ruleFiles()) {
    for (const group of ruleGroups.parse(parse(await readFile(file, 'utf8'), { merge: true })).groups) {
      for (const rule of group.rules) {
        const where = `${path.basename(file)}: ${rule.alert ?? rule.record ?? '?'}`;
        found.push({ where, expr: rule.expr });
        for (const text of Object.values(rule.annotations ?? {})) {
          for (const match of text.matchAll(/query\s+"((?:[^"\\]|\\.)*)"/g))
            found.push({ where: `${where} (annotation)`, expr: JSON.parse(`"${match[1] ?? ''}"`) as string });
        }
      }
    }
  }
  return found;
}

async function recordedNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const file of await ruleFiles()) {
    for (const group of ruleGroups.parse(parse(await readFile(file, 'utf8'), { merge: true })).groups)
      for (const rule of group.rules) if (rule.record) names.add(rule.record);
  }
  return names;
}

/** Every panel query (and `label_values` variable) of the dashboards the chart ships. */
async function dashboardExpressions(): Promise<{ where: string; expr: string }[]> {
  const found: { where: string; expr: string }[] = [];
  const visit = (dashboard: string, node: unknown, panel: string) => {
    if (Array.isArray(node)) {
      for (const item of node) visit(dashboard, item, panel);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    const title = typeof record.title === 'string' ? record.title : panel;
    if (typeof record.expr === 'string' && record.expr)
      found.push({ where: `${dashboard}: ${title}`, expr: withoutGrafanaVariables(record.expr) });
    const variable = typeof record.query === 'string' ? /^label_values\((\w+)/.exec(record.query) : null;
    if (variable?.[1]) found.push({ where: `${dashboard}: variable ${title}`, expr: variable[1] });
    for (const value of Object.values(record)) visit(dashboard, value, title);
  };
  for (const name of (await readdir(DASHBOARDS_DIR)).filter((file) => file.endsWith('.json')).sort())
    visit(name, JSON.parse(await readFile(path.join(DASHBOARDS_DIR, name), 'utf8')), '');
  return found;
}

const SUFFIXES = /_(?:total|bucket|sum|count|created)$/;

/** Grafana's variables, replaced by what they stand for so the expression is plain PromQL. */
function withoutGrafanaVariables(expr: string): string {
  return expr.replaceAll(/\$__(?:rate_interval|interval|range)/g, '5m').replaceAll(/\$\{?\w+\}?/g, '.*');
}

describe('observability: real Prometheus and Alertmanager on the running platform', () => {
  const otlp = new OtlpReceiver();
  const receiver = new AlertReceiver();
  let platform: Platform | undefined;
  let observability: Observability | undefined;
  let backupHarness: BackupHarness | undefined;
  let backup: ManagedProcess | undefined;
  const {
    api: call,
    register,
    login,
    enrolTotp,
    firstAdmin,
  } = accounts(() => {
    if (!platform) throw new Error('the platform was not started');
    return platform;
  });
  const prometheus = () => {
    if (!observability) throw new Error('Prometheus was not started');
    return observability;
  };

  beforeAll(async () => {
    const [collector, webhookUrl] = await Promise.all([otlp.start(), receiver.start()]);
    platform = await startPlatform({
      env: {
        OTEL_SDK_DISABLED: 'false',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
      // Every service the alert rules and dashboards read, billing's webhooks and plans included,
      // and the privacy service (its deadline alerts and the Privacy dashboard, #22).
      billing: true,
      privacy: true,
    });
    // And the backup service, configured for the platform's databases, with no backup taken yet.
    backupHarness = await createBackupHarness();
    await backupHarness.setSources(Object.values(platform.databases).map((db) => db.database));
    const backupOps = await freePort();
    backup = await startProcess({
      name: 'backup',
      entry: path.join(ROOT, 'services', 'backup', 'src', 'main.ts'),
      env: {
        ...backupHarness.env,
        KAFKA_TOPIC_PREFIX: platform.topicPrefix,
        GRPC_PORT: String(await freePort()),
        OPS_PORT: String(backupOps),
        BACKUP_AUDIT_DATABASE: platform.databases.audit?.database ?? 'audit',
        // The service refuses to start without the keys its callers' principals are checked
        // against; this test only scrapes its metrics, so a key of its own will do.
        PRINCIPAL_PUBLIC_KEY_FILES: (await writePrincipalKeys(path.join(backupHarness.dir, 'principal')))
          .publicKeyFile,
      },
      readyUrl: `http://127.0.0.1:${String(backupOps)}/readyz`,
    });
    const targets = { ...platform.opsUrls, backup: `http://127.0.0.1:${String(backupOps)}` };
    observability = await startObservability({ targets, webhookUrl });
    // Every service scraped at least once, in the format it serves (OpenMetrics).
    const jobs = Object.keys(targets);
    await waitFor(
      async () => {
        const answer = (await prometheus().api('/api/v1/query?query=up')) as {
          result: { metric: { job: string }; value: [number, string] }[];
        };
        const upJobs = answer.result
          .filter((series) => series.value[1] === '1')
          .map((series) => series.metric.job);
        return jobs.every((job) => upJobs.includes(job)) ? true : undefined;
      },
      { what: 'Prometheus to scrape every service', timeoutMs: 60_000 },
    );
  }, 180_000);

  afterAll(async () => {
    await observability?.stop();
    await backup?.stop();
    await backupHarness?.cleanup();
    await platform?.stop();
    await Promise.all([receiver.stop(), otlp.stop()]);
  });

  test('every metric an alert rule or a dashboard panel uses is exported by a running service', async () => {
    const sampled = new Set((await prometheus().api('/api/v1/label/__name__/values')) as string[]);
    // Families a service declares but has no series of yet (a labelled counter nothing has
    // incremented, such as the DLQ count): Prometheus keeps their metadata from the scrape.
    const declared = new Set(
      Object.keys((await prometheus().api('/api/v1/metadata')) as Record<string, unknown>),
    );
    const recorded = await recordedNames();
    const exported = (name: string) =>
      sampled.has(name) || declared.has(name) || declared.has(name.replace(SUFFIXES, ''));

    const expressions = [...(await ruleExpressions()), ...(await dashboardExpressions())];
    // The check itself: a misspelt name is caught.
    expect(exported('auth_login_failures_totall')).toBe(false);
    expect(expressions.length).toBeGreaterThan(50);
    const missing = expressions.flatMap(({ where, expr }) =>
      metricNames(expr)
        .filter((name) => !PROMETHEUS_OWN.has(name) && !recorded.has(name) && !exported(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(missing).toEqual([]);
  });

  test('a quiet platform raises no alert', async () => {
    // Several evaluations after every target is up: nothing pending or firing.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const answer = (await prometheus().api('/api/v1/alerts')) as {
      alerts: { labels: { alertname: string } }[];
    };
    expect(answer.alerts.map((alert) => alert.labels.alertname)).toEqual([]);
  });

  test('a brute-force attack through the gateway pages on-call, and the page carries a correlation id that finds the log lines and audit entries', async () => {
    const victim = await register();
    // Five wrong passwords lock the account (THROTTLE_FREE_FAILURES); the sixth is refused unchecked.
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const response = await call('POST', '/auth/login', {
        body: { email: victim.email, password: `not the password ${String(attempt)}` },
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect(PASSWORD).not.toBe('not the password 0');

    // Prometheus scrapes the lockout, the rule fires, Alertmanager routes it to the page receiver.
    const [alert] = await waitFor(() => nonEmpty(receiver.alerts('AuthBruteForce')), {
      what: 'the AuthBruteForce notification at the webhook',
      timeoutMs: 60_000,
    });
    const notification = receiver.notifications.find((sent) => sent.alerts.includes(alert as never));
    expect(notification?.receiver).toBe('oncall-page');
    expect(alert).toMatchObject({
      status: 'firing',
      labels: { alertname: 'AuthBruteForce', team: 'security', scope: 'login' },
    });
    const correlationId = alert?.annotations.example_correlation_id ?? '';
    expect(correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(alert?.annotations.runbook_url).toMatch(/docs\/runbooks\/.+\.md$/);

    // That id is the request that tripped the lock: its lines in the gateway and auth logs...
    const authLines = (await jsonLines(platform?.logFile('auth') ?? '')).filter(
      (line) => line.correlation_id === correlationId,
    );
    expect(authLines.map((line) => line.event)).toEqual(
      expect.arrayContaining(['auth.login.failed', 'auth.lockout']),
    );
    expect(authLines.find((line) => line.event === 'auth.login.failed')).toMatchObject({
      userId: victim.userId,
      security: true,
    });
    const gatewayLine = (await jsonLines(platform?.logFile('gateway') ?? '')).find(
      (line) => line.event === 'http.request' && line.correlation_id === correlationId,
    );
    expect(gatewayLine).toMatchObject({ route: '/api/v1/auth/login', status: 401 });

    // ...and its audit entry, through the audit API an admin uses.
    const { token } = await firstAdmin();
    const entries = await waitFor(
      async () => {
        const page = await call('GET', `/admin/audit/entries?correlationId=${correlationId}`, { token });
        const found = page.body.entries as { action: string; subject: { id: string } }[] | undefined;
        return found?.length ? found : undefined;
      },
      { what: 'the audit entry of the failed login' },
    );
    // The failed sign-in, and, when this was the attempt that paused the account, the lock-out
    // auth writes in the same transaction (auth.account.locked): nothing else, and only the victim.
    const actions = entries.map((entry) => ({ action: entry.action, subject: entry.subject.id }));
    expect(actions).toContainEqual({ action: 'auth.login.failed', subject: victim.userId });
    expect(
      actions.filter(
        (entry) =>
          entry.subject !== victim.userId ||
          !['auth.login.failed', 'auth.account.locked'].includes(entry.action),
      ),
    ).toEqual([]);

    // The trace id beside it is a real trace of that request.
    const traceId = alert?.annotations.example_trace_id ?? '';
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    await waitFor(
      () => otlp.spans.some((span) => span.traceId === traceId && span.service === 'auth') || undefined,
      {
        what: 'the spans of the example trace',
      },
    );
  });

  test('a security counter carries exemplars that link a spike to the trace and correlation id of an example event', async () => {
    const now = Date.now() / 1000;
    const exemplars = await waitFor(
      async () => {
        const answer = (await prometheus().api(
          `/api/v1/query_exemplars?query=${encodeURIComponent('security_events_total{event="auth.login.failed"}')}&start=${String(now - 600)}&end=${String(now + 60)}`,
        )) as { exemplars: { labels: Record<string, string> }[] }[];
        return nonEmpty(answer.flatMap((series) => series.exemplars));
      },
      { what: 'exemplars of auth.login.failed' },
    );
    const logged = (await jsonLines(platform?.logFile('auth') ?? '')).filter(
      (line) => line.event === 'auth.login.failed',
    );
    for (const { labels } of exemplars) {
      expect(labels.trace_id).toMatch(/^[0-9a-f]{32}$/);
      // Each exemplar is one of the logged failures: same trace, same correlation id.
      expect(logged).toContainEqual(
        expect.objectContaining({ trace_id: labels.trace_id, correlation_id: labels.correlation_id }),
      );
    }
  });

  test('canaries: no password, session token, TOTP secret or recovery code reaches a log line, a span, a metric, a Prometheus series or a notification', async () => {
    const { email } = await register();
    const token = await login(email);
    const { secret, recoveryCodes } = await enrolTotp(token);
    const wrongPassword = `canary-${randomName()}-passphrase`;
    const forgedToken = `canary${randomName()}forged`;
    expect((await call('POST', '/auth/login', { body: { email, password: wrongPassword } })).status).toBe(
      401,
    );
    expect((await call('GET', '/me', { token: forgedToken })).status).toBe(401);
    expect((await call('GET', '/me', { token })).status).toBe(200);
    const canaries = [wrongPassword, forgedToken, token, secret, ...recoveryCodes];
    // Long enough that a match is a leak, not a coincidence.
    expect(canaries.every((canary) => canary.length >= 16)).toBe(true);

    // Wait until what those requests caused has been scraped and exported.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const written: Record<string, string> = {};
    for (const [service, url] of Object.entries(platform?.opsUrls ?? {})) {
      written[`${service} log`] = await readFile(platform?.logFile(service) ?? '', 'utf8');
      written[`${service} /metrics`] = await (await fetch(`${url}/metrics`)).text();
    }
    written.spans = JSON.stringify(otlp.spans);
    written['Prometheus series'] = JSON.stringify(
      await prometheus().api(
        `/api/v1/series?${new URLSearchParams({ 'match[]': '{__name__=~".+"}' }).toString()}`,
      ),
    );
    written.notifications = JSON.stringify(receiver.notifications);
    expect(written['auth log']).toContain('auth.login.failed');
    const leaks = Object.entries(written).flatMap(([where, text]) =>
      canaries.filter((canary) => text.includes(canary)).map((canary) => `${where}: ${canary.slice(0, 6)}…`),
    );
    expect(leaks).toEqual([]);
  });

  // Last: it leaves this platform's audit chain broken.
  test("tampering with the audit log pages on-call as soon as an admin's verification finds it, naming that verification", async () => {
    const { token } = await firstAdmin();
    const audit = platform?.databases.audit;
    if (!audit) throw new Error('no audit database');
    const owner = new URL(infraEnv().adminUrl);
    owner.pathname = `/${audit.database}`;
    const attacker = new pg.Client({ connectionString: owner.toString() });
    await attacker.connect();
    try {
      // What only someone with the database superuser could do: switch off the append-only rule.
      await attacker.query('ALTER TABLE audit_entry DISABLE TRIGGER USER');
      await attacker.query(
        `UPDATE audit_entry SET action = 'auth.user.registered' WHERE sequence = (SELECT min(sequence) FROM audit_entry)`,
      );
      await attacker.query(
        `UPDATE audit_entry SET outcome = 'failure' WHERE sequence = (SELECT min(sequence) FROM audit_entry)`,
      );
      await attacker.query('ALTER TABLE audit_entry ENABLE TRIGGER USER');
    } finally {
      await attacker.end();
    }
    const verified = await call('POST', '/admin/audit/verify', { token, body: {} });
    expect(verified.status).toBe(200);
    expect(verified.body.intact).toBe(false);

    const [alert] = await waitFor(() => nonEmpty(receiver.alerts('AuditChainBroken')), {
      what: 'the AuditChainBroken notification at the webhook',
      timeoutMs: 60_000,
    });
    expect(alert).toMatchObject({
      status: 'firing',
      labels: { severity: 'critical', team: 'security', job: 'audit' },
    });
    expect(alert?.annotations.example_correlation_id).toBe(verified.headers.get('x-correlation-id'));
  });
});

function nonEmpty<T>(list: T[]): T[] | undefined {
  return list.length ? list : undefined;
}
