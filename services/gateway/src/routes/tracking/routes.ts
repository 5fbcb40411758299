import { callUnary, ESTIMATE_CONFIDENCE, ESTIMATION_FAILURE_REASONS, NotFoundError } from '@tracking/kit';
import type {
  Comment,
  Goals,
  Link,
  Meal,
  Metric,
  Review,
  TrackingServiceClient,
} from '@tracking/proto/tracking/tracking/v1/tracking';
import { z } from 'zod';

import { defineRoute, empty, json, type SessionMetadata } from '../../http/route';
import type { GatewayDeps } from '../../deps';
import { principalFor, type TrackingPermission } from '../principal';

/**
 * Meals, metrics, goals, links, comments and reviews (docs/tracking.md). Three audiences:
 * `/me/...` for a client's own logs (tracking.own), `/trainer/...` for a trainer and the clients
 * linked to them (tracking.assigned_clients), `/admin/...` for counts and break-glass. The
 * gateway asks auth for the permission, then forwards a signed principal; which rows exist for
 * that principal is decided by row-level security in the tracking database, and a row the caller
 * may not see is a 404, never a 403.
 */

type Unary<Req, Res> = Parameters<typeof callUnary<Req, Res>>[0];

async function ask<Req, Res>(
  deps: GatewayDeps,
  session: SessionMetadata,
  permission: TrackingPermission,
  method: (client: TrackingServiceClient) => Unary<Req, Res>,
  request: Req,
): Promise<Res> {
  const metadata = await principalFor(deps, session, permission, 'tracking');
  return callUnary(method(deps.tracking), request, metadata);
}

const OWN = 'tracking.own';
const COACH = 'tracking.assigned_clients';

// Shapes on the way in; the tracking service checks meaning (ranges, Mondays, time zones).
const timestamp = z.iso.datetime({ offset: true });
const version = z.int().min(1).meta({ description: 'The version you last read; a stale one is a 409.' });
const mealTypes = z.enum(['breakfast', 'lunch', 'dinner', 'snack', 'drink', 'other']);
const mealInput = z.object({
  eatenAt: timestamp,
  mealType: mealTypes,
  description: z.string().max(2000).meta({ description: 'What was eaten, in the client’s words.' }),
  photoRef: z
    .string()
    .max(200)
    .default('')
    .meta({ description: 'A reference to a stored photo, for later.' }),
});
const metricInput = z.object({
  recordedAt: timestamp,
  weightKg: z.number().optional(),
  sleepHours: z.number().optional(),
  steps: z.int().optional(),
  waterMl: z.int().optional(),
  mood: z.int().optional().meta({ description: '1 (low) to 5 (high).' }),
  notes: z.string().max(2000).default(''),
});
const goalsInput = z.object({
  version: z.int().min(0).meta({ description: 'The goals’ version you last read; 0 if none were set.' }),
  calories: z.int(),
  proteinG: z.number(),
  carbsG: z.number(),
  fatG: z.number(),
});
const pageQuery = z.strictObject({
  from: timestamp.optional(),
  to: timestamp.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional().meta({ description: 'The nextCursor of the previous page.' }),
});
const versionQuery = z.strictObject({ version: z.coerce.number().int().min(1) });
const timeZone = z
  .string()
  .max(64)
  .default('UTC')
  .meta({ description: 'An IANA time zone, e.g. Pacific/Auckland.' });
const summaryQuery = z.strictObject({ date: z.iso.date(), timeZone });
const clientParams = z.object({ clientId: z.uuid() });
// Row ids are strings, not uuids, on the way in: a malformed id names no row, so it is a 404 like any other.
const rowParam = z.string().max(64);

// Shapes on the way out.
const iso = (date: Date | undefined) => {
  if (!date) throw new Error('tracking left out a timestamp');
  return date.toISOString();
};
const isoOrNull = (date: Date | undefined) => date?.toISOString() ?? null;

const failureReason = z.enum(ESTIMATION_FAILURE_REASONS);
const estimateStatus = z.enum(['pending', 'estimated', 'failed']);
const confidence = z.enum(ESTIMATE_CONFIDENCE);
const estimateSchema = z
  .object({
    calories: z.int(),
    proteinG: z.number(),
    carbsG: z.number(),
    fatG: z.number(),
    source: z.string().meta({ description: 'Which estimator answered, e.g. anthropic or offline.' }),
    estimatedAt: z.iso.datetime(),
    items: z
      .array(z.object({ name: z.string(), grams: z.number(), calories: z.int() }))
      .meta({ description: 'What the estimator took the meal to contain; empty for older estimates.' }),
    confidence: confidence
      .nullable()
      .meta({ description: 'How sure the estimator was; null for older estimates.' }),
    model: z.string().nullable().meta({ description: 'The model that answered; null for older estimates.' }),
  })
  .nullable();
const mealSchema = z
  .object({
    mealId: z.uuid(),
    clientId: z.uuid(),
    eatenAt: z.iso.datetime(),
    mealType: mealTypes,
    description: z.string(),
    photoRef: z.string(),
    estimate: estimateSchema.meta({ description: 'Null until the AI service has estimated this text.' }),
    estimateStatus: estimateStatus.meta({
      description:
        'pending until the AI service answers for this text; failed if it could not (retry with POST …/estimate).',
    }),
    estimateFailure: failureReason
      .nullable()
      .meta({ description: 'Why the estimate failed; null unless failed.' }),
    version: z.int(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Meal' });
const mealOut = (meal: Meal | undefined) => {
  if (!meal) throw new Error('tracking returned no meal');
  return {
    mealId: meal.mealId,
    clientId: meal.clientId,
    eatenAt: iso(meal.eatenAt),
    mealType: meal.mealType as z.infer<typeof mealTypes>,
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
    estimateStatus: meal.estimateStatus as z.infer<typeof estimateStatus>,
    estimateFailure: (meal.estimateFailure || null) as z.infer<typeof failureReason> | null,
    version: meal.version,
    createdAt: iso(meal.createdAt),
    updatedAt: iso(meal.updatedAt),
  };
};

const metricSchema = z
  .object({
    metricId: z.uuid(),
    clientId: z.uuid(),
    recordedAt: z.iso.datetime(),
    weightKg: z.number().nullable(),
    sleepHours: z.number().nullable(),
    steps: z.int().nullable(),
    waterMl: z.int().nullable(),
    mood: z.int().nullable(),
    notes: z.string(),
    version: z.int(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Metric' });
const metricOut = (metric: Metric | undefined) => {
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

const goalsSchema = z
  .object({
    clientId: z.uuid(),
    calories: z.int(),
    proteinG: z.number(),
    carbsG: z.number(),
    fatG: z.number(),
    setBy: z.string().meta({ description: 'Who set them last; empty if nobody has.' }),
    version: z.int().meta({ description: '0: no goals set yet.' }),
    updatedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Goals' });
const goalsOut = (goals: Goals | undefined) => {
  if (!goals) throw new Error('tracking returned no goals');
  return { ...goals, updatedAt: isoOrNull(goals.updatedAt) };
};

const summarySchema = z
  .object({
    clientId: z.uuid(),
    date: z.iso.date(),
    timeZone: z.string(),
    meals: z.int(),
    mealsUnestimated: z
      .int()
      .meta({ description: 'Meals still waiting for an estimate: not in the totals.' }),
    calories: z.int(),
    proteinG: z.number(),
    carbsG: z.number(),
    fatG: z.number(),
    goals: goalsSchema.nullable(),
  })
  .meta({ id: 'DailySummary' });

const linkStatus = z.enum(['pending', 'active', 'ended', 'declined', 'expired']);
const linkSchema = z
  .object({
    linkId: z.uuid(),
    trainerId: z.uuid(),
    clientId: z.uuid().nullable(),
    invitedEmail: z.string(),
    status: linkStatus,
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    acceptedAt: z.iso.datetime().nullable(),
    endedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'TrainerLink', description: 'An invitation (pending) that becomes a link once accepted.' });
const linkOut = (link: Link | undefined) => {
  if (!link) throw new Error('tracking returned no link');
  return {
    linkId: link.linkId,
    trainerId: link.trainerId,
    clientId: link.clientId || null,
    invitedEmail: link.invitedEmail,
    status: link.status as z.infer<typeof linkStatus>,
    createdAt: iso(link.createdAt),
    expiresAt: iso(link.expiresAt),
    acceptedAt: isoOrNull(link.acceptedAt),
    endedAt: isoOrNull(link.endedAt),
  };
};

const commentSchema = z
  .object({
    commentId: z.uuid(),
    clientId: z.uuid(),
    authorId: z.uuid(),
    mealId: z.uuid().nullable(),
    body: z.string(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Comment' });
const commentOut = (comment: Comment | undefined) => {
  if (!comment) throw new Error('tracking returned no comment');
  return { ...comment, mealId: comment.mealId || null, createdAt: iso(comment.createdAt) };
};

const reviewStatus = z.enum(['requested', 'ready', 'failed']);
const reviewSchema = z
  .object({
    reviewId: z.uuid(),
    clientId: z.uuid(),
    weekStart: z.iso.date(),
    status: reviewStatus,
    content: z.string(),
    requestedBy: z.uuid(),
    createdAt: z.iso.datetime(),
    completedAt: z.iso.datetime().nullable(),
    failureReason: failureReason.nullable().meta({ description: 'Why it failed; null unless failed.' }),
    source: z.string().nullable().meta({ description: 'The estimator that wrote it; null until ready.' }),
    model: z.string().nullable().meta({ description: 'The model that wrote it; null until ready.' }),
  })
  .meta({ id: 'Review', description: 'A weekly lifestyle review; content is empty until it is ready.' });
const reviewOut = (review: Review | undefined) => {
  if (!review) throw new Error('tracking returned no review');
  return {
    reviewId: review.reviewId,
    clientId: review.clientId,
    weekStart: review.weekStart,
    status: review.status as z.infer<typeof reviewStatus>,
    content: review.content,
    requestedBy: review.requestedBy,
    createdAt: iso(review.createdAt),
    completedAt: isoOrNull(review.completedAt),
    failureReason: (review.failureReason || null) as z.infer<typeof failureReason> | null,
    source: review.source || null,
    model: review.model || null,
  };
};

const page = <S extends z.ZodType>(items: S) =>
  z.object({ items: z.array(items), nextCursor: z.string().nullable() });
const listRequest = (clientId: string, query: z.output<typeof pageQuery>) => ({
  clientId,
  from: query.from ? new Date(query.from) : undefined,
  to: query.to ? new Date(query.to) : undefined,
  pageSize: query.limit,
  pageToken: query.cursor ?? '',
});
const reviewRequest = z.object({
  weekStart: z.iso.date().meta({ description: 'The Monday the week starts on.' }),
  timeZone: timeZone.meta({
    description: 'The IANA time zone whose local days make up the week, e.g. Europe/Berlin.',
  }),
});
const commentRequest = z.object({
  body: z.string().max(2000),
  mealId: z.uuid().optional().meta({ description: 'The meal the comment is about, if any.' }),
});

const mealParams = z.object({ mealId: rowParam });
const metricParams = z.object({ metricId: rowParam });
const linkParams = z.object({ linkId: rowParam });

/** The client's own logs. */
const clientRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/v1/me/meals',
    operationId: 'logMeal',
    summary: 'Log a meal',
    description:
      'The AI service estimates calories and macros afterwards; the meal’s estimate is null until then.',
    tags: ['tracking'],
    access: 'session',
    body: mealInput,
    responses: { 201: json(mealSchema, 'The meal as stored.') },
  }).handle(async ({ body, session, deps }) => {
    const request = { meal: { ...body, eatenAt: new Date(body.eatenAt) } };
    const { meal } = await ask(deps, session, OWN, (t) => t.logMeal.bind(t), request);
    return { status: 201, body: mealOut(meal) };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/me/meals',
    operationId: 'listMyMeals',
    summary: 'My meals, newest first',
    tags: ['tracking'],
    access: 'session',
    query: pageQuery,
    responses: { 200: json(page(mealSchema), 'One page of meals.') },
  }).handle(async ({ query, session, deps }) => {
    const result = await ask(deps, session, OWN, (t) => t.listMeals.bind(t), listRequest('', query));
    return {
      status: 200,
      body: { items: result.meals.map(mealOut), nextCursor: result.nextPageToken || null },
    };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/me/meals/{mealId}',
    operationId: 'getMyMeal',
    summary: 'One of my meals',
    tags: ['tracking'],
    access: 'session',
    params: mealParams,
    responses: { 200: json(mealSchema, 'The meal.') },
    errors: ['not_found'],
  }).handle(async ({ params, session, deps }) => {
    const { meal } = await ask(deps, session, OWN, (t) => t.getMeal.bind(t), { mealId: params.mealId });
    return { status: 200, body: mealOut(meal) };
  }),
  defineRoute({
    method: 'put',
    path: '/api/v1/me/meals/{mealId}',
    operationId: 'updateMyMeal',
    summary: 'Edit one of my meals',
    description:
      'Send the version you read; a stale one is a 409 and changes nothing. A new text clears the estimate.',
    tags: ['tracking'],
    access: 'session',
    params: mealParams,
    body: mealInput.extend({ version }),
    responses: { 200: json(mealSchema, 'The meal as stored now.') },
    errors: ['not_found', 'conflict'],
  }).handle(async ({ params, body, session, deps }) => {
    const { version: expectedVersion, ...fields } = body;
    const request = {
      mealId: params.mealId,
      expectedVersion,
      meal: { ...fields, eatenAt: new Date(fields.eatenAt) },
    };
    const { meal } = await ask(deps, session, OWN, (t) => t.updateMeal.bind(t), request);
    return { status: 200, body: mealOut(meal) };
  }),
  defineRoute({
    method: 'delete',
    path: '/api/v1/me/meals/{mealId}',
    operationId: 'deleteMyMeal',
    summary: 'Delete one of my meals',
    description: 'The meal disappears from every read; its record is kept for the audit trail.',
    tags: ['tracking'],
    access: 'session',
    params: mealParams,
    query: versionQuery,
    responses: { 204: empty('Deleted.') },
    errors: ['not_found', 'conflict'],
  }).handle(async ({ params, query, session, deps }) => {
    await ask(deps, session, OWN, (t) => t.deleteMeal.bind(t), {
      mealId: params.mealId,
      expectedVersion: query.version,
    });
    return { status: 204 };
  }),

  defineRoute({
    method: 'post',
    path: '/api/v1/me/meals/{mealId}/estimate',
    operationId: 'retryMyMealEstimate',
    summary: 'Ask again for the estimate of one of my meals',
    description:
      'Only when its estimateStatus is failed (409 otherwise, changing nothing); it is pending again until the AI service answers.',
    tags: ['tracking'],
    access: 'session',
    params: mealParams,
    responses: { 202: json(mealSchema, 'Asked; the meal with its estimate pending.') },
    errors: ['not_found', 'already_exists'],
  }).handle(async ({ params, session, deps }) => {
    const { meal } = await ask(deps, session, OWN, (t) => t.retryMealEstimate.bind(t), {
      mealId: params.mealId,
      clientId: '',
    });
    return { status: 202, body: mealOut(meal) };
  }),

  defineRoute({
    method: 'post',
    path: '/api/v1/me/metrics',
    operationId: 'logMetric',
    summary: 'Log body and habit metrics',
    description: 'Any of weight, sleep, steps, water and mood, and free notes; at least one.',
    tags: ['tracking'],
    access: 'session',
    body: metricInput,
    responses: { 201: json(metricSchema, 'The metrics as stored.') },
  }).handle(async ({ body, session, deps }) => {
    const request = { metric: { ...body, recordedAt: new Date(body.recordedAt) } };
    const { metric } = await ask(deps, session, OWN, (t) => t.logMetric.bind(t), request);
    return { status: 201, body: metricOut(metric) };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/me/metrics',
    operationId: 'listMyMetrics',
    summary: 'My metrics, newest first',
    tags: ['tracking'],
    access: 'session',
    query: pageQuery,
    responses: { 200: json(page(metricSchema), 'One page of metrics.') },
  }).handle(async ({ query, session, deps }) => {
    const result = await ask(deps, session, OWN, (t) => t.listMetrics.bind(t), listRequest('', query));
    return {
      status: 200,
      body: { items: result.metrics.map(metricOut), nextCursor: result.nextPageToken || null },
    };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/me/metrics/{metricId}',
    operationId: 'getMyMetric',
    summary: 'One of my metric entries',
    tags: ['tracking'],
    access: 'session',
    params: metricParams,
    responses: { 200: json(metricSchema, 'The entry.') },
    errors: ['not_found'],
  }).handle(async ({ params, session, deps }) => {
    const { metric } = await ask(deps, session, OWN, (t) => t.getMetric.bind(t), {
      metricId: params.metricId,
    });
    return { status: 200, body: metricOut(metric) };
  }),
  defineRoute({
    method: 'put',
    path: '/api/v1/me/metrics/{metricId}',
    operationId: 'updateMyMetric',
    summary: 'Edit one of my metric entries',
    tags: ['tracking'],
    access: 'session',
    params: metricParams,
    body: metricInput.extend({ version }),
    responses: { 200: json(metricSchema, 'The entry as stored now.') },
    errors: ['not_found', 'conflict'],
  }).handle(async ({ params, body, session, deps }) => {
    const { version: expectedVersion, ...fields } = body;
    const request = {
      metricId: params.metricId,
      expectedVersion,
      metric: { ...fields, recordedAt: new Date(fields.recordedAt) },
    };
    const { metric } = await ask(deps, session, OWN, (t) => t.updateMetric.bind(t), request);
    return { status: 200, body: metricOut(metric) };
  }),
  defineRoute({
    method: 'delete',
    path: '/api/v1/me/metrics/{metricId}',
    operationId: 'deleteMyMetric',
    summary: 'Delete one of my metric entries',
    tags: ['tracking'],
    access: 'session',
    params: metricParams,
    query: versionQuery,
    responses: { 204: empty('Deleted.') },
    errors: ['not_found', 'conflict'],
  }).handle(async ({ params, query, session, deps }) => {
    await ask(deps, session, OWN, (t) => t.deleteMetric.bind(t), {
      metricId: params.metricId,
      expectedVersion: query.version,
    });
    return { status: 204 };
  }),

  defineRoute({
    method: 'get',
    path: '/api/v1/me/summary',
    operationId: 'getMyDailySummary',
    summary: 'My calories and macros of one day, against my goals',
    tags: ['tracking'],
    access: 'session',
    query: summaryQuery,
    responses: { 200: json(summarySchema, 'The day’s totals.') },
  }).handle(async ({ query, session, deps }) => {
    const summary = await ask(deps, session, OWN, (t) => t.getDailySummary.bind(t), {
      clientId: '',
      ...query,
    });
    return { status: 200, body: { ...summary, goals: summary.goals ? goalsOut(summary.goals) : null } };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/me/goals',
    operationId: 'getMyGoals',
    summary: 'My goals',
    tags: ['tracking'],
    access: 'session',
    responses: { 200: json(goalsSchema, 'The goals; version 0 if none are set.') },
  }).handle(async ({ session, deps }) => {
    const { goals } = await ask(deps, session, OWN, (t) => t.getGoals.bind(t), { clientId: '' });
    return { status: 200, body: goalsOut(goals) };
  }),
  defineRoute({
    method: 'put',
    path: '/api/v1/me/goals',
    operationId: 'setMyGoals',
    summary: 'Set my goals',
    tags: ['tracking'],
    access: 'session',
    body: goalsInput,
    responses: { 200: json(goalsSchema, 'The goals as stored now.') },
    errors: ['conflict'],
  }).handle(async ({ body, session, deps }) => {
    const { version: expectedVersion, ...goals } = body;
    const request = { clientId: '', expectedVersion, ...goals };
    const saved = await ask(deps, session, OWN, (t) => t.setGoals.bind(t), request);
    return { status: 200, body: goalsOut(saved.goals) };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/me/comments',
    operationId: 'listMyComments',
    summary: 'My trainer’s comments, newest first',
    tags: ['tracking'],
    access: 'session',
    query: pageQuery.pick({ limit: true, cursor: true }),
    responses: { 200: json(page(commentSchema), 'One page of comments.') },
  }).handle(async ({ query, session, deps }) => {
    const request = { clientId: '', pageSize: query.limit, pageToken: query.cursor ?? '' };
    const result = await ask(deps, session, OWN, (t) => t.listComments.bind(t), request);
    return {
      status: 200,
      body: { items: result.comments.map(commentOut), nextCursor: result.nextPageToken || null },
    };
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/me/reviews',
    operationId: 'requestMyReview',
    summary: 'Ask for a weekly lifestyle review',
    description:
      'The plan of whoever asks bounds the AI reviews of one client in seven days: past it, 429 with Retry-After and the plan that lifts the limit (docs/billing.md).',
    tags: ['tracking'],
    access: 'session',
    body: reviewRequest,
    responses: { 202: json(reviewSchema, 'Requested; it is filled in when the AI service answers.') },
    errors: ['already_exists', 'resource_exhausted'],
  }).handle(async ({ body, session, deps }) => {
    const { review } = await ask(deps, session, OWN, (t) => t.requestReview.bind(t), {
      clientId: '',
      ...body,
    });
    return { status: 202, body: reviewOut(review) };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/me/reviews',
    operationId: 'listMyReviews',
    summary: 'My weekly reviews, newest week first',
    tags: ['tracking'],
    access: 'session',
    responses: { 200: json(z.object({ items: z.array(reviewSchema) }), 'The reviews.') },
  }).handle(async ({ session, deps }) => {
    const { reviews } = await ask(deps, session, OWN, (t) => t.listReviews.bind(t), { clientId: '' });
    return { status: 200, body: { items: reviews.map(reviewOut) } };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/me/trainer-links',
    operationId: 'listMyTrainerLinks',
    summary: 'My trainer, and invitations to my verified email address',
    tags: ['tracking'],
    access: 'session',
    responses: {
      200: json(z.object({ items: z.array(linkSchema) }), 'Links and invitations, newest first.'),
    },
  }).handle(async ({ session, deps }) => {
    const { links } = await ask(deps, session, OWN, (t) => t.listLinks.bind(t), {});
    return { status: 200, body: { items: links.map(linkOut) } };
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/me/trainer-links/{linkId}/accept',
    operationId: 'acceptTrainerInvitation',
    summary: 'Accept a trainer’s invitation',
    description: 'A client has one trainer at a time: end the current link first (412 otherwise).',
    tags: ['tracking'],
    access: 'session',
    params: linkParams,
    responses: { 200: json(linkSchema, 'The link, now active.') },
    errors: ['not_found', 'failed_precondition'],
  }).handle(async ({ params, session, deps }) => {
    const { link } = await ask(deps, session, OWN, (t) => t.acceptInvitation.bind(t), {
      linkId: params.linkId,
    });
    return { status: 200, body: linkOut(link) };
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/me/trainer-links/{linkId}/end',
    operationId: 'endMyTrainerLink',
    summary: 'End my link with my trainer, or decline an invitation',
    description: 'The trainer loses access to my logs at once.',
    tags: ['tracking'],
    access: 'session',
    params: linkParams,
    responses: { 200: json(linkSchema, 'The link, now ended or declined.') },
    errors: ['not_found'],
  }).handle(async ({ params, session, deps }) => {
    const { link } = await ask(deps, session, OWN, (t) => t.endLink.bind(t), { linkId: params.linkId });
    return { status: 200, body: linkOut(link) };
  }),
];

/** A trainer and the clients linked to them; any other client id is a 404. */
const trainerRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/v1/trainer/invitations',
    operationId: 'inviteClient',
    summary: 'Invite a client by email',
    description:
      'The invitation shows up for the account that has verified this address. The trainer’s plan bounds their clients and open invitations: past it, 412 `failed_precondition` names the plan and the one that lifts the limit (docs/billing.md).',
    tags: ['coaching'],
    access: 'session',
    body: z.object({ email: z.string().max(320) }),
    responses: { 201: json(linkSchema, 'The invitation.') },
    errors: ['already_exists', 'failed_precondition'],
  }).handle(async ({ body, session, deps }) => {
    const { link } = await ask(deps, session, COACH, (t) => t.inviteClient.bind(t), body);
    return { status: 201, body: linkOut(link) };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/trainer/links',
    operationId: 'listTrainerLinks',
    summary: 'My clients and my invitations',
    tags: ['coaching'],
    access: 'session',
    responses: {
      200: json(z.object({ items: z.array(linkSchema) }), 'Links and invitations, newest first.'),
    },
  }).handle(async ({ session, deps }) => {
    const { links } = await ask(deps, session, COACH, (t) => t.listLinks.bind(t), {});
    return { status: 200, body: { items: links.map(linkOut) } };
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/trainer/links/{linkId}/end',
    operationId: 'endTrainerLink',
    summary: 'End a link with a client, or withdraw an invitation',
    tags: ['coaching'],
    access: 'session',
    params: linkParams,
    responses: { 200: json(linkSchema, 'The link, now ended.') },
    errors: ['not_found'],
  }).handle(async ({ params, session, deps }) => {
    const { link } = await ask(deps, session, COACH, (t) => t.endLink.bind(t), { linkId: params.linkId });
    return { status: 200, body: linkOut(link) };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/trainer/clients/{clientId}/meals',
    operationId: 'listClientMeals',
    summary: 'A client’s meals, newest first',
    tags: ['coaching'],
    access: 'session',
    params: clientParams,
    query: pageQuery,
    responses: { 200: json(page(mealSchema), 'One page of meals.') },
    errors: ['not_found'],
  }).handle(async ({ params, query, session, deps }) => {
    const request = listRequest(params.clientId, query);
    const result = await ask(deps, session, COACH, (t) => t.listMeals.bind(t), request);
    return {
      status: 200,
      body: { items: result.meals.map(mealOut), nextCursor: result.nextPageToken || null },
    };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/trainer/clients/{clientId}/meals/{mealId}',
    operationId: 'getClientMeal',
    summary: 'One of a client’s meals',
    tags: ['coaching'],
    access: 'session',
    params: clientParams.extend({ mealId: rowParam }),
    responses: { 200: json(mealSchema, 'The meal.') },
    errors: ['not_found'],
  }).handle(async ({ params, session, deps }) => {
    const { meal } = await ask(deps, session, COACH, (t) => t.getMeal.bind(t), { mealId: params.mealId });
    // The path names the client too: a meal of another (even a linked) client is not under it.
    if (meal?.clientId !== params.clientId) throw new NotFoundError('no such meal');
    return { status: 200, body: mealOut(meal) };
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/trainer/clients/{clientId}/meals/{mealId}/estimate',
    operationId: 'retryClientMealEstimate',
    summary: 'Ask again for the estimate of a client’s meal',
    description:
      'Only when its estimateStatus is failed (409 otherwise, changing nothing); it is pending again until the AI service answers.',
    tags: ['coaching'],
    access: 'session',
    params: clientParams.extend({ mealId: rowParam }),
    responses: { 202: json(mealSchema, 'Asked; the meal with its estimate pending.') },
    errors: ['not_found', 'already_exists'],
  }).handle(async ({ params, session, deps }) => {
    // The service checks that the meal is the named client's before it changes anything.
    const { meal } = await ask(deps, session, COACH, (t) => t.retryMealEstimate.bind(t), {
      mealId: params.mealId,
      clientId: params.clientId,
    });
    return { status: 202, body: mealOut(meal) };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/trainer/clients/{clientId}/metrics',
    operationId: 'listClientMetrics',
    summary: 'A client’s metrics, newest first',
    tags: ['coaching'],
    access: 'session',
    params: clientParams,
    query: pageQuery,
    responses: { 200: json(page(metricSchema), 'One page of metrics.') },
    errors: ['not_found'],
  }).handle(async ({ params, query, session, deps }) => {
    const request = listRequest(params.clientId, query);
    const result = await ask(deps, session, COACH, (t) => t.listMetrics.bind(t), request);
    return {
      status: 200,
      body: { items: result.metrics.map(metricOut), nextCursor: result.nextPageToken || null },
    };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/trainer/clients/{clientId}/metrics/{metricId}',
    operationId: 'getClientMetric',
    summary: 'One of a client’s metric entries',
    tags: ['coaching'],
    access: 'session',
    params: clientParams.extend({ metricId: rowParam }),
    responses: { 200: json(metricSchema, 'The entry.') },
    errors: ['not_found'],
  }).handle(async ({ params, session, deps }) => {
    const { metric } = await ask(deps, session, COACH, (t) => t.getMetric.bind(t), {
      metricId: params.metricId,
    });
    if (metric?.clientId !== params.clientId) throw new NotFoundError('no such metric');
    return { status: 200, body: metricOut(metric) };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/trainer/clients/{clientId}/summary',
    operationId: 'getClientDailySummary',
    summary: 'A client’s calories and macros of one day, against their goals',
    tags: ['coaching'],
    access: 'session',
    params: clientParams,
    query: summaryQuery,
    responses: { 200: json(summarySchema, 'The day’s totals.') },
    errors: ['not_found'],
  }).handle(async ({ params, query, session, deps }) => {
    const request = { clientId: params.clientId, ...query };
    const summary = await ask(deps, session, COACH, (t) => t.getDailySummary.bind(t), request);
    return { status: 200, body: { ...summary, goals: summary.goals ? goalsOut(summary.goals) : null } };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/trainer/clients/{clientId}/goals',
    operationId: 'getClientGoals',
    summary: 'A client’s goals',
    tags: ['coaching'],
    access: 'session',
    params: clientParams,
    responses: { 200: json(goalsSchema, 'The goals; version 0 if none are set.') },
    errors: ['not_found'],
  }).handle(async ({ params, session, deps }) => {
    const { goals } = await ask(deps, session, COACH, (t) => t.getGoals.bind(t), {
      clientId: params.clientId,
    });
    return { status: 200, body: goalsOut(goals) };
  }),
  defineRoute({
    method: 'put',
    path: '/api/v1/trainer/clients/{clientId}/goals',
    operationId: 'setClientGoals',
    summary: 'Set a client’s goals',
    tags: ['coaching'],
    access: 'session',
    params: clientParams,
    body: goalsInput,
    responses: { 200: json(goalsSchema, 'The goals as stored now.') },
    errors: ['not_found', 'conflict'],
  }).handle(async ({ params, body, session, deps }) => {
    const { version: expectedVersion, ...goals } = body;
    const request = { clientId: params.clientId, expectedVersion, ...goals };
    const saved = await ask(deps, session, COACH, (t) => t.setGoals.bind(t), request);
    return { status: 200, body: goalsOut(saved.goals) };
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/trainer/clients/{clientId}/comments',
    operationId: 'addClientComment',
    summary: 'Comment on a client’s logs',
    tags: ['coaching'],
    access: 'session',
    params: clientParams,
    body: commentRequest,
    responses: { 201: json(commentSchema, 'The comment.') },
    errors: ['not_found'],
  }).handle(async ({ params, body, session, deps }) => {
    const request = { clientId: params.clientId, mealId: body.mealId ?? '', body: body.body };
    const { comment } = await ask(deps, session, COACH, (t) => t.addComment.bind(t), request);
    return { status: 201, body: commentOut(comment) };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/trainer/clients/{clientId}/comments',
    operationId: 'listClientComments',
    summary: 'Comments on a client’s logs, newest first',
    tags: ['coaching'],
    access: 'session',
    params: clientParams,
    query: pageQuery.pick({ limit: true, cursor: true }),
    responses: { 200: json(page(commentSchema), 'One page of comments.') },
    errors: ['not_found'],
  }).handle(async ({ params, query, session, deps }) => {
    const request = { clientId: params.clientId, pageSize: query.limit, pageToken: query.cursor ?? '' };
    const result = await ask(deps, session, COACH, (t) => t.listComments.bind(t), request);
    return {
      status: 200,
      body: { items: result.comments.map(commentOut), nextCursor: result.nextPageToken || null },
    };
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/trainer/clients/{clientId}/reviews',
    operationId: 'requestClientReview',
    summary: 'Ask for a client’s weekly lifestyle review',
    description:
      'The plan of whoever asks bounds the AI reviews of one client in seven days: past it, 429 with Retry-After and the plan that lifts the limit (docs/billing.md).',
    tags: ['coaching'],
    access: 'session',
    params: clientParams,
    body: reviewRequest,
    responses: { 202: json(reviewSchema, 'Requested; it is filled in when the AI service answers.') },
    errors: ['not_found', 'already_exists', 'resource_exhausted'],
  }).handle(async ({ params, body, session, deps }) => {
    const request = { clientId: params.clientId, ...body };
    const { review } = await ask(deps, session, COACH, (t) => t.requestReview.bind(t), request);
    return { status: 202, body: reviewOut(review) };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/trainer/clients/{clientId}/reviews',
    operationId: 'listClientReviews',
    summary: 'A client’s weekly reviews, newest week first',
    tags: ['coaching'],
    access: 'session',
    params: clientParams,
    responses: { 200: json(z.object({ items: z.array(reviewSchema) }), 'The reviews.') },
    errors: ['not_found'],
  }).handle(async ({ params, session, deps }) => {
    const { reviews } = await ask(deps, session, COACH, (t) => t.listReviews.bind(t), {
      clientId: params.clientId,
    });
    return { status: 200, body: { items: reviews.map(reviewOut) } };
  }),
];

/** Counts, and the audited break-glass path into one client's logs. */
const adminRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/v1/admin/tracking/activity',
    operationId: 'getTrackingActivity',
    summary: 'Daily activity counts: no client ids, no text',
    tags: ['admin'],
    access: 'session',
    query: z.strictObject({ days: z.coerce.number().int().min(1).max(90).default(30) }),
    responses: {
      200: json(
        z.object({
          items: z.array(
            z.object({
              date: z.iso.date(),
              mealsLogged: z.int(),
              metricsLogged: z.int(),
              linksStarted: z.int(),
              reviewsRequested: z.int(),
            }),
          ),
        }),
        'One item per day with activity, newest first.',
      ),
    },
  }).handle(async ({ query, session, deps }) => {
    const stats = await ask(deps, session, 'tracking.stats', (t) => t.getOperationalStats.bind(t), query);
    return { status: 200, body: { items: stats.days } };
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/admin/clients/{clientId}/support-access',
    operationId: 'openSupportAccess',
    summary: 'Break-glass: open read access to one client’s logs',
    description:
      'For at most 60 minutes, for the calling admin only. Opening it and every read through it are audited.',
    tags: ['admin'],
    access: 'session',
    params: clientParams,
    body: z.object({
      reason: z
        .string()
        .max(500)
        .meta({ description: 'The support ticket and why; at least 10 characters.' }),
      minutes: z.int().min(1).max(60),
    }),
    responses: {
      201: json(
        z.object({ grantId: z.uuid(), expiresAt: z.iso.datetime() }),
        'Access is open until expiresAt.',
      ),
    },
  }).handle(async ({ params, body, session, deps }) => {
    const request = { clientId: params.clientId, ...body };
    const grant = await ask(deps, session, 'tracking.support', (t) => t.openSupportAccess.bind(t), request);
    return { status: 201, body: { grantId: grant.grantId, expiresAt: iso(grant.expiresAt) } };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/admin/clients/{clientId}/meals',
    operationId: 'listClientMealsForSupport',
    summary: 'Break-glass: a client’s meals, under open support access',
    description:
      'A 404 unless the calling admin has opened support access to this client; each read is audited.',
    tags: ['admin'],
    access: 'session',
    params: clientParams,
    query: pageQuery,
    responses: { 200: json(page(mealSchema), 'One page of meals.') },
    errors: ['not_found'],
  }).handle(async ({ params, query, session, deps }) => {
    const request = listRequest(params.clientId, query);
    const result = await ask(deps, session, 'tracking.support', (t) => t.listMeals.bind(t), request);
    return {
      status: 200,
      body: { items: result.meals.map(mealOut), nextCursor: result.nextPageToken || null },
    };
  }),
];

export const trackingRoutes = [...clientRoutes, ...trainerRoutes, ...adminRoutes];
