import { readFileSync } from 'node:fs';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { TLSSocket } from 'node:tls';

import { Counter } from 'prom-client';
import { z } from 'zod';

import { ConfigError } from './config';
import { CORRELATION_HEADER, isCorrelationId, newCorrelationId, runWithContext } from './context';
import { componentOf } from './grpc-tls';
import type { Logger } from './log';
import type { Metrics } from './metrics';
import { createSecurityEvents } from './security';

/**
 * HTTP listeners the edge calls (the gateway's API, billing's Stripe webhook port) serve TLS with
 * the process's gRPC certificate and answer only a client that presents the edge's certificate
 * (docs/edge.md, "The hops behind the edge"). The same files, the same CA and the same identity
 * rule as gRPC (docs/grpc-security.md): one key pair per component, reloaded without a restart.
 */

/** `HTTP_ALLOW_PLAINTEXT=true`: the development flag that serves plain HTTP. Refused in production. */
export const httpServingConfig = z.object({
  HTTP_ALLOW_PLAINTEXT: z.stringbool().default(false),
});

/** The certificate files an HTTP listener serves with and verifies its callers against. */
export interface HttpTlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** How an HTTP listener serves: TLS with these files, or plain HTTP under the development flag. */
export type HttpServing = { tls: HttpTlsFiles; refreshMs: number } | { tls: undefined };

/**
 * How this process's edge-facing HTTP listener serves, from its settings: TLS whenever the gRPC
 * certificate files are set, plain HTTP only with HTTP_ALLOW_PLAINTEXT=true, which production
 * refuses. A listener with neither is a ConfigError naming the variables, so a forgotten Secret
 * mount stops the pod instead of serving plain HTTP.
 */
export function httpServing(config: {
  NODE_ENV?: string;
  HTTP_ALLOW_PLAINTEXT?: boolean;
  GRPC_TLS_CA_FILE?: string | undefined;
  GRPC_TLS_CERT_FILE?: string | undefined;
  GRPC_TLS_KEY_FILE?: string | undefined;
  GRPC_TLS_REFRESH_MS?: number | undefined;
}): HttpServing {
  if (config.HTTP_ALLOW_PLAINTEXT) {
    if (config.NODE_ENV === 'production') {
      throw new ConfigError([
        'HTTP_ALLOW_PLAINTEXT: plain HTTP is a development flag and is refused with NODE_ENV=production',
      ]);
    }
    return { tls: undefined };
  }
  const { GRPC_TLS_CA_FILE: caFile, GRPC_TLS_CERT_FILE: certFile, GRPC_TLS_KEY_FILE: keyFile } = config;
  if (!caFile || !certFile || !keyFile) {
    throw new ConfigError([
      'GRPC_TLS_CA_FILE: the HTTP listener serves TLS with GRPC_TLS_CA_FILE, GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE; set them, or HTTP_ALLOW_PLAINTEXT=true outside production',
    ]);
  }
  return { tls: { caFile, certFile, keyFile }, refreshMs: config.GRPC_TLS_REFRESH_MS ?? 60_000 };
}

export type HttpRefusalReason = 'client_certificate_invalid' | 'caller_not_allowed';

type Verdict = { caller: string } | { refused: HttpRefusalReason; caller: string; detail: string };

/**
 * Whether a TLS connection's client may be served. `authorized` is Node's own verdict on the chain
 * against the CA (expiry included); only then is the identity read, and it must be allowed.
 */
function verdictOf(socket: TLSSocket, allowed: ReadonlySet<string>): Verdict {
  const peer = socket.getPeerCertificate();
  const presented = Object.keys(peer).length > 0;
  if (!socket.authorized) {
    const error = socket.authorizationError as Error | string | null | undefined;
    const code = typeof error === 'string' ? error : ((error as { code?: string } | null)?.code ?? '');
    return {
      refused: 'client_certificate_invalid',
      caller: 'none',
      detail: presented ? code || 'unverified' : 'no_certificate',
    };
  }
  const caller = componentOf(peer);
  if (!caller || !allowed.has(caller)) {
    return { refused: 'caller_not_allowed', caller: caller ?? 'none', detail: 'not an allowed caller' };
  }
  return { caller };
}

const REFUSED_STATUS: Record<HttpRefusalReason, { status: number; code: string; title: string }> = {
  client_certificate_invalid: {
    status: 401,
    code: 'unauthenticated',
    title: 'A client certificate is required',
  },
  caller_not_allowed: { status: 403, code: 'permission_denied', title: 'Not allowed' },
};

function refusedCounter(metrics: Pick<Metrics, 'registry'>): Counter<'reason'> {
  const existing = metrics.registry.getSingleMetric('http_refused_total');
  if (existing instanceof Counter) return existing;
  const counter = new Counter({
    name: 'http_refused_total',
    help: 'HTTP requests refused because the client presented no valid certificate or is not an allowed caller, by reason.',
    labelNames: ['reason'] as const,
    registers: [metrics.registry],
  });
  for (const reason of Object.keys(REFUSED_STATUS)) counter.inc({ reason }, 0);
  return counter;
}

/** How long an idle connection from the edge stays open: beyond nginx's upstream keepalive_timeout (60 s). */
export const IDLE_KEEPALIVE_MS = 65_000;

export interface HttpTlsOptions {
  files: HttpTlsFiles;
  /** The components whose certificates may call; the edge's listeners allow ['edge']. */
  allowedCallers: readonly string[];
  /** How often the files are re-read; a changed file is served from the next handshake on. */
  refreshMs: number;
  log: Logger;
  metrics: Pick<Metrics, 'registry'>;
}

function readFiles(files: HttpTlsFiles): { ca: Buffer; cert: Buffer; key: Buffer } {
  return {
    ca: readFileSync(files.caFile),
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
  };
}

/**
 * An HTTPS server for `app` that asks every client for a certificate and serves only the allowed
 * callers. The handshake itself does not reject (as for gRPC), so that each refusal is answered,
 * logged as the security event `http.refused` with the request's correlation id and counted in
 * `http_refused_total{reason}` by this side; the connection is closed after the answer.
 */
export function createTlsServer(app: RequestListener, options: HttpTlsOptions): Server {
  const allowed = new Set(options.allowedCallers);
  const security = createSecurityEvents({ log: options.log, metrics: options.metrics }, ['http.refused']);
  const refused = refusedCounter(options.metrics);
  const verdicts = new WeakMap<TLSSocket, Verdict>();
  let current = readFiles(options.files);
  const server = createServer(
    { ...current, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' },
    (req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket;
      // An https server's sockets are TLS sockets; anything else is not served.
      if (!(socket instanceof TLSSocket)) {
        res.destroy();
        return;
      }
      const verdict = verdicts.get(socket) ?? verdictOf(socket, allowed);
      verdicts.set(socket, verdict);
      if (!('refused' in verdict)) {
        app(req, res);
        return;
      }
      const inbound = req.headers[CORRELATION_HEADER];
      const correlationId =
        typeof inbound === 'string' && isCorrelationId(inbound) ? inbound : newCorrelationId();
      runWithContext({ correlationId, clientIp: socket.remoteAddress }, () => {
        security.record(
          'http.refused',
          { reason: verdict.refused, caller: verdict.caller, detail: verdict.detail, method: req.method },
          'refused an HTTP client that is not an allowed caller',
        );
      });
      refused.inc({ reason: verdict.refused });
      const { status, code, title } = REFUSED_STATUS[verdict.refused];
      res.writeHead(status, {
        'content-type': 'application/problem+json',
        'cache-control': 'no-store',
        connection: 'close',
      });
      res.end(JSON.stringify({ type: `urn:tracking:problem:${code}`, title, status, code, correlationId }));
    },
  );
  // The edge keeps idle upstream connections up to nginx's keepalive_timeout (60 s): this side
  // must keep them longer, or the edge re-handshakes after every lull and may reuse a connection
  // just as it is closed here (a 502).
  server.keepAliveTimeout = IDLE_KEEPALIVE_MS;
  server.headersTimeout = IDLE_KEEPALIVE_MS + 1_000;
  // Re-read the files; a rotated certificate or CA is used from the next handshake on, with no
  // restart. A file caught half-written is tried again at the next tick.
  const timer = setInterval(() => {
    try {
      const next = readFiles(options.files);
      if (next.ca.equals(current.ca) && next.cert.equals(current.cert) && next.key.equals(current.key))
        return;
      server.setSecureContext({ ...next, minVersion: 'TLSv1.3' });
      current = next;
      options.log.info(
        { event: 'http.tls.reloaded' },
        'the HTTP listener serves the renewed certificate files',
      );
    } catch (error) {
      options.log.warn(
        { event: 'http.tls.reload_failed', err: error },
        'could not reload the HTTP certificate files',
      );
    }
  }, options.refreshMs);
  timer.unref();
  server.once('close', () => clearInterval(timer));
  return server;
}

/** The one client of the listeners behind the edge (docs/edge.md, "The hops behind the edge"). */
export const EDGE_CALLERS: readonly string[] = ['edge'];

/**
 * The TLS of a listener only the edge calls, from the process's settings (httpServing): its
 * certificate files and the edge as its one allowed caller; undefined under the development flag.
 */
export function edgeListenerTls(
  config: Parameters<typeof httpServing>[0],
  deps: { log: Logger; metrics: Pick<Metrics, 'registry'> },
): HttpTlsOptions | undefined {
  const serving = httpServing(config);
  if (!serving.tls) return undefined;
  return { files: serving.tls, refreshMs: serving.refreshMs, allowedCallers: EDGE_CALLERS, ...deps };
}
