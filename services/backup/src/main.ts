import { telemetry } from './instrumentation';

import {
  createKafka,
  kafkaConnection,
  createLogger,
  createMetrics,
  createPrincipalVerifier,
  createProducer,
  kafkaReadiness,
  onShutdown,
  OutboxRelay,
  readPemFiles,
  startGrpcServer,
  startOpsServer,
  stopGrpcServer,
  tlsFiles,
} from '@tracking/kit';
import { BackupServiceService } from '@tracking/proto/tracking/backup/v1/backup';

import { configuredDatabases, describe } from './backups';
import { readConfig } from './config';
import { backupService } from './grpc';
import { createBackupMetrics } from './metrics';
import { createDeps } from './deps';

/**
 * The long-running backup service: on-demand backups and drills over gRPC, the metrics of every
 * run (the CronJobs' included, read back from the bucket and the run records), and the relay
 * that publishes the events every run leaves in the outbox. The scheduled runs are the CronJobs,
 * which run cli.ts with the same image and settings.
 */
async function main() {
  const config = readConfig();
  if (!config.PRINCIPAL_PUBLIC_KEY_FILES) {
    throw new Error(
      'PRINCIPAL_PUBLIC_KEY_FILES is required: the gRPC API checks every caller (docs/backup.md)',
    );
  }
  const principals = await createPrincipalVerifier(readPemFiles(config.PRINCIPAL_PUBLIC_KEY_FILES), 'backup');
  const log = createLogger({ service: 'backup', level: config.LOG_LEVEL, file: config.LOG_FILE });
  const metrics = createMetrics();
  const deps = createDeps(config, log);
  const backupMetrics = createBackupMetrics(metrics.registry, configuredDatabases(deps.sources));

  const kafka = createKafka({ clientId: 'backup', ...kafkaConnection(config), log, metrics });
  const producer = createProducer(kafka);
  await producer.connect();
  const relay = new OutboxRelay({
    pool: deps.pool,
    producer,
    log,
    metrics,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
  });
  await relay.start();

  await backupMetrics.refresh(deps);
  let refreshing: Promise<void> | undefined;
  const refresh = () => {
    refreshing ??= backupMetrics.refresh(deps).finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };
  const timer = setInterval(() => {
    refresh().catch((error: unknown) => log.warn({ err: describe(error) }, 'metrics refresh failed'));
  }, config.BACKUP_METRICS_REFRESH_MS);
  timer.unref();

  const grpc = await startGrpcServer({
    host: config.BIND_HOST,
    port: config.GRPC_PORT,
    tls: tlsFiles(config),
    callers: { allowed: config.GRPC_ALLOWED_CALLERS ?? [], log, metrics },
    services: [[BackupServiceService, backupService({ ...deps, metrics, principals, afterRun: refresh })]],
  });
  const kafkaCheck = await kafkaReadiness(kafka);
  const ops = await startOpsServer({
    host: config.BIND_HOST,
    port: config.OPS_PORT,
    metrics,
    log,
    readiness: [
      ['postgres', () => deps.pool.query('SELECT 1')],
      ['kafka', kafkaCheck.check],
      ['bucket', () => deps.store.ping()],
    ],
  });

  onShutdown(log, config.SHUTDOWN_TIMEOUT_MS, [
    ['readiness', () => ops.setDraining()],
    ['grpc', () => stopGrpcServer(grpc.server, config.SHUTDOWN_TIMEOUT_MS / 2)],
    ['metrics refresh', () => clearInterval(timer)],
    ['outbox relay', () => relay.stop()],
    ['kafka producer', () => producer.disconnect()],
    ['postgres and bucket', () => deps.close()],
    ['ops server', () => ops.close()],
    ['kafka readiness', () => kafkaCheck.close()],
    ['telemetry', () => telemetry.shutdown()],
  ]);
  log.info(
    {
      event: 'service.started',
      grpcPort: grpc.port,
      opsPort: ops.port,
      databases: configuredDatabases(deps.sources),
      bucket: deps.store.bucket,
      keyId: deps.keyring.activeKeyId,
    },
    'backup service ready',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`backup failed to start: ${describe(error)}\n`);
  process.exit(1);
});
