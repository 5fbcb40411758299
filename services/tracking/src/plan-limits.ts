import { PLANS, upgradeFor, type Plan } from '@tracking/contracts';
import { DomainError, RateLimitedError, type Principal } from '@tracking/kit';

import type { Tx } from './db';

const WEEK_MS = 7 * 86_400_000;

/** What a plan's limit, reached, tells the caller: the plan, the limit and the plan that grants more. */
function limitDetails(plan: Plan, limit: 'clientsPerTrainer' | 'aiReviewsPerWeek'): Record<string, string> {
  return { plan, limit: String(PLANS[plan][limit]), upgrade: upgradeFor(plan, limit) ?? '' };
}

/** A plan's limit reached: 412 `failed_precondition`, with the plan that would lift it. */
export class PlanLimitError extends DomainError {
  constructor(message: string, details: Record<string, string>) {
    super('failed_precondition', message, details);
  }
}

/**
 * Holds one lock per (kind, id) until the transaction ends, so two requests at once cannot both
 * take the last place under a limit: the second counts after the first has written.
 */
async function serialise(tx: Tx, kind: string, id: string): Promise<void> {
  await tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`${kind}:${id}`}, 0))::text AS locked`;
}

/**
 * A trainer's plan bounds the clients they coach or have invited: active links and pending,
 * unexpired invitations count; ended, declined and expired ones do not. A downgrade keeps the
 * clients a trainer already has and only stops new invitations.
 */
export async function assertRoomForClient(tx: Tx, trainer: Principal): Promise<void> {
  await serialise(tx, 'trainer-links', trainer.userId);
  const taken = await tx.trainerLink.count({
    where: {
      trainerId: trainer.userId,
      OR: [{ status: 'active' }, { status: 'pending', expiresAt: { gt: new Date() } }],
    },
  });
  const allowed = PLANS[trainer.plan].clientsPerTrainer;
  if (taken >= allowed) {
    throw new PlanLimitError(
      `the ${trainer.plan} plan allows ${String(allowed)} clients and invitations at a time`,
      limitDetails(trainer.plan, 'clientsPerTrainer'),
    );
  }
}

/**
 * AI reviews of one client in the last seven days, whoever asked for them, are bounded by the
 * plan of the person asking now (a client's own, or their trainer's). A review that failed does
 * not count: our failure must not cost the quota. Over it: 429 with the seconds until the oldest
 * counted review leaves the window.
 */
export async function assertReviewQuota(tx: Tx, requester: Principal, clientId: string): Promise<void> {
  await serialise(tx, 'client-reviews', clientId);
  const since = new Date(Date.now() - WEEK_MS);
  const counted = await tx.review.findMany({
    where: { clientId, createdAt: { gt: since }, status: { not: 'failed' } },
    select: { createdAt: true },
    orderBy: { createdAt: 'asc' },
  });
  const allowed = PLANS[requester.plan].aiReviewsPerWeek;
  if (counted.length < allowed) return;
  const oldest = counted[counted.length - allowed]?.createdAt ?? since;
  const retryAfterSeconds = Math.max(1, Math.ceil((oldest.getTime() + WEEK_MS - Date.now()) / 1000));
  throw new RateLimitedError(
    `the ${requester.plan} plan allows ${String(allowed)} AI review${allowed === 1 ? '' : 's'} a week for each client`,
    retryAfterSeconds,
    limitDetails(requester.plan, 'aiReviewsPerWeek'),
  );
}
