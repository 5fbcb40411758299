import { telemetry } from './instrumentation';

import {
  createKafka,
  createLogger,
  createMetrics,
  createPool,
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
import { AiInferenceServiceService } from '@tracking/proto/tracking/ai/v1/ai';

import { createBudget } from './budget';
import { readConfig } from './config';
import { startRequestsConsumer } from './events';
import { aiService } from './grpc';
import { createInference } from './inference';
import { createProviders } from './providers';

/** A day's counters are kept a little longer than the day, for an operator's questions. */
const USAGE_KEEP_DAYS = 7;

async function main() {
  const config = readConfig();
  const log = createLogger({ service: 'ai-inference', level: config.LOG_LEVEL, file: config.LOG_FILE });
  const metrics = createMetrics();
  const principals = await createPrincipalVerifier(
    readPemFiles(config.PRINCIPAL_PUBLIC_KEY_FILES),
    'ai-inference',
  );
  const pool = createPool(config.DATABASE_URL, { max: 5, name: 'ai-inference' });
  const budget = createBudget(pool, {
    requestsPerDay: config.AI_DAILY_REQUESTS_PER_TENANT,
    tokensPerDay: config.AI_DAILY_TOKENS_PER_TENANT,
  });
  const inference = createInference({
    providers: createProviders(config),
    budget,
    log,
    metrics,
    breaker: {
      errorPercent: config.AI_BREAKER_ERROR_PERCENT,
      minCalls: config.AI_BREAKER_MIN_CALLS,
      windowMs: config.AI_BREAKER_WINDOW_MS,
      resetMs: config.AI_BREAKER_RESET_MS,
    },
    // Every attempt's timeout plus the back-off between them, with a little room.
    callDeadlineMs: config.AI_TIMEOUT_MS * (config.AI_MAX_RETRIES + 1) + 10_000,
  });

  const kafka = createKafka({ clientId: 'ai-inference', brokers: config.KAFKA_BROKERS, log });
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
  const purge = setInterval(() => {
    budget.purge(USAGE_KEEP_DAYS).catch((error: unknown) => log.warn({ err: error }, 'usage purge failed'));
  }, 3_600_000);
  purge.unref();

  const grpc = await startGrpcServer({
    host: config.BIND_HOST,
    port: config.GRPC_PORT,
    tls: tlsFiles(config),
    services: [[AiInferenceServiceService, aiService({ inference, principals, log, metrics })]],
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
