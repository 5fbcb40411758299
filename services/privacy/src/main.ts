import { telemetry } from './instrumentation';

import {
  createClientContextVerifier,
  createKafka,
  kafkaConnection,
  createLogger,
  createMetrics,
  createPrincipalVerifier,
  createProducer,
  createSecurityEvents,
  kafkaReadiness,
  onShutdown,
  OutboxRelay,
  readPemFiles,
  startGrpcServer,
  startOpsServer,
  stopGrpcServer,
  tlsFiles,
} from '@tracking/kit';
import { PrivacyServiceService } from '@tracking/proto/tracking/privacy/v1/privacy';

import { readConfig } from './config';
import { createDeps, createPoolOf } from './deps';
import { startStepConsumer } from './events';
import { privacyService } from './grpc';
import { createPrivacyMetrics } from './metrics';
import { startSagaTimer } from './timer';

/**
 * The privacy service: the gateway's PrivacyService API, the consumer of the participants'
 * answers, the saga timer (cooling-off, assembly, expiry) and the relay of its outbox.
 */
async function main() {
  const config = readConfig();
  const log = createLogger({ service: 'privacy', level: config.LOG_LEVEL, file: config.LOG_FILE });
  const publicKeys = readPemFiles(config.PRINCIPAL_PUBLIC_KEY_FILES);
  const principals = await createPrincipalVerifier(publicKeys, 'privacy');
  const metrics = createMetrics();
  const pool = createPoolOf(config);
  const deps = createDeps(config, log, pool, createPrivacyMetrics(metrics.registry, pool));

  const kafka = createKafka({ clientId: 'privacy', ...kafkaConnection(config), log, metrics });
  const producer = createProducer(kafka);
  await producer.connect();
  // Its requests to the participants name the subject: each outbox row goes once Kafka has it.
  const relay = new OutboxRelay({
    pool,
    producer,
    log,
    metrics,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    retainSentMs: 0,
  });
  await relay.start();

  const timer = startSagaTimer(deps, config.SAGA_INTERVAL_MS);
  const consumer = await startStepConsumer({
    kafka,
    deps,
    metrics,
    groupId: config.CONSUMER_GROUP,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    onAssemble: () => timer.wake(),
  });

  const grpc = await startGrpcServer({
    host: config.BIND_HOST,
    port: config.GRPC_PORT,
    tls: tlsFiles(config),
    callers: { allowed: config.GRPC_ALLOWED_CALLERS ?? [], log, metrics },
    // The address and browser in the audit entries are the gateway's signed ones, never a bare header.
    clientContext: {
      verifier: await createClientContextVerifier(publicKeys, 'privacy'),
      security: createSecurityEvents({ log, metrics }, ['authn.rejected']),
    },
    services: [[PrivacyServiceService, privacyService({ ...deps, grpcMetrics: metrics, principals })]],
  });
  const kafkaCheck = await kafkaReadiness(kafka);
  const ops = await startOpsServer({
    host: config.BIND_HOST,
    port: config.OPS_PORT,
    metrics,
    log,
    readiness: [
      ['postgres', () => pool.query('SELECT 1')],
      ['kafka', kafkaCheck.check],
    ],
  });

  onShutdown(log, config.SHUTDOWN_TIMEOUT_MS, [
    ['readiness', () => ops.setDraining()],
    ['grpc', () => stopGrpcServer(grpc.server, config.SHUTDOWN_TIMEOUT_MS / 2)],
    ['kafka consumer', () => consumer.stop()],
    ['saga timer', () => timer.stop()],
    ['outbox relay', () => relay.stop()],
    ['kafka producer', () => producer.disconnect()],
    ['ledger and export store', () => deps.close()],
    ['postgres', () => pool.end()],
    ['ops server', () => ops.close()],
    ['kafka readiness', () => kafkaCheck.close()],
    ['telemetry', () => telemetry.shutdown()],
  ]);
  log.info({ event: 'service.started', grpcPort: grpc.port, opsPort: ops.port }, 'privacy service ready');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `privacy failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
