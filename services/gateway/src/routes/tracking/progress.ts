import { z } from 'zod';

import { defineRoute, json } from '../../http/route';
import { ask, OWN } from './ask';
import { commentOut, goalsOut, reviewOut } from './mappers';
import {
  commentSchema,
  goalsInput,
  goalsSchema,
  page,
  pageQuery,
  reviewRequest,
  reviewSchema,
  summaryQuery,
  summarySchema,
} from './schemas';

/** A client's day against their goals, and what their trainer said: comments and weekly reviews. */
export const progressRoutes = [
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
];
