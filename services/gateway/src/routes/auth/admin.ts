import { ROLES } from '@tracking/contracts';
import { callUnary } from '@tracking/kit';
import { z } from 'zod';

import { defineRoute, json } from '../../http/route';
import { iso, roleOf } from './mappers';
import { count, requests, role, userParams, userSearchQuery, userSummary } from './schemas';

/** Admin user management: finding an account, roles, disabling an account, ending its sessions. */
export const userAdminRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/v1/admin/users',
    operationId: 'findUsers',
    summary: 'Find users by id or the start of their email',
    description:
      'An exact user id finds that account; anything else matches the start of the email address, ignoring case. At most `limit` accounts, sorted by email.',
    tags: ['admin'],
    access: 'session',
    query: userSearchQuery,
    responses: { 200: json(z.object({ items: z.array(userSummary) }), 'The matching accounts.') },
  }).handle(async ({ query, session, deps: { auth } }) => {
    const result = await callUnary(
      auth.findUsers.bind(auth),
      { query: query.q, limit: query.limit },
      session,
    );
    return {
      status: 200,
      body: {
        items: result.users.map((user) => ({
          userId: user.userId,
          email: user.email,
          displayName: user.displayName,
          role: roleOf(user.role),
          emailVerified: user.emailVerified,
          mfaEnabled: user.mfaEnabled,
          disabled: user.disabled,
          plan: user.plan,
          createdAt: iso(user.createdAt),
        })),
      },
    };
  }),
  defineRoute({
    method: 'put',
    path: '/api/v1/admin/users/{userId}/role',
    operationId: 'setUserRole',
    summary: "Change a user's role",
    description: 'Every session of the user is revoked. Admins cannot change their own role.',
    tags: ['admin'],
    access: 'session',
    params: userParams,
    body: requests.role,
    responses: {
      200: json(z.object({ previousRole: role, sessionsRevoked: count }), 'The role is set.'),
    },
    errors: ['not_found'],
  }).handle(async ({ params, body, session, deps: { auth } }) => {
    const result = await callUnary(
      auth.setRole.bind(auth),
      { userId: params.userId, role: ROLES.valueOf(body.role) },
      session,
    );
    return {
      status: 200,
      body: { previousRole: roleOf(result.previousRole), sessionsRevoked: result.sessionsRevoked },
    };
  }),
  defineRoute({
    method: 'put',
    path: '/api/v1/admin/users/{userId}/disabled',
    operationId: 'setUserDisabled',
    summary: 'Disable or re-enable a user',
    description: 'Disabling revokes every session of the user.',
    tags: ['admin'],
    access: 'session',
    params: userParams,
    body: requests.disabled,
    responses: { 200: json(z.object({ sessionsRevoked: count }), 'The status is set.') },
    errors: ['not_found'],
  }).handle(async ({ params, body, session, deps: { auth } }) => ({
    status: 200,
    body: await callUnary(auth.setUserDisabled.bind(auth), { userId: params.userId, ...body }, session),
  })),
  defineRoute({
    method: 'post',
    path: '/api/v1/admin/users/{userId}/sessions/revoke',
    operationId: 'revokeUserSessions',
    summary: 'Sign every session of a user out',
    tags: ['admin'],
    access: 'session',
    params: userParams,
    responses: { 200: json(z.object({ revoked: count }), 'The sessions are revoked.') },
    errors: ['not_found'],
  }).handle(async ({ params, session, deps: { auth } }) => ({
    status: 200,
    body: await callUnary(auth.revokeUserSessions.bind(auth), params, session),
  })),
];
