import { execFile } from 'node:child_process';
import { randomUUID, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';

import { Client as GrpcClient, credentials, status } from '@grpc/grpc-js';
import { TOPICS } from '@tracking/contracts';
import { createKafka, createLogger, type EventEnvelope } from '@tracking/kit';
import { allowedCallers, createTestPki, infraEnv, waitFor, type TestPki } from '@tracking/testing';
import { jsonLines, startPlatform, type Platform } from '@tracking/testing/platform';
import pg from 'pg';

import { accounts } from './accounts';

/** What one request of the load came back with; status 0 when no HTTP answer came at all. */
interface Outcome {
  client: number;
  sentAt: number;
  /** How long the answer took, in ms. */
  ms: number;
  status: number;
  mealId?: string;
  error?: string;
}

const CLIENTS = 16;
/** Each client logs a meal this often: 16 clients, 8 meals a second through the gateway. */
const INTERVAL_MS = 2_000;
/**
 * 18 meals per client: under the free plan's 20 estimates a day, so every meal must come back
 * estimated and a budget refusal cannot hide a lost event.
 */
const LOAD_MS = 36_000;
/** How often every process re-reads its certificate files (GRPC_TLS_REFRESH_MS). */
const REFRESH_MS = 1_000;
/** How long the test gives every process to take up changed files: three refreshes. */
const TAKE_UP_MS = 3 * REFRESH_MS;

const ROOT = path.resolve(__dirname, '..', '..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** How many times each id occurs, e.g. { 'meal-1': 1, 'meal-2': 2 }. */
function tally(ids: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const id of ids) counts[id] = (counts[id] ?? 0) + 1;
  return counts;
}

const serialOf = (pem: Buffer | string) => new X509Certificate(pem).serialNumber.replace(/^0+/, '');

/** The Secret a PKI file belongs to: `ca` for ca.crt, else the component (auth.crt and auth.key: `auth`). */
const secretOf = (file: string) => file.replace(/\.(crt|key)$/, '');

/** The files of the given components' Secrets only. */
const only = (files: Record<string, Buffer>, components: readonly string[]) =>
  Object.fromEntries(Object.entries(files).filter(([name]) => components.includes(secretOf(name))));

/**
 * A PKI laid out as the kubelet projects Secrets into pods: one Secret per component (its
 * certificate and key) and one for the CA bundle, each file a symlink through its Secret's
 * `..<secret>.data` link into a versioned directory. A new version of a Secret appears by
 * renaming that one link, so a reader sees a component's old pair or its new pair, never a
 * certificate beside the wrong key; and, as in a cluster, each Secret changes on its own.
 */
async function projectedSecrets(files: Record<string, Buffer>) {
  const dir = await mkdtemp(path.join(tmpdir(), 'projected-'));
  const versions = new Map<string, number>();
  /** A new version of every Secret `next` has files of. */
  const publish = async (next: Record<string, Buffer>) => {
    for (const secret of new Set(Object.keys(next).map(secretOf))) {
      const version = (versions.get(secret) ?? 0) + 1;
      versions.set(secret, version);
      const versionDir = `..${secret}.v${String(version)}`;
      await mkdir(path.join(dir, versionDir), { mode: 0o700 });
      for (const [name, content] of Object.entries(only(next, [secret]))) {
        await writeFile(path.join(dir, versionDir, name), content, { mode: 0o600 });
      }
      await symlink(versionDir, path.join(dir, `..${secret}.data_tmp`));
      await rename(path.join(dir, `..${secret}.data_tmp`), path.join(dir, `..${secret}.data`));
    }
  };
  await publish(files);
  for (const name of Object.keys(files)) {
    await symlink(path.join(`..${secretOf(name)}.data`, name), path.join(dir, name));
  }
  return { dir, publish, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The CA and every component's certificate and key of a PKI directory (scripts/pki.sh's layout), not the CA's key. */
async function pkiFiles(dir: string): Promise<Record<string, Buffer>> {
  const names = (await readdir(dir)).filter((name) => /^[a-z-]+\.(crt|key)$/.test(name) && name !== 'ca.key');
  return Object.fromEntries(
    await Promise.all(names.map(async (name) => [name, await readFile(path.join(dir, name))] as const)),
  );
}

/** The serial a fresh TLS handshake with 127.0.0.1:`port` is shown, after `start` (e.g. PostgreSQL's SSLRequest). */
async function presentedSerial(
  port: number,
  ca: Buffer,
  start?: (socket: ReturnType<typeof connectTcp>) => Promise<void>,
): Promise<string> {
  const tcp = connectTcp(port, '127.0.0.1');
  await once(tcp, 'connect');
  await start?.(tcp);
  const socket: TLSSocket = connectTls({ socket: tcp, host: '127.0.0.1', ca, ALPNProtocols: ['h2'] });
  try {
    await once(socket, 'secureConnect');
    return serialOf(socket.getPeerX509Certificate()?.raw ?? Buffer.alloc(0));
  } finally {
    socket.destroy();
  }
}

/** PostgreSQL speaks TLS after its SSLRequest message (protocol code 80877103) is answered 'S'. */
async function postgresStartTls(socket: ReturnType<typeof connectTcp>): Promise<void> {
  const request = Buffer.alloc(8);
  request.writeInt32BE(8, 0);
  request.writeInt32BE(80_877_103, 4);
  socket.write(request);
  const [answer] = (await once(socket, 'data')) as [Buffer];
  if (answer.toString() !== 'S') throw new Error(`PostgreSQL refused TLS: ${answer.toString()}`);
}

/**
 * Certificate rotation under load (#24): the platform's gRPC certificates are replaced on disk
 * while signed-in clients log meals through the gateway, which calls auth and tracking over
 * mutual TLS: first every component's from a new key, then from a new CA, trusted beside the old
 * one while the certificates change over. PostgreSQL's server certificate is reissued in the
 * same run. No request may fail, no event may be lost or doubled (tracking's meal-logged event,
 * ai-inference's estimate and audit's entry arrive once per meal), no process restarts, and a
 * new connection is shown the new certificate.
 */
describe('certificate rotation under load', () => {
  let platform: Platform | undefined;
  let pki: TestPki | undefined;
  let nextCa: TestPki | undefined;
  let secret: Awaited<ReturnType<typeof projectedSecrets>> | undefined;
  const setup = () => {
    if (!platform || !pki || !nextCa || !secret) throw new Error('the platform was not started');
    return { platform, pki, nextCa, secret };
  };
  const { api, register, login, enrolTotp } = accounts(() => setup().platform);
  const log = createLogger({ service: 'test', level: 'warn' });
  const kafka = createKafka({ clientId: 'cert-rotation-test', ...infraEnv().kafka, log });
  const consumer = kafka.consumer({ groupId: `cert-rotation-test-${randomUUID()}` });
  /** Every event on the meal and estimate topics, as the test's own consumer read them. */
  const events: EventEnvelope[] = [];

  beforeAll(async () => {
    [pki, nextCa] = await Promise.all([createTestPki(), createTestPki()]);
    secret = await projectedSecrets(await pkiFiles(pki.dir));
    platform = await startPlatform({
      pki: secret.dir,
      env: { GRPC_TLS_REFRESH_MS: String(REFRESH_MS) },
      // The test asks whether a rotation loses requests, not how fast they are: a refused
      // handshake fails at once, whatever the deadline. On a loaded CI machine a call's p99
      // reached 3.2 s, close to the default 5 s deadline, so the gateway waits longer here.
      gatewayEnv: { GRPC_DEADLINE_MS: '20000' },
    });
    await consumer.connect();
    for (const topic of [TOPICS.trackingMeal, TOPICS.aiMeal]) {
      await consumer.subscribe({ topic: `${platform.topicPrefix}${topic}`, fromBeginning: true });
    }
    await consumer.run({
      eachMessage: ({ message }) => {
        events.push(JSON.parse(message.value?.toString() ?? '{}') as EventEnvelope);
        return Promise.resolve();
      },
    });
  }, 180_000);

  afterAll(async () => {
    await consumer.disconnect();
    const codes = (await platform?.stop()) ?? [];
    await Promise.all([pki?.remove(), nextCa?.remove(), secret?.remove()]);
    expect(codes).toEqual(codes.map(() => 0));
  });

  /** When each service's process started, from its own /metrics: a restart would change it. */
  async function startTimes(): Promise<Record<string, string>> {
    const entries = await Promise.all(
      Object.entries(setup().platform.opsUrls).map(async ([service, url]) => {
        const text = await (await fetch(`${url}/metrics`)).text();
        return [service, /^process_start_time_seconds (\S+)$/m.exec(text)?.[1] ?? 'absent'] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  /** The gRPC servers of the platform, by component, as loopback ports. */
  const grpcPorts = (): Record<string, number> => {
    const { authGrpc, auditGrpc, trackingGrpc, aiGrpc } = setup().platform;
    const port = (address: string) => Number(address.split(':')[1]);
    return {
      auth: port(authGrpc),
      audit: port(auditGrpc),
      tracking: port(trackingGrpc),
      'ai-inference': port(aiGrpc),
    };
  };

  /**
   * The serial each gRPC server shows a new connection, once it is the one `files` hold (or,
   * after a few refresh intervals, whatever it still shows, for the assertion to name).
   */
  async function serversPresent(files: Record<string, Buffer>): Promise<Record<string, string>> {
    const ca = files['ca.crt'] ?? Buffer.alloc(0);
    const seen = await Promise.all(
      Object.entries(grpcPorts()).map(async ([component, port]) => {
        const wanted = serialOf(files[`${component}.crt`] ?? '');
        let shown: string;
        const deadline = Date.now() + 2 * TAKE_UP_MS;
        do {
          shown = await presentedSerial(port, ca).catch((error: unknown) => `refused: ${String(error)}`);
          if (shown === wanted) break;
          await sleep(200);
        } while (Date.now() < deadline);
        return [component, shown] as const;
      }),
    );
    return Object.fromEntries(seen);
  }

  const expectedServerSerials = (files: Record<string, Buffer>) =>
    Object.fromEntries(
      Object.keys(grpcPorts()).map((component) => [component, serialOf(files[`${component}.crt`] ?? '')]),
    );

  /** A method of each gRPC server for a probe call; none may change anything. */
  const PROBED_METHODS: Record<string, string> = {
    auth: '/tracking.auth.v1.AuthService/GetMe',
    audit: '/tracking.audit.v1.AuditService/ListEntries',
    tracking: '/tracking.tracking.v1.TrackingService/ListMeals',
    'ai-inference': '/tracking.ai.v1.AiInferenceService/EstimateMeal',
  };

  /** Every call the chart's call graph allows between the running processes, as "caller → server". */
  const callGraph = () =>
    Object.keys(grpcPorts()).flatMap((server) =>
      allowedCallers(server)
        .filter((caller) => caller in setup().platform.opsUrls)
        .map((caller) => ({ caller, server })),
    );
  const everyCallServed = () =>
    Object.fromEntries(callGraph().map(({ caller, server }) => [`${caller} → ${server}`, 'served']));

  /** How many calls each gRPC server has refused (grpc_refused_total, every reason). */
  async function refusedCalls(server: string): Promise<number> {
    const text = await (await fetch(`${setup().platform.opsUrls[server] ?? ''}/metrics`)).text();
    return [...text.matchAll(/^grpc_refused_total\{[^}]*\} (\S+)$/gm)].reduce(
      (sum, match) => sum + Number(match[1]),
      0,
    );
  }

  /**
   * A new connection for every call of the call graph, made as the caller is now (the CA bundle,
   * certificate and key it is published right now), with one call a server answers without
   * changing anything: "served" when the handshake worked both ways and the server's caller check
   * let it through (the call then fails for want of a session or principal, which is the
   * service's own answer), else what went wrong.
   */
  async function newConnections(): Promise<Record<string, string>> {
    const file = (name: string) => readFile(path.join(setup().secret.dir, name));
    const outcomes: Record<string, string> = {};
    // One at a time, so that a refusal counted by a server is this call's.
    for (const { caller, server } of callGraph()) {
      const [ca, key, certificate] = await Promise.all([
        file('ca.crt'),
        file(`${caller}.key`),
        file(`${caller}.crt`),
      ]);
      const refusedBefore = await refusedCalls(server);
      const client = new GrpcClient(
        `127.0.0.1:${String(grpcPorts()[server])}`,
        credentials.createSsl(ca, key, certificate),
        // The certificates name localhost as well as 127.0.0.1, and SNI carries no IP address.
        { 'grpc.ssl_target_name_override': 'localhost' },
      );
      const code = await new Promise<status>((resolve) => {
        const bytes = (value: Buffer) => value;
        client.makeUnaryRequest(
          PROBED_METHODS[server] ?? '',
          bytes,
          bytes,
          Buffer.alloc(0),
          { deadline: Date.now() + 5_000 },
          (error) => resolve(error?.code ?? status.OK),
        );
      });
      client.close();
      const refused = (await refusedCalls(server)) - refusedBefore;
      outcomes[`${caller} → ${server}`] =
        code === status.UNAVAILABLE
          ? 'no connection'
          : refused > 0
            ? 'refused by the caller check'
            : 'served';
    }
    return outcomes;
  }

  /** PostgreSQL's server certificate reissued from its CA and reloaded (scripts/postgres.sh reissue-cert). */
  async function reissuePostgresCertificate(): Promise<{ issued: string; presented: string }> {
    const { stdout, stderr } = await promisify(execFile)(
      'bash',
      [path.join(ROOT, 'scripts', 'postgres.sh'), 'reissue-cert'],
      { cwd: ROOT },
    );
    const issued = /serial 0x([0-9a-fA-F]+)/.exec(`${stdout}${stderr}`)?.[1]?.toUpperCase() ?? 'none';
    const ca = await readFile(process.env.PG_CA_FILE ?? '');
    const presented = await presentedSerial(Number(process.env.PG_PORT), ca, postgresStartTls);
    return { issued: issued.replace(/^0+/, ''), presented };
  }

  /**
   * Each client logs a meal every INTERVAL_MS until LOAD_MS has passed, on a fixed schedule
   * (staggered so the requests spread evenly); nothing is retried, every outcome is kept.
   */
  async function mealLoad(tokens: readonly string[], startedAt: number): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    await Promise.all(
      tokens.map(async (token, client) => {
        const offset = (INTERVAL_MS * client) / tokens.length;
        for (let due = startedAt + offset; due < startedAt + LOAD_MS; due += INTERVAL_MS) {
          await sleep(due - Date.now());
          const sentAt = Date.now() - startedAt;
          try {
            const answer = await api('POST', '/me/meals', {
              token,
              headers: { 'Idempotency-Key': randomUUID() },
              body: {
                eatenAt: new Date().toISOString(),
                mealType: 'lunch',
                description: 'porridge with banana',
              },
            });
            outcomes.push({
              client,
              sentAt,
              ms: Date.now() - startedAt - sentAt,
              status: answer.status,
              ...(answer.status === 201 ? { mealId: String(answer.body.mealId) } : {}),
              ...(answer.status === 201 ? {} : { error: JSON.stringify(answer.body) }),
            });
          } catch (error) {
            outcomes.push({
              client,
              sentAt,
              ms: Date.now() - startedAt - sentAt,
              status: 0,
              error: String(error),
            });
          }
        }
      }),
    );
    return outcomes;
  }

  /** The meal ids audit holds a tracking.meal.logged entry for, once per entry. */
  async function auditedMeals(): Promise<string[]> {
    const db = new pg.Client({ connectionString: setup().platform.databases.audit?.migratorUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ subject_id: string }>(
        "SELECT subject_id FROM audit_entry WHERE action = 'tracking.meal.logged' AND subject_type = 'meal'",
      );
      return rows.map((row) => row.subject_id);
    } finally {
      await db.end();
    }
  }

  const mealIdsOf = (type: string) =>
    events
      .filter((event) => event.type === type)
      .map((event) => String((event.data as { mealId?: unknown }).mealId));

  /** The serials each service logged taking up (grpc.tls.reloaded), in order. */
  async function reloadedSerials(): Promise<Record<string, string[]>> {
    const services = Object.keys(setup().platform.opsUrls);
    const logged = await Promise.all(
      services.map(async (service) => {
        const lines = await jsonLines(setup().platform.logFile(service));
        return [
          service,
          lines
            .filter((line) => line.event === 'grpc.tls.reloaded')
            .map((line) => String(line.serial).replace(/^0+/, '')),
        ] as const;
      }),
    );
    return Object.fromEntries(logged);
  }

  test('rotating every gRPC certificate, then the CA, while clients log meals fails no request and loses no event', async () => {
    const { pki, nextCa, secret } = setup();
    const tokens = await Promise.all(
      Array.from({ length: CLIENTS }, async () => login((await register()).email)),
    );
    const before = await startTimes();
    const original = await pkiFiles(pki.dir);
    expect(await serversPresent(original)).toEqual(expectedServerSerials(original));
    // The new certificates are issued before the load, as cert-manager issues them elsewhere: the
    // processes still read the published set, and the test's openssl runs steal no CPU from them.
    await pki.rotate();
    const renewed = await pkiFiles(pki.dir);
    const nextFiles = await pkiFiles(nextCa.dir);

    const startedAt = Date.now();
    const load = mealLoad(tokens, startedAt);

    // 1. A new key and certificate for every component from the same CA, as a renewal does.
    await sleep(5_000);
    await secret.publish(renewed);
    const afterRenewal = await serversPresent(renewed);
    const postgres = await reissuePostgresCertificate();

    // 2. A new CA. Every component trusts both first; then the components' certificates change
    // over, half of them first, and every caller's new connection to every server it may call
    // must work in between; once all have changed, the old CA is trusted no more.
    await sleep(2_000);
    const bundle = Buffer.concat([
      renewed['ca.crt'] ?? Buffer.alloc(0),
      nextFiles['ca.crt'] ?? Buffer.alloc(0),
    ]);
    await secret.publish({ 'ca.crt': bundle });
    await sleep(TAKE_UP_MS);
    const firstHalf = ['auth', 'tracking', 'notifications'];
    await secret.publish(only(nextFiles, firstHalf));
    await sleep(TAKE_UP_MS);
    const halfwayCalls = await newConnections();
    const secondHalf = Object.keys(nextFiles)
      .map(secretOf)
      .filter((name) => name !== 'ca' && !firstHalf.includes(name));
    await secret.publish(only(nextFiles, secondHalf));
    const afterNewCa = await serversPresent({ ...nextFiles, 'ca.crt': bundle });
    await secret.publish({ 'ca.crt': nextFiles['ca.crt'] ?? Buffer.alloc(0) });
    await sleep(TAKE_UP_MS);
    const newCaCalls = await newConnections();
    const rotatedAt = Date.now() - startedAt;

    const outcomes = await load;
    const latencies = outcomes.map((outcome) => outcome.ms).sort((a, b) => a - b);
    const percentile = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
    console.info(
      `${String(outcomes.length)} meals logged during the rotation (over by ${String(rotatedAt)} ms): ` +
        `p50 ${String(percentile(0.5))} ms, p99 ${String(percentile(0.99))} ms, max ${String(latencies.at(-1))} ms`,
    );

    // Every request was answered, and answered 201.
    expect(outcomes).toHaveLength(CLIENTS * (LOAD_MS / INTERVAL_MS));
    expect(outcomes.filter((outcome) => outcome.status !== 201)).toEqual([]);

    // New connections were shown the new certificates, without a restart.
    expect(afterRenewal).toEqual(expectedServerSerials(renewed));
    expect(afterNewCa).toEqual(expectedServerSerials(nextFiles));
    expect(halfwayCalls).toEqual(everyCallServed());
    expect(newCaCalls).toEqual(everyCallServed());
    expect(postgres.presented).toBe(postgres.issued);
    expect(await startTimes()).toEqual(before);
    // The load went on after the rotation: every client sent at least once more.
    expect(outcomes.filter((outcome) => outcome.sentAt > rotatedAt).length).toBeGreaterThanOrEqual(CLIENTS);
    // Each meal's event, its estimate and its audit entry, end to end; then nothing more comes.
    const meals = outcomes.map((outcome) => outcome.mealId ?? '');
    const once = Object.fromEntries(meals.map((id) => [id, 1]));
    await waitFor(
      async () =>
        mealIdsOf('tracking.meal.logged').length >= meals.length &&
        mealIdsOf('ai.meal.estimated').length >= meals.length &&
        (await auditedMeals()).length >= meals.length,
      { what: 'every meal’s event, estimate and audit entry', timeoutMs: 60_000 },
    );
    await sleep(2_000);
    expect(tally(mealIdsOf('tracking.meal.logged'))).toEqual(once);
    expect(tally(mealIdsOf('ai.meal.estimated'))).toEqual(once);
    expect(tally(await auditedMeals())).toEqual(once);

    // The estimates were stored on the meals the clients see, through the gateway after the rotation.
    for (const token of tokens) {
      const listed = await api('GET', '/me/meals?limit=200', { token });
      const statuses = (listed.body.items as { estimateStatus: string }[]).map((meal) => meal.estimateStatus);
      expect(tally(statuses)).toEqual({ estimated: LOAD_MS / INTERVAL_MS });
    }

    // A caller whose first connection comes after the rotation uses its files as they are now,
    // not as they were at start-up: turning MFA on mails a notice to the account, and the
    // notifications service, which has had no reason to call auth yet, asks auth for the address
    // (GetContact). The first lookup works: no refusal on either side, no retry.
    const late = await register();
    await enrolTotp(await login(late.email));
    await setup().platform.mail.waitForMessage(late.email, /^Two-step sign-in is on/, 30_000);
    const troubles = await Promise.all(
      ['auth', 'notifications'].map(async (service) =>
        (await jsonLines(setup().platform.logFile(service)))
          .filter((line) =>
            ['grpc.refused', 'grpc.server_refused', 'notification.retrying'].includes(String(line.event)),
          )
          .map((line) => ({ service, event: line.event, failing: line.failing, reason: line.reason })),
      ),
    );
    expect(troubles.flat()).toEqual([]);

    // Every process, servers and callers alike, says it took up its certificate from the new CA.
    const reloaded = await reloadedSerials();
    expect(
      Object.fromEntries(Object.entries(reloaded).map(([service, serials]) => [service, serials.at(-1)])),
    ).toEqual(
      Object.fromEntries(
        Object.keys(reloaded).map((service) => [service, serialOf(nextFiles[`${service}.crt`] ?? '')]),
      ),
    );
  });
});
