import { ESTIMATE_STATUSES, LINK_STATUSES, MEAL_TYPES, REVIEW_STATUSES } from '@tracking/contracts';
import type {
  Comment,
  Goals,
  Link,
  Meal,
  Metric,
  Review,
} from '@tracking/proto/tracking/tracking/v1/tracking';
import type { z } from 'zod';

import type { confidence, failureReason, pageQuery } from './schemas';

/**
 * From the tracking service's messages to the API's JSON, and from a page query to a list request.
 * A message without a field the API promises is a fault between the two services: it throws, and
 * the caller sees a 500 that is logged.
 */

export const iso = (date: Date | undefined) => {
  if (!date) throw new Error('tracking left out a timestamp');
  return date.toISOString();
};

export const isoOrNull = (date: Date | undefined) => date?.toISOString() ?? null;

export const mealOut = (meal: Meal | undefined) => {
  if (!meal) throw new Error('tracking returned no meal');
  return {
    mealId: meal.mealId,
    clientId: meal.clientId,
    eatenAt: iso(meal.eatenAt),
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- what a tracking service older than the enum sends
    mealType: MEAL_TYPES.read(meal.type, meal.mealType),
    description: meal.description,
    photoRef: meal.photoRef,
    estimate: meal.estimate
      ? {
          calories: meal.estimate.calories,
          proteinG: meal.estimate.proteinG,
          carbsG: meal.estimate.carbsG,
          fatG: meal.estimate.fatG,
          source: meal.estimate.source,
          estimatedAt: iso(meal.estimate.estimatedAt),
          items: meal.estimate.items.map(({ name, grams, calories }) => ({ name, grams, calories })),
          confidence: (meal.estimate.confidence || null) as z.infer<typeof confidence> | null,
          model: meal.estimate.model || null,
        }
      : null,
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- what a tracking service older than the enum sends
    estimateStatus: ESTIMATE_STATUSES.read(meal.estimateState, meal.estimateStatus),
    estimateFailure: (meal.estimateFailure || null) as z.infer<typeof failureReason> | null,
    version: meal.version,
    createdAt: iso(meal.createdAt),
    updatedAt: iso(meal.updatedAt),
  };
};

export const metricOut = (metric: Metric | undefined) => {
  if (!metric) throw new Error('tracking returned no metric');
  return {
    metricId: metric.metricId,
    clientId: metric.clientId,
    recordedAt: iso(metric.recordedAt),
    weightKg: metric.weightKg ?? null,
    sleepHours: metric.sleepHours ?? null,
    steps: metric.steps ?? null,
    waterMl: metric.waterMl ?? null,
    mood: metric.mood ?? null,
    notes: metric.notes,
    version: metric.version,
    createdAt: iso(metric.createdAt),
    updatedAt: iso(metric.updatedAt),
  };
};

export const goalsOut = (goals: Goals | undefined) => {
  if (!goals) throw new Error('tracking returned no goals');
  return { ...goals, updatedAt: isoOrNull(goals.updatedAt) };
};

export const linkOut = (link: Link | undefined) => {
  if (!link) throw new Error('tracking returned no link');
  return {
    linkId: link.linkId,
    trainerId: link.trainerId,
    clientId: link.clientId || null,
    invitedEmail: link.invitedEmail,
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- what a tracking service older than the enum sends
    status: LINK_STATUSES.read(link.state, link.status),
    createdAt: iso(link.createdAt),
    expiresAt: iso(link.expiresAt),
    acceptedAt: isoOrNull(link.acceptedAt),
    endedAt: isoOrNull(link.endedAt),
  };
};

export const commentOut = (comment: Comment | undefined) => {
  if (!comment) throw new Error('tracking returned no comment');
  return { ...comment, mealId: comment.mealId || null, createdAt: iso(comment.createdAt) };
};

export const reviewOut = (review: Review | undefined) => {
  if (!review) throw new Error('tracking returned no review');
  return {
    reviewId: review.reviewId,
    clientId: review.clientId,
    weekStart: review.weekStart,
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- what a tracking service older than the enum sends
    status: REVIEW_STATUSES.read(review.state, review.status),
    content: review.content,
    requestedBy: review.requestedBy,
    createdAt: iso(review.createdAt),
    completedAt: isoOrNull(review.completedAt),
    failureReason: (review.failureReason || null) as z.infer<typeof failureReason> | null,
    source: review.source || null,
    model: review.model || null,
  };
};

export const listRequest = (clientId: string, query: z.output<typeof pageQuery>) => ({
  clientId,
  from: query.from ? new Date(query.from) : undefined,
  to: query.to ? new Date(query.to) : undefined,
  pageSize: query.limit,
  pageToken: query.cursor ?? '',
});
