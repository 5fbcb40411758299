import {
  createPool,
  createPrincipalVerifier,
  readPemFiles,
  type Logger,
  type Metrics,
  type PrincipalVerifier,
} from '@tracking/kit';
import type pg from 'pg';

import { createBudget, type Budget } from './budget';
import type { Config } from './config';
import { createInference, type Inference } from './inference';
import { createProviders } from './providers';

/** What ai-inference's transports and domain modules need; main.ts builds it once with createDeps. */
export interface Deps {
  /** Its own database: the daily usage counters, the outbox and the processed event ids. */
  pool: pg.Pool;
  /** Checks the gateway's signed principal on every gRPC call. */
  principals: PrincipalVerifier;
  budget: Budget;
  inference: Inference;
  log: Logger;
  metrics: Metrics;
}

/** The production wiring of Deps from configuration: the providers, their breakers and the budget. */
export async function createDeps(config: Config, log: Logger, metrics: Metrics): Promise<Deps> {
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
  return { pool, principals, budget, inference, log, metrics };
}
