import { createPool, type Logger } from '@tracking/kit';
import type pg from 'pg';

import type { Config } from './config';
import { createExportAssembly } from './export';
import { createErasureLedger } from './ledger';
import type { PrivacyMetrics } from './metrics';
import type { PrivacyDeps } from './requests';

export function createPoolOf(config: Config): pg.Pool {
  return createPool(config.DATABASE_URL, { max: 6, name: 'privacy' });
}

export function policyOf(config: Config): PrivacyDeps['policy'] {
  return {
    appOrigin: new URL(config.PUBLIC_BASE_URL).origin,
    coolingOffMs: config.ERASURE_COOLING_OFF_MS,
    exportTtlMs: config.EXPORT_TTL_MS,
  };
}

/** The production wiring of the saga's dependencies; shared by main.ts and cli.ts. */
export function createDeps(
  config: Config,
  log: Logger,
  pool: pg.Pool,
  metrics: PrivacyMetrics,
): PrivacyDeps & { close(): void } {
  const ledger = createErasureLedger(config);
  const exports = createExportAssembly(config, log);
  return {
    pool,
    log,
    metrics,
    ledger,
    exports,
    policy: policyOf(config),
    close() {
      ledger.close();
      exports.close();
    },
  };
}
