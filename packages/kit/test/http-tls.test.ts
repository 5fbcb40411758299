import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TLSSocket } from 'node:tls';

import { captureLogger } from '@tracking/testing';
import express from 'express';

import { closeServer, ConfigError, createMetrics, httpServing, listen } from '../src';

/**
 * A throwaway CA and component certificates as the local PKI issues them: ECDSA P-256, URI SAN
 * spiffe://tracking/<component>, DNS localhost and IP 127.0.0.1, server and client auth.
 */
function pki(dir: string) {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ca = (name: string) =>
    openssl(
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`],
      ...['-addext', 'basicConstraints=critical,CA:TRUE'],
      ...['-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    );
  const issue = (component: string, options: { ca?: string; file?: string; days?: string } = {}) => {
    const file = options.file ?? component;
    const signer = options.ca ?? 'ca';
    writeFileSync(
      path.join(dir, `${file}.ext`),
      [
        `subjectAltName=URI:spiffe://tracking/${component},DNS:localhost,IP:127.0.0.1`,
        'extendedKeyUsage=serverAuth,clientAuth',
        '',
      ].join('\n'),
    );
    openssl(
      ...['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', `${file}.key`, '-out', `${file}.csr`, '-subj', `/CN=${component}`],
    );
    // OpenSSL 3.0 has no -not_before: -days -1 ends the validity a day before it starts.
    const validity = ['-days', options.days === 'expired' ? '-1' : '2'];
    const x509 = ['x509', '-req', '-in', `${file}.csr`, '-CA', `${signer}.crt`, '-CAkey', `${signer}.key`];
    openssl(...x509, '-CAcreateserial', '-out', `${file}.crt`, ...validity, '-extfile', `${file}.ext`);
    return {
      cert: readFileSync(path.join(dir, `${file}.crt`)),
      key: readFileSync(path.join(dir, `${file}.key`)),
    };
  };
  return { ca, issue };
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  serial: string;
}

describe('an HTTP listener the edge calls (listen with TLS)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'http-tls-'));
  const { ca, issue } = pki(dir);
  ca('ca');
  ca('other-ca');
  const edge = issue('edge');
  const billing = issue('billing');
  const stranger = issue('edge', { ca: 'other-ca', file: 'stranger' });
  const files = {
    caFile: path.join(dir, 'ca.crt'),
    certFile: path.join(dir, 'gateway.crt'),
    keyFile: path.join(dir, 'gateway.key'),
  };
  issue('gateway');
  const caPem = readFileSync(files.caFile);
  const { log, lines } = captureLogger('gateway');
  const metrics = createMetrics();
  let port = 0;
  let close = async () => {};
  let keepAliveTimeout = () => 0;

  beforeAll(async () => {
    const app = express();
    app.get('/hello', (_req, res) => {
      res.json({ hello: 'edge' });
    });
    const server = await listen(app, '127.0.0.1', 0, {
      files,
      allowedCallers: ['edge'],
      refreshMs: 100,
      log,
      metrics,
    });
    port = (server.address() as AddressInfo).port;
    keepAliveTimeout = () => server.keepAliveTimeout;
    close = () => closeServer(server);
  });

  afterAll(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (client: RequestOptions, headers: Record<string, string> = {}) =>
    new Promise<Answer>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/hello', ca: caPem, agent: false, headers, ...client },
        (res) => {
          const serial = res.socket instanceof TLSSocket ? res.socket.getPeerCertificate().serialNumber : '';
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>,
              serial,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });

  const refusals = () => lines().filter((line) => line.event === 'http.refused');
  const counted = async (reason: string) =>
    Number(
      new RegExp(`http_refused_total\\{reason="${reason}"\\} (\\d+)`).exec(
        await metrics.registry.metrics(),
      )?.[1],
    );

  test("serves the edge's certificate", async () => {
    const answer = await get(edge);
    expect(answer).toMatchObject({ status: 200, body: { hello: 'edge' } });
  });

  test("keeps the edge's idle connections open longer than nginx's upstream pool does (60 s)", () => {
    expect(keepAliveTimeout()).toBeGreaterThan(60_000);
  });

  test('refuses a client without a certificate: 401, logged with its correlation id, counted', async () => {
    const before = await counted('client_certificate_invalid');
    const answer = await get({}, { 'x-correlation-id': 'corr-no-cert-0001' });
    expect(answer).toMatchObject({
      status: 401,
      body: { code: 'unauthenticated', correlationId: 'corr-no-cert-0001' },
    });
    expect(refusals()).toContainEqual(
      expect.objectContaining({
        correlation_id: 'corr-no-cert-0001',
        reason: 'client_certificate_invalid',
        caller: 'none',
        detail: 'no_certificate',
        security: true,
      }),
    );
    expect(await counted('client_certificate_invalid')).toBe(before + 1);
  });

  test("refuses another component's certificate: 403 caller_not_allowed, naming the caller", async () => {
    const before = await counted('caller_not_allowed');
    const answer = await get(billing, { 'x-correlation-id': 'corr-billing-0001' });
    expect(answer).toMatchObject({ status: 403, body: { code: 'permission_denied' } });
    expect(refusals()).toContainEqual(
      expect.objectContaining({
        correlation_id: 'corr-billing-0001',
        reason: 'caller_not_allowed',
        caller: 'billing',
      }),
    );
    expect(await counted('caller_not_allowed')).toBe(before + 1);
  });

  test('refuses an edge certificate from another CA, even though it names the edge', async () => {
    const answer = await get(stranger, { 'x-correlation-id': 'corr-stranger-01' });
    expect(answer.status).toBe(401);
    expect(refusals()).toContainEqual(
      expect.objectContaining({ correlation_id: 'corr-stranger-01', reason: 'client_certificate_invalid' }),
    );
  });

  test("refuses the edge's certificate once it has expired", async () => {
    const expired = issue('edge', { file: 'expired', days: 'expired' });
    const answer = await get(expired, { 'x-correlation-id': 'corr-expired-001' });
    expect(answer.status).toBe(401);
    expect(refusals()).toContainEqual(
      expect.objectContaining({ correlation_id: 'corr-expired-001', detail: 'CERT_HAS_EXPIRED' }),
    );
  });

  test('serves a renewed certificate from the next handshake on, without a restart', async () => {
    const before = (await get(edge)).serial;
    const renewed = issue('gateway', { file: 'gateway-next' });
    // As the kubelet swaps a mounted Secret: each file replaced whole.
    renameSync(path.join(dir, 'gateway-next.key'), files.keyFile);
    renameSync(path.join(dir, 'gateway-next.crt'), files.certFile);
    const deadline = Date.now() + 5_000;
    let serial = before;
    while (serial === before && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      serial = (await get(edge)).serial;
    }
    expect(serial).not.toBe(before);
    expect(renewed.cert.length).toBeGreaterThan(0);
  });
});

describe('how the edge-facing HTTP listener serves (httpServing)', () => {
  const files = {
    GRPC_TLS_CA_FILE: '/ca.crt',
    GRPC_TLS_CERT_FILE: '/tls.crt',
    GRPC_TLS_KEY_FILE: '/tls.key',
  };

  test('TLS with the gRPC certificate files, re-read every GRPC_TLS_REFRESH_MS', () => {
    expect(httpServing({ ...files, GRPC_TLS_REFRESH_MS: 5_000 })).toEqual({
      tls: { caFile: '/ca.crt', certFile: '/tls.crt', keyFile: '/tls.key' },
      refreshMs: 5_000,
    });
  });

  test('plain HTTP only under HTTP_ALLOW_PLAINTEXT=true, which production refuses', () => {
    expect(httpServing({ ...files, HTTP_ALLOW_PLAINTEXT: true })).toEqual({ tls: undefined });
    expect(() => httpServing({ HTTP_ALLOW_PLAINTEXT: true, NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => httpServing({ HTTP_ALLOW_PLAINTEXT: true, NODE_ENV: 'production' })).toThrow(
      /HTTP_ALLOW_PLAINTEXT/,
    );
  });

  test('without the files and without the flag the listener does not start, in development too', () => {
    expect(() => httpServing({ NODE_ENV: 'production' })).toThrow(/GRPC_TLS_CA_FILE.*HTTP_ALLOW_PLAINTEXT/);
    expect(() => httpServing({ NODE_ENV: 'development' })).toThrow(ConfigError);
    expect(() => httpServing({ ...files, GRPC_TLS_KEY_FILE: undefined })).toThrow(ConfigError);
  });
});
