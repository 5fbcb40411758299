import { mealEstimatedSchema, mealEstimationFailedSchema, reviewCompletedSchema } from '@tracking/contracts';
import { PoisonMessageError, type EventEnvelope } from '@tracking/kit';

import type { Tx } from './db';

/**
 * Applies a late or duplicate result as a no-op: an estimate is stored only if it is for the
 * meal's current version and no estimate of that version is there yet, so it never overwrites
 * a newer edit or a newer estimate. A failure is stored only while the current version is still
 * pending: never over an estimate that arrived first, and once only. A review is filled in only
 * while it is still requested.
 */
export async function applyAiResult(tx: Tx, event: EventEnvelope): Promise<'applied' | 'stale' | 'ignored'> {
  if (event.type === 'ai.meal.estimated') {
    const parsed = mealEstimatedSchema.safeParse(event.data);
    if (!parsed.success) throw new PoisonMessageError('ai.meal.estimated body does not match its schema');
    const estimate = parsed.data;
    const { count } = await tx.meal.updateMany({
      where: {
        id: estimate.mealId,
        version: estimate.mealVersion,
        deletedAt: null,
        OR: [{ estimatedVersion: null }, { estimatedVersion: { lt: estimate.mealVersion } }],
      },
      data: {
        calories: estimate.calories,
        proteinG: estimate.proteinG,
        carbsG: estimate.carbsG,
        fatG: estimate.fatG,
        estimateSource: estimate.source,
        estimatedAt: new Date(estimate.estimatedAt),
        estimatedVersion: estimate.mealVersion,
        estimateStatus: 'estimated',
        estimateFailure: null,
        estimateItems: estimate.items,
        estimateConfidence: estimate.confidence,
        estimateModel: estimate.model,
      },
    });
    return count === 1 ? 'applied' : 'stale';
  }
  if (event.type === 'ai.meal.estimation_failed') {
    const parsed = mealEstimationFailedSchema.safeParse(event.data);
    if (!parsed.success)
      throw new PoisonMessageError('ai.meal.estimation_failed body does not match its schema');
    const failure = parsed.data;
    const { count } = await tx.meal.updateMany({
      where: {
        id: failure.mealId,
        version: failure.mealVersion,
        deletedAt: null,
        estimateStatus: 'pending',
        estimatedVersion: null,
      },
      data: { estimateStatus: 'failed', estimateFailure: failure.reason },
    });
    return count === 1 ? 'applied' : 'stale';
  }
  if (event.type === 'ai.review.completed') {
    const parsed = reviewCompletedSchema.safeParse(event.data);
    if (!parsed.success) throw new PoisonMessageError('ai.review.completed body does not match its schema');
    const review = parsed.data;
    const { count } = await tx.review.updateMany({
      where: { id: review.reviewId, status: 'requested' },
      data: {
        status: review.status,
        content: review.content,
        completedAt: new Date(review.completedAt),
        // A reason belongs to a failure only (the table says so too).
        failureReason: review.status === 'failed' ? (review.failureReason ?? null) : null,
        source: review.source ?? null,
        model: review.model ?? null,
      },
    });
    return count === 1 ? 'applied' : 'stale';
  }
  return 'ignored';
}
