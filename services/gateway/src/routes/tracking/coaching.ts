import { NotFoundError } from '@tracking/kit';
import { z } from 'zod';

import { defineRoute, json } from '../../http/route';
import { ask, COACH } from './ask';
import { commentOut, goalsOut, listRequest, mealOut, metricOut, reviewOut } from './mappers';
import {
  clientParams,
  commentRequest,
  commentSchema,
  goalsInput,
  goalsSchema,
  mealSchema,
  metricSchema,
  page,
  pageQuery,
  reviewRequest,
  reviewSchema,
  rowParam,
  summaryQuery,
  summarySchema,
} from './schemas';

/** A trainer and the clients linked to them; any other client id is a 404. */
export const coachingRoutes = [
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
