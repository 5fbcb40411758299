import type { Keyring, Logger, SecurityEvents } from '@tracking/kit';

import { policyOf, type Config } from './config';
import { createPrisma, type PrismaClient } from './db';
import type { Prisma } from './generated/prisma/client';
import { authSecurityEvents, type AuthMetrics } from './metrics';
import type { AuthPolicy, Clock } from './policy';

/** What the domain modules need; main.ts builds it once, tests build their own with a fake clock. */
export interface Deps {
  prisma: PrismaClient;
  keyring: Keyring;
  clock: Clock;
  log: Logger;
  metrics: AuthMetrics;
  security: SecurityEvents;
  policy: AuthPolicy;
}

/** A Prisma transaction client, as handed to `prisma.$transaction(async (tx) => ...)`. */
export type Tx = Prisma.TransactionClient;

/** The production wiring of Deps from configuration (main.ts and the CLIs share it). */
export function createDeps(config: Config, log: Logger, metrics: AuthMetrics): Deps {
  return {
    prisma: createPrisma(config.DATABASE_URL),
    keyring: config.keyring,
    clock: () => new Date(),
    log,
    metrics,
    security: authSecurityEvents(log, metrics),
    policy: policyOf(config),
  };
}
