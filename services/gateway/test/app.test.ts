import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { closeServer, createClient, createMetrics, listen } from '@tracking/kit';
import { AuditServiceClient } from '@tracking/proto/tracking/audit/v1/audit';
import { AuthServiceClient } from '@tracking/proto/tracking/auth/v1/auth';
import { captureLogger } from '@tracking/testing';

import { createApp } from '../src/app';
import { offlineTracking } from './offline-services';
import { testEdge, viaIngress } from './edge-support';

// The gateway alone, in process, with a real gRPC client pointed at a port where no auth
// service listens: what a caller sees when the gateway is fine and auth is down.
describe('the gateway at its edge', () => {
  const { log, lines } = captureLogger('gateway');
  const metrics = createMetrics();
  const auth = createClient(AuthServiceClient, '127.0.0.1:1', { tls: {}, deadlineMs: 500 });
  const audit = createClient(AuditServiceClient, '127.0.0.1:1', { tls: {}, deadlineMs: 500 });
  const servers: Server[] = [];

  async function start(trustedProxies: string[]): Promise<string> {
    const server = await listen(
      createApp({
        auth,
        audit,
        ...(await offlineTracking()),
        log,
        metrics,
        trustedProxies,
        longCallDeadlineMs: 500,
        edge: await testEdge(),
      }),
      '127.0.0.1',
      0,
    );
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  afterAll(async () => {
    auth.close();
    audit.close();
    await Promise.all(servers.map((server) => closeServer(server)));
  });

  const post = (base: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...viaIngress(), ...headers },
      body,
    });

  test('an unknown route gets a 404 problem whose correlation id matches the response header', async () => {
    const base = await start(['127.0.0.1']);
    const response = await fetch(`${base}/api/v1/nope`, { headers: viaIngress() });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await response.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({ type: 'urn:tracking:problem:not_found', status: 404, code: 'not_found' });
    expect(problem.correlationId).toBe(response.headers.get('x-correlation-id'));
  });

  test('malformed JSON, a wrongly typed body and an oversized body are each refused with a 400 problem', async () => {
    const base = await start(['127.0.0.1']);
    const malformed = await post(base, '{"email":');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({
      code: 'invalid_argument',
      detail: 'request body is not valid JSON',
    });

    const wrongType = await post(base, JSON.stringify({ email: 42, password: [], displayName: null }));
    expect(wrongType.status).toBe(400);
    expect(((await wrongType.json()) as { errors: Record<string, string> }).errors).toHaveProperty('email');

    const oversized = await post(
      base,
      JSON.stringify({ email: 'a@b.test', password: 'x'.repeat(40_000), displayName: 'X' }),
    );
    expect(oversized.status).toBe(400);
    expect(await oversized.json()).toMatchObject({ detail: 'request body too large' });
  });

  test('JSON nested deeper than 32 levels is refused with a 400 problem before any route sees it, even in a field the route ignores', async () => {
    const base = await start(['127.0.0.1']);
    const deep = await fetch(`${base}/api/v1/me/sessions/revoke-all`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer x', ...viaIngress() },
      body: `{"keepCurrent":true,"ignored":${'['.repeat(33)}${']'.repeat(33)}}`,
    });
    expect(deep.status).toBe(400);
    expect(await deep.json()).toMatchObject({
      code: 'invalid_argument',
      detail: 'request body is nested too deeply',
    });
    // 32 levels, brackets inside strings not counted: read as usual (then refused for the session, 401).
    const fine = await fetch(`${base}/api/v1/me/sessions/revoke-all`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...viaIngress() },
      body: `{"keepCurrent":true,"x":${'['.repeat(31)}"[[[[\\\\"${']'.repeat(31)}}`,
    });
    expect(fine.status).toBe(401);
  });

  test('a body that is not valid UTF-8 is refused with a 400 problem, not read with replacement characters', async () => {
    const base = await start(['127.0.0.1']);
    const response = await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...viaIngress() },
      body: Buffer.concat([
        Buffer.from('{"email":"a@example.test","password":"long enough pass","displayName":"'),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from('"}'),
      ]),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      code: 'invalid_argument',
      detail: 'request body is not valid UTF-8',
    });
  });

  test('when auth is unreachable the caller gets a 503 problem that reveals nothing internal', async () => {
    const base = await start(['127.0.0.1']);
    const response = await post(
      base,
      JSON.stringify({ email: 'a@example.test', password: 'long enough pass', displayName: 'A' }),
    );
    expect(response.status).toBe(503);
    const body = await response.text();
    expect(JSON.parse(body)).toMatchObject({ code: 'unavailable', title: 'Service temporarily unavailable' });
    expect(body).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|stack|grpc/i);
  });

  test('an inbound X-Correlation-Id is adopted only from a trusted proxy, and only when well formed', async () => {
    const headers = { 'x-correlation-id': 'edge-assigned-id-0001', 'x-forwarded-for': '203.0.113.9' };
    const untrusted = await fetch(`${await start(['10.0.0.0/8'])}/api/v1/nope`, { headers });
    expect(untrusted.headers.get('x-correlation-id')).not.toBe('edge-assigned-id-0001');

    const trusted = await fetch(`${await start(['127.0.0.1/32'])}/api/v1/nope`, { headers });
    expect(trusted.headers.get('x-correlation-id')).toBe('edge-assigned-id-0001');

    const malformed = await fetch(`${await start(['127.0.0.1/32'])}/api/v1/nope`, {
      headers: { 'x-correlation-id': 'bad id with spaces' },
    });
    expect(malformed.headers.get('x-correlation-id')).not.toBe('bad id with spaces');
  });

  test('every request is logged once with its route template, status and correlation id, never its body', async () => {
    const base = await start(['127.0.0.1']);
    const response = await post(
      base,
      JSON.stringify({ email: 'x', password: 'secret-canary-123', displayName: 'X' }),
    );
    const correlationId = response.headers.get('x-correlation-id');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const logged = lines().filter((line) => line.correlation_id === correlationId);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      event: 'http.request',
      route: '/api/v1/auth/register',
      status: 503,
      method: 'POST',
    });
    expect(JSON.stringify(lines())).not.toContain('secret-canary-123');
  });
});
