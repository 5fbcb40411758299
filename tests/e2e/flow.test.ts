import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

import { SpanKind } from '@opentelemetry/api';
import { TOPICS } from '@tracking/contracts';
import { createKafka, createLogger } from '@tracking/kit';
import { infraEnv, OtlpReceiver, randomName, waitFor, type ReceivedSpan } from '@tracking/testing';
import {
  INGRESS_HEADERS,
  jsonLines as logLines,
  startPlatform,
  TEST_CLIENT_IP,
  type Platform,
} from '@tracking/testing/platform';

import { accounts } from './accounts';

/** The string headers of every record on `topic` that carries `correlationId`, read from the start. */
async function recordHeaders(topic: string, correlationId: string): Promise<Record<string, string>[]> {
  const kafka = createKafka({
    clientId: 'flow-test',
    ...infraEnv().kafka,
    log: createLogger({ service: 'test', level: 'warn' }),
  });
  const consumer = kafka.consumer({ groupId: `flow-test-${randomName()}` });
  const found: Record<string, string>[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        const headers = Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([key, value]) => [key, String(value)]),
        );
        if (headers['x-correlation-id'] === correlationId) found.push(headers);
        return Promise.resolve();
      },
    });
    await waitFor(() => (found.length > 0 ? found : undefined), {
      what: `a record with ${correlationId} on ${topic}`,
    });
  } finally {
    await consumer.disconnect();
  }
  return found;
}

describe('a registration through the running platform', () => {
  const otlp = new OtlpReceiver();
  let platform: Platform | undefined;
  let api: string;
  const logFile = (service: string) => platform?.logFile(service) ?? '';
  const { api: call, firstAdmin } = accounts(() => {
    if (!platform) throw new Error('the platform was not started');
    return platform;
  });

  beforeAll(async () => {
    const collector = await otlp.start();
    platform = await startPlatform({
      env: {
        OTEL_SDK_DISABLED: 'false',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
    api = platform.api;
  });

  afterAll(async () => {
    // Graceful shutdown: every service drains and exits 0 on SIGTERM.
    const codes = (await platform?.stop()) ?? [];
    await otlp.stop();
    expect(codes).toEqual(codes.map(() => 0));
  });

  const register = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${api}/auth/register`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'flow-test/1.0',
        ...INGRESS_HEADERS,
        ...headers,
      },
      body: JSON.stringify(body),
    });

  test('one correlation id and one trace follow it from the HTTP request through gRPC and Kafka into the audit log, its log line and its span', async () => {
    const response = await register({
      email: `flow-${randomName()}@example.test`,
      password: 'a long enough passphrase',
      displayName: 'Flow',
    });
    expect(response.status).toBe(201);
    const { userId } = (await response.json()) as { userId: string };
    const correlationId = response.headers.get('x-correlation-id') ?? '';
    expect(correlationId).toMatch(/^[0-9a-f-]{36}$/);

    // The audit service consumed the event the auth service's outbox published; an admin reads it
    // back through the gateway's audit API.
    const { token } = await firstAdmin();
    const entries = await waitFor(
      async () => {
        const page = await call('GET', `/admin/audit/entries?correlationId=${correlationId}`, { token });
        expect(page.status).toBe(200);
        const found = page.body.entries as Record<string, unknown>[];
        return found.length > 0 ? found : undefined;
      },
      { what: 'the audit entry' },
    );
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      action: 'auth.user.registered',
      actor: { service: 'auth' },
      subject: { type: 'user', id: userId },
      outcome: 'success',
      correlationId,
      // From where: the client's address and agent, as the gateway saw them, sealed at rest.
      userAgent: 'flow-test/1.0',
    });
    // The client's address as the trusted ingress forwarded it, not the ingress's own.
    expect(entries[0]?.sourceIp).toBe(TEST_CLIENT_IP);

    // The consumer's log line and the gateway's request line carry the same correlation id and trace.
    const recorded = await waitFor(
      async () =>
        (await logLines(logFile('audit'))).find(
          (line) => line.event === 'audit.recorded' && line.correlation_id === correlationId,
        ),
      { what: "the audit service's log line" },
    );
    const traceId = String(recorded.trace_id);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe('0'.repeat(32));
    const requestLine = (await logLines(logFile('gateway'))).find(
      (line) => line.event === 'http.request' && line.correlation_id === correlationId,
    );
    expect(requestLine).toMatchObject({ trace_id: traceId, status: 201, route: '/api/v1/auth/register' });
    const authLine = (await logLines(logFile('auth'))).find(
      (line) => line.event === 'auth.user.registered' && line.correlation_id === correlationId,
    );
    expect(authLine).toMatchObject({ trace_id: traceId });

    // One trace: gateway HTTP server → auth gRPC server → Kafka publish → audit consumer.
    const spans = await waitFor(
      () => {
        const inTrace = otlp.spans.filter((span) => span.traceId === traceId);
        return inTrace.some((span) => span.service === 'audit' && span.kind === SpanKind.CONSUMER)
          ? inTrace
          : undefined;
      },
      { what: 'the spans of the trace' },
    );
    const find = (service: string, kind: SpanKind, name: RegExp) =>
      spans.find((span) => span.service === service && span.kind === kind && name.test(span.name));
    const httpServer = find('gateway', SpanKind.SERVER, /POST/);
    const grpcServer = find('auth', SpanKind.SERVER, /AuthService\/Register/);
    const publish = find('auth', SpanKind.PRODUCER, /^publish .*audit\.events\.v1$/);
    const consume = find('audit', SpanKind.CONSUMER, /^process audit\.events\.v1$/);
    expect({
      httpServer: !!httpServer,
      grpcServer: !!grpcServer,
      publish: !!publish,
      consume: !!consume,
    }).toEqual({
      httpServer: true,
      grpcServer: true,
      publish: true,
      consume: true,
    });
    expect(consume?.parentSpanId).toBe(publish?.spanId);
    expect(consume?.attributes['correlation.id']).toBe(correlationId);
    expect(publish?.attributes['correlation.id']).toBe(correlationId);
    expect(grpcServer?.attributes['correlation.id']).toBe(correlationId);

    // The parent structure, hop by hop: HTTP server → gRPC client → gRPC server → the outbox
    // write's Postgres query and, through the relay, the Kafka publish → consumer. (The audit
    // consumer appends a whole batch in one transaction, so its queries belong to no one message.)
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const descends = (span: ReceivedSpan | undefined, ancestor: ReceivedSpan | undefined) => {
      for (let at = span; at && ancestor; at = byId.get(at.parentSpanId)) if (at === ancestor) return true;
      return false;
    };
    const grpcClient = find('gateway', SpanKind.CLIENT, /AuthService\/Register/);
    expect(grpcServer?.parentSpanId).toBe(grpcClient?.spanId);
    expect(descends(grpcClient, httpServer)).toBe(true);
    expect(descends(publish, grpcServer)).toBe(true);
    const queries = (service: string) =>
      spans.filter((span) => span.service === service && span.attributes['db.system.name'] === 'postgresql');
    const authInsert = queries('auth').find((span) =>
      /INSERT/i.test(String(span.attributes['db.query.text'])),
    );
    expect(descends(authInsert, grpcServer)).toBe(true);
    // Every span of the trace, Postgres queries included, carries the correlation id.
    expect(spans.filter((span) => span.attributes['correlation.id'] !== correlationId)).toEqual([]);

    // The id also travels as W3C baggage, beside traceparent, in the Kafka record's headers.
    // Read from the topic itself: auth deletes an outbox row as soon as Kafka has it (its rows
    // carry single-use links), so the record on the broker is the only copy.
    const headers = await recordHeaders(`${platform?.topicPrefix ?? ''}${TOPICS.auditEvents}`, correlationId);
    expect(headers.length).toBeGreaterThan(0);
    for (const header of headers) {
      expect(header.traceparent).toContain(traceId);
      expect(decodeURIComponent(header.baggage ?? '')).toContain(`correlation.id=${correlationId}`);
    }
  });

  /** A POST over a socket from 127.0.0.2: a peer on this machine that is not the gateway's proxy. */
  const postFromUntrustedPeer = (url: string, headers: Record<string, string>, body: unknown) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Record<string, unknown> }>(
      (resolve, reject) => {
        const req = httpRequest(url, {
          method: 'POST',
          localAddress: '127.0.0.2',
          headers: { 'content-type': 'application/json', ...headers },
        });
        req.on('response', (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: JSON.parse(text) as Record<string, unknown>,
            }),
          );
        });
        req.on('error', reject);
        req.end(JSON.stringify(body));
      },
    );

  test('a correlation id sent by a client that is not a trusted proxy is replaced, not adopted', async () => {
    // Its X-Forwarded-* headers count for nothing either, so the edge refuses it; even the
    // refusal carries an id of the gateway's own.
    const response = await postFromUntrustedPeer(
      `${api}/auth/register`,
      { ...INGRESS_HEADERS, 'x-correlation-id': 'attacker-chosen-id-0001' },
      { email: 'not-an-email', password: 'x', displayName: 'x' },
    );
    expect(response.status).toBe(403);
    const correlationId = response.headers['x-correlation-id'];
    expect(correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.body.correlationId).toBe(correlationId);
  });

  test("a registration auth refuses is a 400 problem with auth's field errors and the correlation id", async () => {
    const response = await register({ email: 'not-an-email', password: 'x', displayName: 'x' });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { correlationId: string; errors: Record<string, string> };
    expect(problem.correlationId).toBe(response.headers.get('x-correlation-id'));
    expect(problem.errors).toEqual({
      email: 'must be an email address',
      password: 'must be at least 12 characters',
    });
  });

  test('a password planted as a canary reaches no log line and no span', async () => {
    const canary = `canary-${randomName()}-passphrase`;
    const response = await register({
      email: `canary-${randomName()}@example.test`,
      password: canary,
      displayName: 'Canary',
    });
    expect(response.status).toBe(201);
    const correlationId = response.headers.get('x-correlation-id') ?? '';
    await waitFor(
      async () => (await logLines(logFile('audit'))).some((line) => line.correlation_id === correlationId),
      { what: 'the registration to reach the audit service' },
    );
    await waitFor(
      () =>
        otlp.spans.some(
          (span) => span.attributes['correlation.id'] === correlationId && span.service === 'audit',
        ),
      {
        what: 'the spans to be exported',
      },
    );
    for (const service of ['gateway', 'auth', 'audit']) {
      const text = await readFile(logFile(service), 'utf8');
      expect(text).not.toContain(canary);
    }
    expect(JSON.stringify(otlp.spans)).not.toContain(canary);
  });
});
