import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import express from 'express';

import { createTlsServer, type HttpTlsOptions } from './http-tls';
import type { Logger } from './log';
import type { Metrics } from './metrics';

/** A named readiness check: resolves when the dependency is usable, throws otherwise. */
export type ReadinessCheck = [name: string, check: () => Promise<unknown>];

/**
 * The operations port every service exposes: /healthz (the process is alive), /readyz (its
 * dependencies answer; Kubernetes and the local scripts wait on it) and /metrics (Prometheus).
 * It is separate from the public port, so the edge never routes to it.
 */
export async function startOpsServer(options: {
  host: string;
  port: number;
  metrics: Metrics;
  log: Logger;
  readiness: ReadinessCheck[];
}): Promise<{ port: number; close(): Promise<void>; setDraining(): void }> {
  let draining = false;
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      options.readiness.map(async ([name, check]) => {
        try {
          await withTimeout(check(), 2_000);
          return [name, 'ok'] as const;
        } catch (error) {
          options.log.warn({ check: name, err: error }, 'readiness check failed');
          return [name, 'failing'] as const;
        }
      }),
    );
    const ready = !draining && results.every(([, state]) => state === 'ok');
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : draining ? 'draining' : 'not ready',
      checks: Object.fromEntries(results),
    });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });
  const server = await listen(app, options.host, options.port);
  return {
    port: (server.address() as AddressInfo).port,
    setDraining: () => {
      draining = true;
    },
    close: () => closeServer(server),
  };
}

/**
 * Serves `app` on host:port: plain HTTP, or with `tls` HTTPS that answers only the allowed
 * callers' certificates (http-tls.ts) — the listeners the edge calls.
 */
export function listen(
  app: express.Express,
  host: string,
  port: number,
  tls?: HttpTlsOptions,
): Promise<Server> {
  if (!tls) {
    return new Promise((resolve, reject) => {
      const server = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
    });
  }
  const server = createTlsServer(app, tls);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
