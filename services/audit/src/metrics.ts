import { createSecurityEvents, type Logger, type MetricsRegistry } from '@tracking/kit';
import { Gauge } from 'prom-client';

/**
 * The audit chain's metrics and its security event, shared by the scheduled attestation and an
 * admin's verification (attest.ts); the kit's metrics cover everything else.
 */
export function chainMetrics(registry: MetricsRegistry, log: Logger) {
  return {
    security: createSecurityEvents({ log, metrics: { registry } }, ['audit.chain.broken']),
    verifiedSequence: new Gauge({
      name: 'audit_chain_verified_sequence',
      help: 'The last audit sequence number the latest verification found intact.',
      registers: [registry],
    }),
    broken: new Gauge({
      name: 'audit_chain_broken',
      help: '1 when the latest verification found the audit chain broken or at odds with its published head, else 0.',
      registers: [registry],
    }),
    // Exported so AuditChainVerificationStale scales with the deployment's schedule.
    interval: new Gauge({
      name: 'audit_chain_attest_interval_seconds',
      help: 'How often the audit chain is verified and attested (CHAIN_ATTEST_INTERVAL_MS, in seconds).',
      registers: [registry],
    }),
    lastRun: new Gauge({
      name: 'audit_chain_last_verification_timestamp_seconds',
      help: 'When the audit chain was last verified (Unix time).',
      registers: [registry],
    }),
  };
}

export type ChainMetrics = ReturnType<typeof chainMetrics>;
