import { telemetry } from './instrumentation';

import {
  createKafka,
  kafkaConnection,
  createLogger,
  createMetrics,
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
import { AiInferenceServiceService } from '@tracking/proto/tracking/ai/v1/ai';

import { readConfig } from './config';
import { createDeps } from './deps';
import { startPrivacyConsumer, startRequestsConsumer } from './events';
import { aiService } from './grpc';

/** A day's counters are kept a little longer than the day, for an operator's questions. */
const USAGE_KEEP_DAYS = 7;

async function main() {
  const config = readConfig();
  const log = createLogger({ service: 'ai-inference', level: config.LOG_LEVEL, file: config.LOG_FILE });
  const metrics = createMetrics();
  const deps = await createDeps(config, log, metrics);
  const { pool, budget, inference } = deps;

  const kafka = createKafka({ clientId: 'ai-inference', ...kafkaConnection(config), log, metrics });
  const producer = createProducer(kafka);
  await producer.connect();
  // Estimates name the foods in a meal: each outbox row goes once Kafka has it.
  const relay = new OutboxRelay({
    pool,
    producer,
    log,
    metrics,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    retainSentMs: 0,
  });
  await relay.start();
  const consumer = await startRequestsConsumer({
    kafka,
    pool,
    inference,
    log,
    metrics,
    groupId: config.CONSUMER_GROUP,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
  });
  const store = createObjectStore(config);
  const privacy = await startPrivacyConsumer({
    kafka,
    pool,
    store,
    recipients: config.PRIVACY_EXPORT_RECIPIENT,
    log,
    metrics,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
  });
  const purge = setInterval(() => {
    budget.purge(USAGE_KEEP_DAYS).catch((error: unknown) => log.warn({ err: error }, 'usage purge failed'));
  }, 3_600_000);
  purge.unref();

  const grpc = await startGrpcServer({
    host: config.BIND_HOST,
    port: config.GRPC_PORT,
    tls: tlsFiles(config),
    callers: { allowed: config.GRPC_ALLOWED_CALLERS ?? [], log, metrics },
    services: [[AiInferenceServiceService, aiService(deps)]],
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
    ['requests consumer', () => consumer.stop()],
    ['privacy consumer', () => privacy.stop()],
    ['object store', () => store.close()],
    ['outbox relay', () => relay.stop()],
    ['kafka producer', () => producer.disconnect()],
    [
      'breakers and timers',
      () => {
        inference.close();
        clearInterval(purge);
      },
    ],
    ['postgres', () => pool.end()],
    ['ops server', () => ops.close()],
    ['kafka readiness', () => kafkaCheck.close()],
    ['telemetry', () => telemetry.shutdown()],
  ]);
  log.info(
    { event: 'service.started', grpcPort: grpc.port, opsPort: ops.port, providers: config.AI_PROVIDERS },
    'ai-inference service ready',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `ai-inference failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
