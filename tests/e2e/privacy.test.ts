import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { waitFor } from '@tracking/testing';
import { INGRESS_HEADERS, startPlatform, type Platform } from '@tracking/testing/platform';
import pg from 'pg';

import { loadInventory } from '../privacy/inventory';
import { accounts, PASSWORD } from './accounts';

/*
 * The privacy rights end to end (#22), through the gateway's API on real services: every
 * participant, the privacy service, the object store, Kafka, PostgreSQL and stripe-mock.
 */
let platform: Platform;
const setup = () => platform;
const { api, expectStatus, verifiedClient, trainer, firstAdmin } = accounts(setup);

beforeAll(async () => {
  platform = await startPlatform({
    billing: true,
    privacy: true,
    // The 7-day cooling-off period, shortened so the erasure runs within the test.
    privacyEnv: { ERASURE_COOLING_OFF_MS: '3000' },
  });
}, 180_000);

afterAll(async () => {
  await platform.stop();
});

const hourAgo = () => new Date(Date.now() - 3_600_000).toISOString();

/**
 * A client with everything the platform can hold about a person: a trainer link, a meal whose
 * text is a canary (and its AI estimate), a body metric, a Stripe customer and audit entries.
 */
async function fullClient(canary: string) {
  const coach = await trainer();
  const client = await verifiedClient();
  const invitation = await expectStatus(
    api('POST', '/trainer/invitations', { token: coach.token, body: { email: client.email } }),
    201,
  );
  await expectStatus(
    api('POST', `/me/trainer-links/${String(invitation.body.linkId)}/accept`, { token: client.token }),
    200,
  );
  const meal = await expectStatus(
    api('POST', '/me/meals', {
      token: client.token,
      body: { eatenAt: hourAgo(), mealType: 'lunch', description: canary },
    }),
    201,
  );
  await expectStatus(
    api('POST', '/me/metrics', { token: client.token, body: { recordedAt: hourAgo(), weightKg: 71.2 } }),
    201,
  );
  // The offline estimator answers over Kafka: wait for the estimate to be stored.
  await waitFor(
    async () => {
      const stored = await api('GET', `/me/meals/${String(meal.body.id)}`, { token: client.token });
      return stored.body.estimateStatus !== 'pending';
    },
    { timeoutMs: 60_000, what: 'the AI estimate' },
  );
  // A Stripe customer, made by starting a checkout.
  await expectStatus(
    api('POST', '/me/subscription/checkout', { token: client.token, body: { plan: 'pro' } }),
    201,
  );
  return { ...client, coach };
}

/** The data class docs/data-inventory.yaml gives one of the audit database's columns. */
function classOf(table: string, column: string): string | undefined {
  const entry = loadInventory().databases.audit?.[table]?.columns[column];
  return typeof entry === 'string' ? entry : entry?.class;
}

/** Every text-like column of every table of every service database, as a superuser sees it (no RLS). */
async function rowsHolding(needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const [service, db] of Object.entries(platform.databases)) {
    // The privacy service keeps the record that the request was honoured (ids and times only).
    if (service === 'privacy') continue;
    const url = new URL(process.env.PG_ADMIN_URL ?? '');
    url.pathname = `/${new URL(db.appUrl).pathname.slice(1)}`;
    const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
    try {
      const { rows: columns } = await pool.query<{ table_name: string; column_name: string }>(
        `SELECT table_name, column_name FROM information_schema.columns
          WHERE table_schema = 'public'
            AND data_type IN ('text', 'character varying', 'uuid', 'jsonb', 'json', 'citext', 'USER-DEFINED')`,
      );
      for (const { table_name: table, column_name: column } of columns) {
        // The audit log keeps who did what by user id: its identifier columns are the inventory's
        // stated exception (kept, the person's other fields crypto-shredded).
        if (service === 'audit' && classOf(table, column) === 'identifier') continue;
        // Outboxes count too, published rows included: every service whose events name a person
        // deletes a row as it publishes it (retainSentMs 0, docs/data-inventory.yaml).
        const { rows } = await pool.query<{ count: string }>(
          `SELECT count(*) AS count FROM ${pg.escapeIdentifier(table)}
            WHERE ${pg.escapeIdentifier(column)}::text ILIKE '%' || $1 || '%'`,
          [needle],
        );
        if (Number(rows[0]?.count) > 0) found.push(`${service}.${table}.${column}`);
      }
    } finally {
      await pool.end();
    }
  }
  return found;
}

async function unzip(
  zip: Buffer,
): Promise<{ names: string[]; read: (name: string) => Promise<string>; close: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'export-'));
  const file = path.join(dir, 'export.zip');
  await writeFile(file, zip);
  const { stdout } = await promisify(execFile)('unzip', ['-Z1', file]);
  const names = stdout.split('\n').filter(Boolean);
  return {
    names,
    read: async (name) =>
      (await promisify(execFile)('unzip', ['-p', file, name], { maxBuffer: 64 << 20 })).stdout,
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

/** One gauge's value from the privacy service's ops port, e.g. `privacy_steps_pending{service="billing"}`. */
async function privacyGauge(series: string): Promise<number> {
  const metrics = await (await fetch(`${platform.opsUrls.privacy ?? ''}/metrics`)).text();
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  if (line === undefined) throw new Error(`${series} is not on the privacy service's ops port`);
  return Number(line.slice(series.length + 1));
}

// First in the file on purpose: billing's privacy consumer group has never committed an offset, so
// the request reaches billing only if it reads its topic from the beginning when it comes back
// (a consumer that started from the latest offset would never see it, and the export never ends).
test('a participant that is down delays an export and loses nothing: the deadline gauges show the wait, and its part is in the ZIP once it is back', async () => {
  const client = await fullClient(`canary-outage-${Date.now().toString(36)} lentil soup`);
  expect(await platform.stopService('billing')).toBe(0);

  const asked = await expectStatus(
    api('POST', '/me/data-exports', { token: client.token, body: { currentPassword: PASSWORD } }),
    202,
  );
  const id = String(asked.body.id);
  // Every other participant answers; billing's step stays pending, and the request stays open.
  await waitFor(
    async () => {
      for (const service of ['auth', 'audit', 'tracking', 'ai-inference']) {
        if ((await privacyGauge(`privacy_steps_pending{service="${service}"}`)) !== 0) return false;
      }
      return (await privacyGauge('privacy_steps_pending{service="billing"}')) === 1;
    },
    { timeoutMs: 60_000, what: 'every participant but billing to answer' },
  );
  const firstAge = await privacyGauge('privacy_request_oldest_open_age_seconds{kind="export"}');
  expect(firstAge).toBeGreaterThan(0);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const open = await expectStatus(api('GET', `/me/data-exports/${id}`, { token: client.token }), 200);
  expect(open.body.state).toBe('collecting');
  expect(await privacyGauge('privacy_steps_pending{service="billing"}')).toBe(1);
  // The legal clock keeps running while billing is away: the alerts see the delay grow.
  expect(await privacyGauge('privacy_request_oldest_open_age_seconds{kind="export"}')).toBeGreaterThan(
    firstAge + 1,
  );

  await platform.startService('billing');
  const ready = await waitFor(
    async () => {
      const state = await api('GET', `/me/data-exports/${id}`, { token: client.token });
      if (state.body.state === 'failed') throw new Error(`the export failed: ${String(state.body.failure)}`);
      return state.body.state === 'ready' ? state.body : undefined;
    },
    { timeoutMs: 120_000, what: 'the export to be ready once billing is back' },
  );
  expect((ready.steps as { service: string; state: string }[]).map((step) => step.state)).toEqual(
    Array.from({ length: 5 }, () => 'completed'),
  );
  expect(await privacyGauge('privacy_steps_pending{service="billing"}')).toBe(0);
  expect(await privacyGauge('privacy_request_oldest_open_age_seconds{kind="export"}')).toBe(0);

  // Nothing was lost: billing's part, with the client's Stripe customer, is in the ZIP.
  const download = await fetch(`${platform.api}/me/data-exports/${id}/download`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${client.token}`,
      ...INGRESS_HEADERS,
    },
    body: JSON.stringify({ currentPassword: PASSWORD }),
  });
  expect(download.status).toBe(200);
  const zip = await unzip(Buffer.from(await download.arrayBuffer()));
  expect(zip.names).toContain('billing/billing.json');
  const billing = JSON.parse(await zip.read('billing/billing.json')) as {
    customer: { user_id: string; stripe_customer_id: string }[];
  };
  expect(billing.customer.map((customer) => customer.user_id)).toEqual([client.userId]);
  expect(billing.customer[0]?.stripe_customer_id).toMatch(/^cus_/);
  await zip.close();
});

test('a client exports their data: every class the inventory marks for export is in the ZIP, for them alone', async () => {
  const canary = `canary-export-${Date.now().toString(36)} porridge with blueberries`;
  const client = await fullClient(canary);

  const asked = await expectStatus(
    api('POST', '/me/data-exports', { token: client.token, body: { currentPassword: PASSWORD } }),
    202,
  );
  const id = String(asked.body.id);
  // A second request while it runs is the same one.
  const again = await expectStatus(
    api('POST', '/me/data-exports', { token: client.token, body: { currentPassword: PASSWORD } }),
    200,
  );
  expect(again.body.id).toBe(id);

  const ready = await waitFor(
    async () => {
      const state = await api('GET', `/me/data-exports/${id}`, { token: client.token });
      if (state.body.state === 'failed') throw new Error(`the export failed: ${String(state.body.failure)}`);
      return state.body.state === 'ready' ? state.body : undefined;
    },
    { timeoutMs: 120_000, what: 'the export to be ready' },
  );
  expect(ready.steps).toHaveLength(5);
  const told = await platform.mail.waitForMessage(client.email, /^Your data export is ready/);
  expect(told.text).toContain(`/account/privacy?export=${id}`);

  // Someone else cannot download it: 404, as for a request that does not exist.
  const other = await verifiedClient();
  const refused = await api('POST', `/me/data-exports/${id}/download`, {
    token: other.token,
    body: { currentPassword: PASSWORD },
  });
  expect(refused.status).toBe(404);

  const download = await fetch(`${platform.api}/me/data-exports/${id}/download`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${client.token}`,
      ...INGRESS_HEADERS,
    },
    body: JSON.stringify({ currentPassword: PASSWORD }),
  });
  expect(download.status).toBe(200);
  const zip = await unzip(Buffer.from(await download.arrayBuffer()));

  // Every table the inventory marks for export is in its service's JSON, with every column it
  // does not hold back (`export: false`) in each row, and the README explains it.
  const inventory = loadInventory();
  const readme = await zip.read(zip.names.find((name) => /readme/i.test(name)) ?? 'README.md');
  const missing: string[] = [];
  let checkedRows = 0;
  for (const [service, tables] of Object.entries(inventory.databases)) {
    const exported = Object.entries(tables).filter(([, entry]) => entry.export);
    if (exported.length === 0) continue;
    const parts: Record<string, unknown> = {};
    for (const name of zip.names.filter((file) => file.startsWith(`${service}/`) && file.endsWith('.json'))) {
      Object.assign(parts, JSON.parse(await zip.read(name)) as Record<string, unknown>);
    }
    for (const [table, entry] of exported) {
      if (!readme.includes(table)) missing.push(`${service}.${table}: not in the README`);
      const rows = parts[table];
      if (!Array.isArray(rows)) {
        missing.push(`${service}.${table}: not in the export`);
        continue;
      }
      const columns = Object.entries(entry.columns)
        .filter(([, column]) => typeof column === 'string' || column.export !== false)
        .map(([name]) => name);
      for (const row of rows as Record<string, unknown>[]) {
        checkedRows += 1;
        for (const column of columns) if (!(column in row)) missing.push(`${service}.${table}.${column}`);
      }
    }
  }
  expect([...new Set(missing)]).toEqual([]);
  // The client's meal, metric, link, estimate, customer and audit entries: rows, not empty lists.
  expect(checkedRows).toBeGreaterThanOrEqual(6);
  // The person's own data is in it: the canary meal text.
  const trackingFiles = zip.names.filter((name) => name.startsWith('tracking/'));
  const tracking = (await Promise.all(trackingFiles.map((name) => zip.read(name)))).join('\n');
  expect(tracking).toContain(canary);
  await zip.close();
});

test('a client deletes their account: after the cooling-off period no database holds their id, email or meal text, and the audit chain verifies', async () => {
  const canary = `canary-erase-${Date.now().toString(36)} secret stew`;
  const client = await fullClient(canary);
  expect(await rowsHolding(canary)).not.toEqual([]);

  const asked = await expectStatus(
    api('POST', '/me/account-deletion', { token: client.token, body: { currentPassword: PASSWORD } }),
    202,
  );
  expect(asked.body.state).toBe('scheduled');
  const mail = await platform.mail.waitForMessage(client.email, /^Your account will be deleted/);
  expect(mail.text).toContain('/account/privacy');

  const admin = await firstAdmin();
  const done = await waitFor(
    async () => {
      const listed = await api('GET', `/admin/privacy-requests?subject=${client.userId}&kind=erasure`, {
        token: admin.token,
      });
      const [request] = (listed.body.requests ?? []) as {
        state: string;
        failure: string | null;
        steps: { service: string; state: string; counts: Record<string, number> }[];
      }[];
      if (request?.state === 'failed') throw new Error(`the erasure failed: ${String(request.failure)}`);
      return request?.state === 'completed' ? request : undefined;
    },
    { timeoutMs: 120_000, what: 'the erasure to complete' },
  );
  expect(done.state).toBe('completed');
  expect(done.steps.map((step) => [step.service, step.state]).sort()).toEqual(
    ['ai-inference', 'audit', 'auth', 'billing', 'tracking'].map((service) => [service, 'completed']),
  );
  // Billing deleted the Stripe customer through Stripe's API (stripe-mock answered the DELETE).
  expect(done.steps.find((step) => step.service === 'billing')?.counts).toMatchObject({
    stripe_customer_deleted: 1,
  });

  const left = {
    id: await rowsHolding(client.userId),
    email: await rowsHolding(client.email),
    mealText: await rowsHolding(canary),
  };
  expect(left).toEqual({ id: [], email: [], mealText: [] });
  // The account is gone: its password signs nobody in.
  const login = await api('POST', '/auth/login', { body: { email: client.email, password: PASSWORD } });
  expect(login.status).toBe(401);
  // Erasure never breaks the chain.
  const verified = await expectStatus(
    api('POST', '/admin/audit/verify', { token: admin.token, body: {} }),
    200,
  );
  expect(verified.body).toMatchObject({ intact: true, firstBroken: null });
  // The operator sees it on the privacy service's ops port, with the deadline gauges beside it.
  const metrics = await (await fetch(`${platform.opsUrls.privacy ?? ''}/metrics`)).text();
  expect(metrics).toMatch(/^privacy_requests_total\{kind="erasure",outcome="completed"\} [1-9]/m);
  expect(metrics).toMatch(/^privacy_request_oldest_open_age_seconds\{kind="erasure"\} /m);
  expect(metrics).toMatch(/^privacy_steps_pending\{service="auth"\} 0$/m);
});
