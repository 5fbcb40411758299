import { callUnary } from '@tracking/kit';

import { defineRoute, json } from '../../http/route';
import { userParams } from '../auth/schemas';
import { adminPrincipal, existingUser, present } from './ask';
import { requestOut } from './mappers';
import { erasureReason, privacyRequestPageSchema, privacyRequestSchema, requestListQuery } from './schemas';

/**
 * The admin console's privacy screen (#22): every export and erasure with its steps and its
 * legal deadline, and the same two rights started for a person who asked by mail. Admins only,
 * with a verified second factor (users.manage); the privacy service audits each request it
 * starts with the admin as actor.
 */
export const privacyAdminRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/v1/admin/privacy-requests',
    operationId: 'listPrivacyRequests',
    summary: 'Data exports and account erasures, newest first',
    description:
      'Filtered by kind, state and subject, a page at a time; with how many requests are still open ' +
      'and how old the oldest of them is, against the one-month deadline (dueAt).',
    tags: ['admin'],
    access: 'session',
    query: requestListQuery,
    responses: { 200: json(privacyRequestPageSchema, 'One page of requests.') },
  }).handle(async ({ query, session, deps }) => {
    const metadata = await adminPrincipal(deps, session);
    const page = await callUnary(
      deps.privacy.listRequests.bind(deps.privacy),
      {
        kind: query.kind ?? '',
        state: query.state ?? '',
        subjectId: query.subject ?? '',
        limit: query.limit,
        cursor: query.cursor ?? '',
        own: false,
      },
      metadata,
    );
    return {
      status: 200,
      body: {
        requests: page.requests.map(requestOut),
        nextCursor: page.nextCursor || null,
        openCount: page.openCount,
        oldestOpenAgeSeconds: Number(page.oldestOpenAgeSeconds),
      },
    };
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/admin/users/{userId}/data-exports',
    operationId: 'requestUserDataExport',
    summary: 'Start a data export for a user who asked for it',
    description:
      'For a request that came by mail and was verified; an id with no account is a 404. The user gets the mail that the export is ' +
      'ready and downloads it with their own password; the admin never sees the file. 202 starts it; ' +
      'while one is open, that one comes back with 200.',
    tags: ['admin'],
    access: 'session',
    params: userParams,
    responses: {
      202: json(privacyRequestSchema, 'The export has started.'),
      200: json(privacyRequestSchema, 'An export was already open: this is that one.'),
    },
    errors: ['not_found'],
  }).handle(async ({ params, session, deps }) => {
    const metadata = await adminPrincipal(deps, session);
    await existingUser(deps, session, params.userId);
    const answer = await callUnary(
      deps.privacy.requestExport.bind(deps.privacy),
      { subjectId: params.userId },
      metadata,
    );
    return { status: answer.existing ? 200 : 202, body: requestOut(present(answer.request)) };
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/admin/users/{userId}/account-deletion',
    operationId: 'requestUserAccountDeletion',
    summary: 'Schedule the deletion of a user’s account who asked for it',
    description:
      'For a verified request that came by mail (an id with no account is a 404); the reason is audited. The same 7-day cooling-off ' +
      'period applies, and the user can cancel it from their account. 202 schedules it; when one is ' +
      'already scheduled or running, that one comes back with 200.',
    tags: ['admin'],
    access: 'session',
    params: userParams,
    body: erasureReason,
    responses: {
      202: json(privacyRequestSchema, 'The deletion is scheduled.'),
      200: json(privacyRequestSchema, 'A deletion was already scheduled or running: this is that one.'),
    },
    errors: ['not_found'],
  }).handle(async ({ params, body, session, deps }) => {
    const metadata = await adminPrincipal(deps, session);
    await existingUser(deps, session, params.userId);
    const answer = await callUnary(
      deps.privacy.requestErasure.bind(deps.privacy),
      { subjectId: params.userId, reason: body.reason },
      metadata,
    );
    return { status: answer.existing ? 200 : 202, body: requestOut(present(answer.request)) };
  }),
];
