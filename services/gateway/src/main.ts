import { telemetry } from './instrumentation';

import {
  closeServer,
  createClient,
  createLogger,
  createMetrics,
  listen,
  onShutdown,
  startOpsServer,
  tlsFiles,
} from '@tracking/kit';
import { AuditServiceClient } from '@tracking/proto/tracking/audit/v1/audit';
import { AuthServiceClient } from '@tracking/proto/tracking/auth/v1/auth';

import { createApp } from './app';
import { readConfig } from './config';

async function main() {
  const config = readConfig();
  const log = createLogger({ service: 'gateway', level: config.LOG_LEVEL, file: config.LOG_FILE });
  const metrics = createMetrics();
  const tls = tlsFiles(config);
  const clientOptions = { tls, deadlineMs: config.GRPC_DEADLINE_MS };
  const auth = createClient(AuthServiceClient, config.AUTH_GRPC_ADDR, clientOptions);
  const audit = createClient(AuditServiceClient, config.AUDIT_GRPC_ADDR, clientOptions);

  const app = createApp({
    auth,
    audit,
    log,
    metrics,
    trustedProxies: config.TRUSTED_PROXIES,
    longCallDeadlineMs: config.LONG_CALL_DEADLINE_MS,
  });
  const server = await listen(app, config.BIND_HOST, config.HTTP_PORT);
  const ops = await startOpsServer({
    host: config.BIND_HOST,
    port: config.OPS_PORT,
    metrics,
    log,
    readiness: [
      [
        'auth',
        () =>
          new Promise<void>((resolve, reject) =>
            auth.waitForReady(Date.now() + 1_000, (error) => (error ? reject(error) : resolve())),
          ),
      ],
    ],
  });

  onShutdown(log, config.SHUTDOWN_TIMEOUT_MS, [
    ['readiness', () => ops.setDraining()],
    // close() stops accepting and resolves once in-flight requests have finished.
    ['http', () => closeServer(server)],
    [
      'grpc clients',
      () => {
        auth.close();
        audit.close();
      },
    ],
    ['ops server', () => ops.close()],
    ['telemetry', () => telemetry.shutdown()],
  ]);
  log.info({ event: 'service.started', httpPort: config.HTTP_PORT, opsPort: ops.port }, 'gateway ready');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `gateway failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
