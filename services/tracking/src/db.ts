import { PrismaPg } from '@prisma/adapter-pg';
import { POOL_OPTIONS, type Principal } from '@tracking/kit';

import { PrismaClient } from './generated/prisma/client';

export type { PrismaClient } from './generated/prisma/client';
export type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

export function createPrisma(databaseUrl: string): PrismaClient {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: databaseUrl, max: 10, ...POOL_OPTIONS }),
  });
}

/**
 * Who a transaction acts for, as row-level security sees it: an end user the gateway vouched
 * for, or the consumer that writes the AI service's results.
 */
export type Actor =
  (Pick<Principal, 'userId' | 'role' | 'verifiedEmail'> & { system?: never }) | { system: 'ai-results' };

/**
 * Runs `fn` in one transaction that first tells PostgreSQL who is acting. The settings are
 * transaction-local (`set_config(..., true)`), so they end with the transaction and can never
 * leak to the next user of the pooled connection. Every query of the service goes through
 * here: without these settings the row-level security policies let nothing through.
 */
export function asActor<T>(prisma: PrismaClient, actor: Actor, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const [userId, role, email] =
    actor.system === undefined
      ? [actor.userId, actor.role, actor.verifiedEmail ?? '']
      : ['', actor.system, ''];
  return prisma.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT set_config('tracking.user_id', ${userId}, true),
                              set_config('tracking.role', ${role}, true),
                              set_config('tracking.email', ${email.toLowerCase()}, true)`;
    return fn(tx);
  });
}

/** Prisma's code for a failed query: P2002 a unique violation, P2025 no row matched an update. */
export function prismaCode(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/** The PostgreSQL SQLSTATE behind a failed Prisma query, if the database raised it. */
export function postgresCode(error: unknown): string | undefined {
  const cause = (error as { meta?: { driverAdapterError?: { cause?: { code?: unknown } } } } | null)?.meta
    ?.driverAdapterError?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}
