import { createClient, tlsFiles, type Keyring, type Logger, type Metrics } from '@tracking/kit';
import { AuthServiceClient } from '@tracking/proto/tracking/auth/v1/auth';

import type { Config } from './config';
import { createPrisma, type PrismaClient } from './db';
import { chainMetrics, type ChainMetrics } from './metrics';

/** What audit's transports and domain modules need; main.ts builds it once with createDeps. */
export interface Deps {
  prisma: PrismaClient;
  /** Wraps the per-person keys of crypto-shredding. */
  kek: Keyring;
  /** Answers whether a caller's session holds a permission. */
  auth: AuthServiceClient;
  log: Logger;
  metrics: Metrics;
  /** The chain's gauges: a break an admin's verification finds pages at once, not at the next attestation. */
  chain: ChainMetrics;
}

/** The production wiring of Deps from configuration. */
export function createDeps(config: Config, log: Logger, metrics: Metrics): Deps {
  return {
    prisma: createPrisma(config.DATABASE_URL),
    kek: config.keyring,
    // Only the read and erase methods need auth; ingestion and attestation run without it.
    auth: createClient(AuthServiceClient, config.AUTH_GRPC_ADDR, {
      tls: tlsFiles(config),
      server: 'auth',
      log,
      deadlineMs: config.GRPC_DEADLINE_MS,
    }),
    log,
    metrics,
    chain: chainMetrics(metrics.registry, log),
  };
}
