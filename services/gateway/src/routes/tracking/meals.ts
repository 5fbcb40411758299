import { MEAL_TYPES } from '@tracking/contracts';

import { defineRoute, empty, json } from '../../http/route';
import { ask, OWN } from './ask';
import { listRequest, mealOut } from './mappers';
import {
  idempotencyHeaders,
  mealInput,
  mealParams,
  mealSchema,
  page,
  pageQuery,
  version,
  versionQuery,
} from './schemas';

/** A client's own meals. */
export const mealRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/v1/me/meals',
    operationId: 'logMeal',
    summary: 'Log a meal',
    description:
      'The AI service estimates calories and macros afterwards; the meal’s estimate is null until then. ' +
      'Send an Idempotency-Key to make the request safe to retry: the same key with the same meal answers ' +
      'with the meal that key logged, never a second one.',
    tags: ['tracking'],
    access: 'session',
    headers: idempotencyHeaders,
    body: mealInput,
    responses: { 201: json(mealSchema, 'The meal as stored (for a retried key: the meal that key logged).') },
    errors: ['already_exists'],
  }).handle(async ({ body, headers, session, deps }) => {
    const request = {
      meal: { ...body, eatenAt: new Date(body.eatenAt), type: MEAL_TYPES.valueOf(body.mealType) },
      idempotencyKey: headers['Idempotency-Key'] ?? '',
    };
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
      meal: { ...fields, eatenAt: new Date(fields.eatenAt), type: MEAL_TYPES.valueOf(fields.mealType) },
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
];
