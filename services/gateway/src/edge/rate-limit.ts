import { createHash } from 'node:crypto';

import {
  clientAddressKey,
  createSecurityEvents,
  RateLimitedError,
  type Logger,
  type MetricsRegistry,
} from '@tracking/kit';
import type pg from 'pg';
import { Counter } from 'prom-client';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';

import type { Budget, RateLimits } from '../deps';

/**
 * Rate limits on a store every gateway replica shares: the `rate_limit` table of the gateway's
 * own database (rate-limiter-flexible's PostgreSQL store). Three budgets, each per minute:
 *
 *   ip       every API request, per client IP (as the trusted-proxy rule resolved it); an IPv6
 *            client per /64, since one host can rotate through its whole /64 (#20)
 *   auth     the account routes attackers aim at (register, login, MFA, password reset), per IP
 *            (IPv6 per /64):
 *            much stricter, against credential stuffing and mail bombing; auth's own per-account
 *            lock-out sits behind it
 *   account  requests of one signed-in caller, per digest of the user id once auth has vouched
 *            for it, else per digest of the session credential: one account cannot take the
 *            service from others by spreading over many addresses
 *
 * If PostgreSQL cannot answer, each replica falls back to an in-memory limiter of the same
 * budget (the insurance limiter), so an outage neither opens the gates nor closes them.
 */
export interface RateLimitSettings {
  ipPerMinute: number;
  authPerMinute: number;
  accountPerMinute: number;
}

const PREFIX: Record<Budget, string> = { ip: 'ip', auth: 'auth-ip', account: 'account' };

export function createRateLimits(
  pool: pg.Pool,
  settings: RateLimitSettings,
  deps: { log: Logger; registry: MetricsRegistry },
): RateLimits {
  const security = createSecurityEvents({ log: deps.log, metrics: deps }, ['ratelimit.hit']);
  const limited = new Counter({
    name: 'gateway_rate_limited_total',
    help: 'Requests refused with 429 by the gateway, by route template and budget.',
    labelNames: ['route', 'budget'],
    registers: [deps.registry],
  });
  const points: Record<Budget, number> = {
    ip: settings.ipPerMinute,
    auth: settings.authPerMinute,
    account: settings.accountPerMinute,
  };
  const limiters = Object.fromEntries(
    (Object.keys(PREFIX) as Budget[]).map((budget) => [
      budget,
      new RateLimiterPostgres({
        storeClient: pool,
        storeType: 'pool',
        tableName: 'rate_limit',
        // The migration made it; the runtime role may not create tables.
        tableCreated: true,
        keyPrefix: PREFIX[budget],
        points: points[budget],
        duration: 60,
        insuranceLimiter: new RateLimiterMemory({ points: points[budget], duration: 60 }),
      }),
    ]),
  ) as Record<Budget, RateLimiterPostgres>;

  return {
    async consume(budget, key, route) {
      try {
        await limiters[budget].consume(budget === 'account' ? key : clientAddressKey(key));
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        limited.inc({ route, budget });
        security.record('ratelimit.hit', { route, budget }, 'request refused: rate limit reached');
        throw new RateLimitedError(
          'too many requests; try again later',
          Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
        );
      }
    },
  };
}

/**
 * The routes on the `auth` budget: where an attacker guesses passwords, codes or tokens, or makes
 * us send mail. Reading or ending one's own session is not among them.
 */
export const AUTH_BUDGET_OPERATIONS: ReadonlySet<string> = new Set([
  'register',
  'verifyEmail',
  'login',
  'verifyMfa',
  'requestPasswordReset',
  'resetPassword',
  'reportEmailChange',
  // A re-entered password is a credential check like a sign-in (routes/privacy/ask.ts).
  'requestDataExport',
  'downloadDataExport',
  'requestAccountDeletion',
]);

/** A session credential's key for the account budget, before auth has named the user: never the token itself. */
export function credentialKey(token: string): string {
  return `session:${digest('session', token)}`;
}

/**
 * A signed-in account's key for the account budget: a digest of the user id, never the id, so
 * the `rate_limit` table holds nothing a search for a person's id finds (an erasure leaves no
 * trace of them here; the row ages out within the hour anyway, docs/data-inventory.yaml).
 */
export function accountKey(userId: string): string {
  return `user:${digest('user', userId)}`;
}

function digest(kind: 'session' | 'user', value: string): string {
  return createHash('sha256')
    .update(`gateway.rate_limit.${kind}:`)
    .update(value)
    .digest('base64url')
    .slice(0, 32);
}
