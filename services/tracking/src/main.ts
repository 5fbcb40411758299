import { telemetry } from './instrumentation';

import {
  createKafka,
  kafkaConnection,
  createLogger,
  createMetrics,
  createPool,
  createRetentionMetrics,
  createProducer,
  kafkaReadiness,
  onShutdown,
  OutboxRelay,
  startGrpcServer,
  startOpsServer,
  stopGrpcServer,
  tlsFiles,
} from '@tracking/kit';
import { createObjectStore } from '@tracking/kit/privacy';
import { TrackingServiceService } from '@tracking/proto/tracking/tracking/v1/tracking';

import { readConfig } from './config';
import { createDeps } from './deps';
import { startAiResultsConsumer, startPrivacyConsumer } from './events';
import { trackingService } from './grpc';
import { RETENTION_TASKS } from './retention';

async function main() {
  const config = readConfig();
  const log = createLogger({ service: 'tracking', level: config.LOG_LEVEL, file: config.LOG_FILE });
  const metrics = createMetrics();
  const deps = await createDeps(config, log, metrics);
  const { prisma } = deps;

  // The outbox relay's connections, and one for a privacy step's transaction.
  const pool = createPool(config.DATABASE_URL, { max: 4, name: 'tracking-relay' });
  const kafka = createKafka({ clientId: 'tracking', ...kafkaConnection(config), log, metrics });
  const producer = createProducer(kafka);
  await producer.connect();
  // The outbox carries meal text for the estimator: each row goes once Kafka has it.
  const relay = new OutboxRelay({
    pool,
    producer,
    log,
    metrics,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    retainSentMs: 0,
  });
  await relay.start();
  // When each retention CronJob last succeeded, from its run records (docs/privacy.md).
  createRetentionMetrics(metrics.registry, pool, RETENTION_TASKS);
  const consumer = await startAiResultsConsumer({
    kafka,
    prisma,
    log,
    metrics,
    groupId: config.CONSUMER_GROUP,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
  });
  const store = createObjectStore(config);
  const privacy = await startPrivacyConsumer({
    kafka,
    prisma,
    pool,
    store,
    recipients: config.PRIVACY_EXPORT_RECIPIENT,
    log,
    metrics,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
  });

  const grpc = await startGrpcServer({
    host: config.BIND_HOST,
    port: config.GRPC_PORT,
    tls: tlsFiles(config),
    callers: { allowed: config.GRPC_ALLOWED_CALLERS ?? [], log, metrics },
    services: [[TrackingServiceService, trackingService(deps)]],
  });
  const kafkaCheck = await kafkaReadiness(kafka);
  const ops = await startOpsServer({
    host: config.BIND_HOST,
    port: config.OPS_PORT,
    metrics,
    log,
    readiness: [
      ['postgres', () => prisma.$queryRaw`SELECT 1`],
      ['kafka', kafkaCheck.check],
    ],
  });

  onShutdown(log, config.SHUTDOWN_TIMEOUT_MS, [
    ['readiness', () => ops.setDraining()],
    ['grpc', () => stopGrpcServer(grpc.server, config.SHUTDOWN_TIMEOUT_MS / 2)],
    ['ai results consumer', () => consumer.stop()],
    ['privacy consumer', () => privacy.stop()],
    ['object store', () => store.close()],
    ['outbox relay', () => relay.stop()],
    ['kafka producer', () => producer.disconnect()],
    ['postgres', () => Promise.all([prisma.$disconnect(), pool.end()])],
    ['ops server', () => ops.close()],
    ['kafka readiness', () => kafkaCheck.close()],
    ['telemetry', () => telemetry.shutdown()],
  ]);
  log.info({ event: 'service.started', grpcPort: grpc.port, opsPort: ops.port }, 'tracking service ready');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `tracking failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
