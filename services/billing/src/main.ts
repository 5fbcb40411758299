import { telemetry } from './instrumentation';

import {
  closeServer,
  createKafka,
  kafkaConnection,
  createLogger,
  createMetrics,
  createProducer,
  edgeListenerTls,
  kafkaReadiness,
  newCorrelationId,
  onShutdown,
  OutboxRelay,
  pgTransactionRunner,
  runWithContext,
  startGrpcServer,
  startOpsServer,
  stopGrpcServer,
  tlsFiles,
} from '@tracking/kit';
import { createObjectStore, startPrivacyParticipant } from '@tracking/kit/privacy';
import { BillingServiceService } from '@tracking/proto/tracking/billing/v1/billing';

import { readConfig } from './config';
import { createDeps } from './deps';
import { runDunningSweep } from './dunning';
import { billingService } from './grpc';
import { eraseCustomer, exportCustomer } from './privacy';
import { startWebhookServer } from './webhooks';

async function main() {
  const config = readConfig();
  const log = createLogger({ service: 'billing', level: config.LOG_LEVEL, file: config.LOG_FILE });
  const metrics = createMetrics();
  // The webhook port's TLS, answering only the edge's certificate, unless the development flag
  // says plain HTTP; a refused setting stops billing before it connects anywhere.
  const edgeTls = edgeListenerTls(config, { log, metrics });
  const deps = await createDeps(config, log, metrics);
  const { pool } = deps;

  const kafka = createKafka({ clientId: 'billing', ...kafkaConnection(config), log, metrics });
  const producer = createProducer(kafka);
  await producer.connect();
  // Plan changes, mail and audit events name the user: each outbox row goes once Kafka has it.
  const relay = new OutboxRelay({
    pool,
    producer,
    log,
    metrics,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    retainSentMs: config.OUTBOX_RETAIN_SENT_MS,
  });
  await relay.start();

  // Billing's part in the privacy sagas (src/privacy.ts): its export part, and in erasure phase 1
  // the Stripe customer's deletion, each in the runtime's transaction with its answer.
  const store = createObjectStore(config);
  const privacy = await startPrivacyParticipant({
    service: 'billing',
    kafka,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    log,
    metrics,
    transaction: pgTransactionRunner(pool),
    store,
    recipients: config.PRIVACY_EXPORT_RECIPIENT,
    handlers: {
      exportSubject: (subjectId, { tx }) => exportCustomer(tx, subjectId),
      eraseSubject: async (subjectId, { tx }) => ({ counts: await eraseCustomer(deps, tx, subjectId) }),
    },
  });

  const sweep = setInterval(() => {
    void runWithContext({ correlationId: newCorrelationId() }, () => runDunningSweep(deps, new Date()));
  }, config.DUNNING_SWEEP_MS);
  sweep.unref();

  const webhooks = await startWebhookServer(deps, config.BIND_HOST, config.WEBHOOK_PORT, edgeTls);
  const grpc = await startGrpcServer({
    host: config.BIND_HOST,
    port: config.GRPC_PORT,
    tls: tlsFiles(config),
    callers: { allowed: config.GRPC_ALLOWED_CALLERS ?? [], log, metrics },
    services: [[BillingServiceService, billingService(deps)]],
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
    ['webhooks', () => closeServer(webhooks)],
    ['webhook rejections summary', () => deps.rejections.flush()],
    ['grpc', () => stopGrpcServer(grpc.server, config.SHUTDOWN_TIMEOUT_MS / 2)],
    ['dunning sweep', () => clearInterval(sweep)],
    ['privacy participant', () => privacy.stop()],
    ['outbox relay', () => relay.stop()],
    ['export store', () => store.close()],
    ['kafka producer', () => producer.disconnect()],
    ['postgres', () => pool.end()],
    ['ops server', () => ops.close()],
    ['kafka readiness', () => kafkaCheck.close()],
    ['telemetry', () => telemetry.shutdown()],
  ]);
  log.info(
    {
      event: 'service.started',
      grpcPort: grpc.port,
      opsPort: ops.port,
      webhookPort: config.WEBHOOK_PORT,
      webhookTls: Boolean(edgeTls),
    },
    'billing service ready',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `billing failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
