import { telemetry } from './instrumentation';

import {
  createKafka,
  kafkaConnection,
  createLogger,
  kafkaReadiness,
  createMetrics,
  createPool,
  createRetentionMetrics,
  createProducer,
  createClientContextVerifier,
  onShutdown,
  readPemFiles,
  OutboxRelay,
  startGrpcServer,
  startOpsServer,
  stopGrpcServer,
  tlsFiles,
} from '@tracking/kit';
import { createObjectStore } from '@tracking/kit/privacy';
import { AuthServiceService } from '@tracking/proto/tracking/auth/v1/auth';
import { ContactServiceService } from '@tracking/proto/tracking/auth/v1/contacts';

import { privacyExportStore, readConfig } from './config';
import { contactService, readContactLookupToken } from './contacts';
import { createDeps } from './deps';
import { startPlanConsumer, startPrivacyConsumer } from './events';
import { authService } from './grpc';
import { createAuthMetrics, watchFailingIdentities } from './metrics';
import { OUTBOX_RETAIN_SENT_MS } from './notify';
import { startRecoveryWorker } from './recovery';
import { RETENTION_TASKS } from './retention';
import { failingLoginIdentities } from './throttle';

async function main() {
  const config = readConfig();
  if (!config.PRINCIPAL_PUBLIC_KEY_FILES) {
    throw new Error('PRINCIPAL_PUBLIC_KEY_FILES is required: it says which client addresses to believe');
  }
  const publicKeys = readPemFiles(config.PRINCIPAL_PUBLIC_KEY_FILES);
  const exportStore = privacyExportStore(config);
  const log = createLogger({ service: 'auth', level: config.LOG_LEVEL, file: config.LOG_FILE });
  const metrics = createAuthMetrics(createMetrics());
  const deps = createDeps(config, log, metrics);
  const { prisma } = deps;
  watchFailingIdentities(metrics, () => failingLoginIdentities(deps));
  const pool = createPool(config.DATABASE_URL, { max: 3, name: 'auth-relay' });
  const kafka = createKafka({ clientId: 'auth', ...kafkaConnection(config), log, metrics });
  const producer = createProducer(kafka);
  await producer.connect();
  const relay = new OutboxRelay({
    pool,
    producer,
    log,
    metrics,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    retainSentMs: OUTBOX_RETAIN_SENT_MS,
  });
  await relay.start();
  // When each retention CronJob last succeeded, from its run records (docs/privacy.md).
  createRetentionMetrics(metrics.registry, pool, RETENTION_TASKS);
  const plans = await startPlanConsumer({
    kafka,
    prisma,
    log,
    metrics,
    groupId: 'auth-plans',
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
  });

  const store = createObjectStore(exportStore);
  const privacy = await startPrivacyConsumer(deps, {
    kafka,
    store,
    recipients: exportStore.PRIVACY_EXPORT_RECIPIENT,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
  });

  // Reset and email-change requests are answered at once and carried out here, so their
  // timing does not say whether an address has an account (recovery.ts).
  const recovery = startRecoveryWorker(deps);

  const tls = tlsFiles(config);
  const grpc = await startGrpcServer({
    host: config.BIND_HOST,
    port: config.GRPC_PORT,
    tls,
    callers: { allowed: config.GRPC_ALLOWED_CALLERS ?? [], log, metrics },
    clientContext: {
      verifier: await createClientContextVerifier(publicKeys, 'auth'),
      security: deps.security,
    },
    services: [
      [AuthServiceService, authService(deps)],
      [ContactServiceService, contactService(deps, readContactLookupToken(config.CONTACT_LOOKUP_TOKEN_FILE))],
    ],
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
    ['plan consumer', () => plans.stop()],
    ['privacy participant', () => privacy.stop()],
    ['recovery worker', () => recovery.stop()],
    ['outbox relay', () => relay.stop()],
    ['export store', () => store.close()],
    ['kafka producer', () => producer.disconnect()],
    ['postgres', () => Promise.all([prisma.$disconnect(), pool.end()])],
    ['ops server', () => ops.close()],
    ['kafka readiness', () => kafkaCheck.close()],
    ['telemetry', () => telemetry.shutdown()],
  ]);
  log.info({ event: 'service.started', grpcPort: grpc.port, opsPort: ops.port }, 'auth service ready');
}

main().catch((error: unknown) => {
  // The logger may not exist yet (bad configuration); stderr is the only safe place.
  process.stderr.write(`auth failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
