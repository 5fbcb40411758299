import {
  ESTIMATE_STATUSES,
  estimateItemSchema,
  LINK_STATUSES,
  MEAL_TYPES,
  REVIEW_STATUSES,
} from '@tracking/contracts';
import { unary, type Principal } from '@tracking/kit';
import type {
  Comment as CommentProto,
  Goals as GoalsProto,
  Link as LinkProto,
  Meal as MealProto,
  MealInput as MealInputProto,
  Metric as MetricProto,
  Review as ReviewProto,
  TrackingServiceServer,
} from '@tracking/proto/tracking/tracking/v1/tracking';
import type { ServerUnaryCall } from '@grpc/grpc-js';
import { z } from 'zod';

import { listSupportGrants, operationalStats, openSupportAccess } from './admin';
import {
  addComment,
  dailySummary,
  getGoals,
  listComments,
  listReviews,
  requestReview,
  requireVersion,
  setGoals,
} from './coaching';
import type { Deps } from './deps';
import type { Comment, Goal, Meal, Metric, Review } from './generated/prisma/client';
import { acceptInvitation, endLink, inviteClient, listLinks, type LinkView } from './links';
import { deleteMeal, getMeal, listMeals, logMeal, retryMealEstimate, updateMeal } from './meals';
import { deleteMetric, getMetric, listMetrics, logMetric, updateMetric } from './body-metrics';

const decimal = (value: { toString(): string } | null): number =>
  value === null ? 0 : Number(value.toString());
const optionalDecimal = (value: { toString(): string } | null): number | undefined =>
  value === null ? undefined : Number(value.toString());
const day = (date: Date): string => date.toISOString().slice(0, 10);
const estimateItems = z.array(estimateItemSchema).catch([]);

/**
 * A meal as the domain reads it, with its type by name: the enum's, or the deprecated string a
 * gateway older than the enum sends (which the domain then checks like any other input).
 */
function mealFromProto(meal: MealInputProto | undefined) {
  if (meal === undefined) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- what older gateways send
  const { type, mealType, ...fields } = meal;
  return { ...fields, mealType: MEAL_TYPES.nameOf(type) ?? mealType };
}

// Each enum field goes out beside the deprecated string it replaced, for readers older than it.
function mealToProto(meal: Meal): MealProto {
  return {
    mealId: meal.id,
    clientId: meal.clientId,
    eatenAt: meal.eatenAt,
    type: MEAL_TYPES.valueOf(meal.mealType),
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- for readers older than the enum
    mealType: meal.mealType,
    description: meal.description,
    photoRef: meal.photoRef ?? '',
    estimate:
      meal.calories === null || meal.estimatedAt === null
        ? undefined
        : {
            calories: meal.calories,
            proteinG: decimal(meal.proteinG),
            carbsG: decimal(meal.carbsG),
            fatG: decimal(meal.fatG),
            source: meal.estimateSource ?? '',
            estimatedAt: meal.estimatedAt,
            // Estimates stored before items, confidence and model were recorded have none.
            items: estimateItems.parse(meal.estimateItems ?? []),
            confidence: meal.estimateConfidence ?? '',
            model: meal.estimateModel ?? '',
          },
    version: meal.version,
    createdAt: meal.createdAt,
    updatedAt: meal.updatedAt,
    estimateState: ESTIMATE_STATUSES.valueOf(meal.estimateStatus),
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- for readers older than the enum
    estimateStatus: meal.estimateStatus,
    estimateFailure: meal.estimateFailure ?? '',
  };
}

function metricToProto(metric: Metric): MetricProto {
  return {
    metricId: metric.id,
    clientId: metric.clientId,
    recordedAt: metric.recordedAt,
    weightKg: optionalDecimal(metric.weightKg),
    sleepHours: optionalDecimal(metric.sleepHours),
    steps: metric.steps ?? undefined,
    waterMl: metric.waterMl ?? undefined,
    mood: metric.mood ?? undefined,
    notes: metric.notes,
    version: metric.version,
    createdAt: metric.createdAt,
    updatedAt: metric.updatedAt,
  };
}

function goalsToProto(goals: Goal | null, clientId: string): GoalsProto {
  return {
    clientId,
    calories: goals?.calories ?? 0,
    proteinG: decimal(goals?.proteinG ?? null),
    carbsG: decimal(goals?.carbsG ?? null),
    fatG: decimal(goals?.fatG ?? null),
    setBy: goals?.setBy ?? '',
    version: goals?.version ?? 0,
    updatedAt: goals?.updatedAt,
  };
}

function linkToProto(link: LinkView): LinkProto {
  return {
    linkId: link.id,
    trainerId: link.trainerId,
    clientId: link.clientId ?? '',
    invitedEmail: link.invitedEmail,
    state: LINK_STATUSES.valueOf(link.status),
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- for readers older than the enum
    status: link.status,
    createdAt: link.createdAt,
    expiresAt: link.expiresAt,
    acceptedAt: link.acceptedAt ?? undefined,
    endedAt: link.endedAt ?? undefined,
  };
}

function commentToProto(comment: Comment): CommentProto {
  return {
    commentId: comment.id,
    clientId: comment.clientId,
    authorId: comment.authorId,
    mealId: comment.mealId ?? '',
    body: comment.body,
    createdAt: comment.createdAt,
  };
}

function reviewToProto(review: Review): ReviewProto {
  return {
    reviewId: review.id,
    clientId: review.clientId,
    weekStart: day(review.weekStart),
    state: REVIEW_STATUSES.valueOf(review.status),
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- for readers older than the enum
    status: review.status,
    content: review.content ?? '',
    requestedBy: review.requestedBy,
    createdAt: review.createdAt,
    completedAt: review.completedAt ?? undefined,
    failureReason: review.failureReason ?? '',
    source: review.source ?? '',
    model: review.model ?? '',
  };
}

export function trackingService(deps: Deps): TrackingServiceServer {
  const { prisma } = deps;
  /** Every method first checks the gateway's signed assertion of who is calling. */
  const rpc = <Req, Res>(name: string, handler: (request: Req, principal: Principal) => Promise<Res>) =>
    unary(
      `tracking.tracking.v1.TrackingService/${name}`,
      deps,
      async (request: Req, call: ServerUnaryCall<Req, Res>) =>
        handler(request, await deps.principals.verify(call.metadata)),
    );

  return {
    logMeal: rpc('LogMeal', async (request, principal) => ({
      meal: mealToProto(
        await logMeal(prisma, principal, mealFromProto(request.meal), request.idempotencyKey),
      ),
    })),
    getMeal: rpc('GetMeal', async (request, principal) => ({
      meal: mealToProto(await getMeal(prisma, principal, request.mealId)),
    })),
    listMeals: rpc('ListMeals', async (request, principal) => {
      const page = await listMeals(prisma, principal, request);
      return { meals: page.meals.map(mealToProto), nextPageToken: page.nextPageToken };
    }),
    updateMeal: rpc('UpdateMeal', async (request, principal) => ({
      meal: mealToProto(
        await updateMeal(prisma, principal, {
          mealId: request.mealId,
          expectedVersion: request.expectedVersion,
          meal: mealFromProto(request.meal),
        }),
      ),
    })),
    deleteMeal: rpc('DeleteMeal', async (request, principal) => {
      await deleteMeal(prisma, principal, request);
      return {};
    }),
    retryMealEstimate: rpc('RetryMealEstimate', async (request, principal) => ({
      meal: mealToProto(await retryMealEstimate(prisma, principal, request)),
    })),

    logMetric: rpc('LogMetric', async (request, principal) => ({
      metric: metricToProto(await logMetric(prisma, principal, request.metric)),
    })),
    getMetric: rpc('GetMetric', async (request, principal) => ({
      metric: metricToProto(await getMetric(prisma, principal, request.metricId)),
    })),
    listMetrics: rpc('ListMetrics', async (request, principal) => {
      const page = await listMetrics(prisma, principal, request);
      return { metrics: page.metrics.map(metricToProto), nextPageToken: page.nextPageToken };
    }),
    updateMetric: rpc('UpdateMetric', async (request, principal) => ({
      metric: metricToProto(
        await updateMetric(prisma, principal, {
          metricId: request.metricId,
          expectedVersion: request.expectedVersion,
          metric: request.metric,
        }),
      ),
    })),
    deleteMetric: rpc('DeleteMetric', async (request, principal) => {
      await deleteMetric(prisma, principal, request);
      return {};
    }),

    getDailySummary: rpc('GetDailySummary', async (request, principal) => {
      const summary = await dailySummary(prisma, principal, request);
      return {
        ...summary,
        goals: summary.goals ? goalsToProto(summary.goals, summary.clientId) : undefined,
      };
    }),
    getGoals: rpc('GetGoals', async (request, principal) => {
      const goals = await getGoals(prisma, principal, request.clientId);
      return { goals: goalsToProto(goals, request.clientId || principal.userId) };
    }),
    setGoals: rpc('SetGoals', async (request, principal) => {
      const { clientId, expectedVersion, ...goals } = request;
      const saved = await setGoals(prisma, principal, {
        clientId,
        expectedVersion: requireVersion(expectedVersion),
        goals,
      });
      return { goals: goalsToProto(saved, saved.clientId) };
    }),

    inviteClient: rpc('InviteClient', async (request, principal) => ({
      link: linkToProto(
        await inviteClient(prisma, principal, request, deps.invitationTtlDays, deps.appLinks),
      ),
    })),
    listLinks: rpc('ListLinks', async (_request, principal) => ({
      links: (await listLinks(prisma, principal)).map(linkToProto),
    })),
    acceptInvitation: rpc('AcceptInvitation', async (request, principal) => ({
      link: linkToProto(await acceptInvitation(prisma, principal, request.linkId, request, deps.appLinks)),
    })),
    endLink: rpc('EndLink', async (request, principal) => ({
      link: linkToProto(await endLink(prisma, principal, request.linkId)),
    })),

    addComment: rpc('AddComment', async (request, principal) => ({
      comment: commentToProto(await addComment(prisma, principal, request)),
    })),
    listComments: rpc('ListComments', async (request, principal) => {
      const page = await listComments(prisma, principal, request);
      return { comments: page.comments.map(commentToProto), nextPageToken: page.nextPageToken };
    }),
    requestReview: rpc('RequestReview', async (request, principal) => ({
      review: reviewToProto(await requestReview(prisma, principal, request)),
    })),
    listReviews: rpc('ListReviews', async (request, principal) => ({
      reviews: (await listReviews(prisma, principal, request.clientId)).map(reviewToProto),
    })),

    getOperationalStats: rpc('GetOperationalStats', async (request, principal) => ({
      days: (await operationalStats(prisma, principal, request.days)).map((activity) => ({
        date: day(activity.day),
        mealsLogged: activity.mealsLogged,
        metricsLogged: activity.metricsLogged,
        linksStarted: activity.linksStarted,
        reviewsRequested: activity.reviewsRequested,
      })),
    })),
    openSupportAccess: rpc('OpenSupportAccess', async (request, principal) =>
      openSupportAccess(prisma, principal, request),
    ),
    listSupportGrants: rpc('ListSupportGrants', async (_request, principal) => ({
      grants: (await listSupportGrants(prisma, principal)).map((grant) => ({
        grantId: grant.id,
        clientId: grant.clientId,
        reason: grant.reason,
        createdAt: grant.createdAt,
        expiresAt: grant.expiresAt,
      })),
    })),
  };
}
