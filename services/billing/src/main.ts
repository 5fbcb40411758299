import { telemetry } from './instrumentation';

import {
  closeServer,
  createKafka,
  createLogger,
  createMetrics,
  createPool,
  createPrincipalVerifier,
  createProducer,
  createSecurityEvents,
  kafkaReadiness,
  newCorrelationId,
  onShutdown,
  OutboxRelay,
  readPemFiles,
  runWithContext,
  startGrpcServer,
  startOpsServer,
  stopGrpcServer,
  tlsFiles,
} from '@tracking/kit';
import { BillingServiceService } from '@tracking/proto/tracking/billing/v1/billing';

import { readConfig, readStripeSecrets } from './config';
import { billingService } from './grpc';
import { billingMetrics } from './metrics';
import { priceBook } from './plans';
import { createStripe } from './stripe';
import { sweepGracePeriods } from './subscriptions';
import { startWebhookServer } from './webhooks';

async function main() {
  const config = readConfig();
  const secrets = readStripeSecrets(config);
  const log = createLogger({ service: 'billing', level: config.LOG_LEVEL, file: config.LOG_FILE });
  const metrics = createMetrics();
  const security = createSecurityEvents({ log, metrics }, ['billing.webhook.rejected']);
  const principals = await createPrincipalVerifier(
    readPemFiles(config.PRINCIPAL_PUBLIC_KEY_FILES),
    'billing',
  );
  const pool = createPool(config.DATABASE_URL, { max: 10, name: 'billing' });
  const billing = billingMetrics(metrics, pool);
  const stripe = createStripe(config, secrets);
  const prices = priceBook(config);
  const policy = { graceDays: config.BILLING_GRACE_DAYS };

  const kafka = createKafka({ clientId: 'billing', brokers: config.KAFKA_BROKERS, log });
  const producer = createProducer(kafka);
  await producer.connect();
  const relay = new OutboxRelay({ pool, producer, log, metrics, topicPrefix: config.KAFKA_TOPIC_PREFIX });
  await relay.start();

  // Dunning: access drops to free once a failed payment's grace period is over.
  const sweep = setInterval(() => {
    void runWithContext({ correlationId: newCorrelationId() }, async () => {
      try {
        const downgraded = await sweepGracePeriods(pool, new Date());
        for (const { userId } of downgraded) {
          billing.dunningDowngrades.inc();
          log.info(
            { event: 'billing.dunning.downgraded', userId },
            'grace period over: moved to the free plan',
          );
        }
      } catch (error) {
        log.warn({ err: error }, 'dunning sweep failed; it runs again shortly');
      }
    });
  }, config.DUNNING_SWEEP_MS);
  sweep.unref();

  const webhooks = await startWebhookServer(
    { stripe, webhookSecret: secrets.webhookSecret, pool, prices, policy, log, metrics: billing, security },
    config.BIND_HOST,
    config.WEBHOOK_PORT,
  );
  const grpc = await startGrpcServer({
    host: config.BIND_HOST,
    port: config.GRPC_PORT,
    tls: tlsFiles(config),
    services: [
      [BillingServiceService, billingService({ stripe, pool, prices, principals, config, log, metrics })],
    ],
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
    ['grpc', () => stopGrpcServer(grpc.server, config.SHUTDOWN_TIMEOUT_MS / 2)],
    ['dunning sweep', () => clearInterval(sweep)],
    ['outbox relay', () => relay.stop()],
    ['kafka producer', () => producer.disconnect()],
    ['postgres', () => pool.end()],
    ['ops server', () => ops.close()],
    ['kafka readiness', () => kafkaCheck.close()],
    ['telemetry', () => telemetry.shutdown()],
  ]);
  log.info(
    { event: 'service.started', grpcPort: grpc.port, opsPort: ops.port, webhookPort: config.WEBHOOK_PORT },
    'billing service ready',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `billing failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
