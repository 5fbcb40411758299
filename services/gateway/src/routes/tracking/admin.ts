import { z } from 'zod';

import { defineRoute, json } from '../../http/route';
import { ask } from './ask';
import { iso, listRequest, mealOut } from './mappers';
import { clientParams, mealSchema, page, pageQuery } from './schemas';

/** Counts, and the audited break-glass path into one client's logs. */
export const trackingAdminRoutes = [
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
    path: '/api/v1/admin/support-access',
    operationId: 'listSupportGrants',
    summary: 'Break-glass: the calling admin’s support grants still open',
    description:
      'Only the grants this admin opened, never another admin’s, soonest to end first; an expired grant is not listed.',
    tags: ['admin'],
    access: 'session',
    responses: {
      200: json(
        z.object({
          items: z.array(
            z.object({
              grantId: z.uuid(),
              clientId: z.uuid(),
              reason: z.string(),
              createdAt: z.iso.datetime(),
              expiresAt: z.iso.datetime(),
            }),
          ),
        }),
        'The open grants, soonest to end first.',
      ),
    },
  }).handle(async ({ session, deps }) => {
    const result = await ask(deps, session, 'tracking.support', (t) => t.listSupportGrants.bind(t), {});
    return {
      status: 200,
      body: {
        items: result.grants.map((grant) => ({
          grantId: grant.grantId,
          clientId: grant.clientId,
          reason: grant.reason,
          createdAt: iso(grant.createdAt),
          expiresAt: iso(grant.expiresAt),
        })),
      },
    };
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
