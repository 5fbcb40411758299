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
  startOpsServer,
} from '@tracking/kit';

import { readConfig } from './config';
import { createDeps, createPoolOf } from './deps';
import { startNotificationConsumer } from './events';
import { createNotificationMetrics } from './metrics';

/** The send log is kept long enough for any limit window and an operator's questions, then purged. */
const DELIVERY_RETENTION_DAYS = 30;

async function main() {
  const config = readConfig();
  const log = createLogger({ service: 'notifications', level: config.LOG_LEVEL, file: config.LOG_FILE });
  const metrics = createMetrics();
  const pool = createPoolOf(config);
  const deps = createDeps(config, log, createNotificationMetrics(metrics.registry, pool));

  const kafka = createKafka({ clientId: 'notifications', ...kafkaConnection(config), log, metrics });
  const producer = createProducer(kafka);
  await producer.connect();
  // Publishes the audit events of suppressions.
  // A suppression's audit event names the user: each outbox row goes once Kafka has it.
  const relay = new OutboxRelay({
    pool,
    producer,
    log,
    metrics,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    retainSentMs: 0,
  });
  await relay.start();
  const consumer = await startNotificationConsumer({
    kafka,
    pool,
    deps,
    metrics,
    groupId: config.CONSUMER_GROUP,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
  });

  const purge = setInterval(() => {
    pool
      .query(`DELETE FROM delivery WHERE recorded_at < now() - make_interval(days => $1)`, [
        DELIVERY_RETENTION_DAYS,
      ])
      .catch((error: unknown) => log.warn({ err: error }, 'send log purge failed'));
  }, 3_600_000);
  purge.unref();

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
    // Lets the request in hand finish (or, mid-retry, end with the process: its transaction rolls
    // back and the request is delivered after the restart) and commits the consumed offsets.
    ['kafka consumer', () => consumer.stop()],
    ['send log purge', () => clearInterval(purge)],
    ['outbox relay', () => relay.stop()],
    ['kafka producer', () => producer.disconnect()],
    ['smtp and auth clients', () => deps.close()],
    ['postgres', () => pool.end()],
    ['ops server', () => ops.close()],
    ['kafka readiness', () => kafkaCheck.close()],
    ['telemetry', () => telemetry.shutdown()],
  ]);
  log.info({ event: 'service.started', opsPort: ops.port }, 'notifications service ready');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `notifications failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
