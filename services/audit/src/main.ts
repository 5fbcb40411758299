import { telemetry } from './instrumentation';

import {
  createKafka,
  createPool,
  createProducer,
  OutboxRelay,
  kafkaConnection,
  createLogger,
  kafkaReadiness,
  createMetrics,
  onShutdown,
  startGrpcServer,
  startOpsServer,
  stopGrpcServer,
  tlsFiles,
} from '@tracking/kit';
import { createObjectStore } from '@tracking/kit/privacy';
import { AuditServiceService } from '@tracking/proto/tracking/audit/v1/audit';

import { ChainAttestor } from './attest';
import { readConfig } from './config';
import { createDeps } from './deps';
import { startAuditConsumer, startPrivacyConsumer } from './events';
import { auditService } from './grpc';

async function main() {
  const config = readConfig();
  const log = createLogger({ service: 'audit', level: config.LOG_LEVEL, file: config.LOG_FILE });
  const metrics = createMetrics();
  const deps = createDeps(config, log, metrics);
  const { prisma } = deps;
  const kafka = createKafka({ clientId: 'audit', ...kafkaConnection(config), log, metrics });
  const consumer = await startAuditConsumer({
    kafka,
    prisma,
    kek: config.keyring,
    log,
    metrics,
    groupId: config.CONSUMER_GROUP,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
  });
  // Audit publishes one thing through an outbox: its answers to privacy requests.
  const pool = createPool(config.DATABASE_URL, { max: 2, name: 'audit-relay' });
  const producer = createProducer(kafka);
  await producer.connect();
  const relay = new OutboxRelay({
    pool,
    producer,
    log,
    metrics,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    retainSentMs: 0,
  });
  await relay.start();
  const store = createObjectStore(config);
  const privacy = await startPrivacyConsumer({
    kafka,
    prisma,
    kek: config.keyring,
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
    services: [[AuditServiceService, auditService(deps)]],
  });
  const kafkaCheck = await kafkaReadiness(kafka);
  const attestor = new ChainAttestor({
    prisma,
    kafka,
    log,
    metrics: deps.chain,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
  });
  await attestor.start(config.CHAIN_ATTEST_INTERVAL_MS);
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
    // Disconnecting lets the message in hand finish and commits the consumed offsets.
    ['kafka consumer', () => consumer.stop()],
    ['privacy consumer', () => privacy.stop()],
    ['object store', () => store.close()],
    ['outbox relay', () => relay.stop()],
    ['kafka producer', () => producer.disconnect()],
    ['grpc clients', () => deps.auth.close()],
    ['chain attestation', () => attestor.stop()],
    ['postgres', () => Promise.all([prisma.$disconnect(), pool.end()])],
    ['ops server', () => ops.close()],
    ['kafka readiness', () => kafkaCheck.close()],
    ['telemetry', () => telemetry.shutdown()],
  ]);
  log.info({ event: 'service.started', grpcPort: grpc.port, opsPort: ops.port }, 'audit service ready');
}

main().catch((error: unknown) => {
  process.stderr.write(`audit failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
