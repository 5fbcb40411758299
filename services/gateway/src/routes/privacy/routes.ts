import { callUnary, FailedPreconditionError, NotFoundError, streamMessages } from '@tracking/kit';
import type { DownloadExportResponse } from '@tracking/proto/tracking/privacy/v1/privacy';
import { z } from 'zod';

import { defineRoute, json, stream } from '../../http/route';
import { confirmIdentity, notFoundWhenExpired, ownPrincipal, present } from './ask';
import { myRequestOut } from './mappers';
import {
  confirmIdentity as credentials,
  exportFileName,
  myDeletionSchema,
  myExportListQuery,
  myExportsSchema,
  myPrivacyRequestSchema,
  requestParams,
} from './schemas';

/**
 * A person's own privacy rights (#22, docs/privacy.md): a copy of everything held about them,
 * and the deletion of their account after a cooling-off period. The privacy service runs both
 * as sagas across every service; here the gateway checks the re-entered credentials with auth
 * first, so that a session alone is never enough to take the data or end the account.
 */
export const myPrivacyRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/v1/me/data-exports',
    operationId: 'requestDataExport',
    summary: 'Ask for a copy of all my data',
    description:
      'Needs the password, and a TOTP code when the account has one. Every service that holds data ' +
      'about me writes its part; once all are in, one ZIP with a README is ready to download for 7 ' +
      'days and a mail says so. 202 starts a new export; while one is still open the same request ' +
      'comes back with 200 instead: never two at once.',
    tags: ['privacy'],
    access: 'session',
    body: credentials,
    responses: {
      202: json(myPrivacyRequestSchema, 'The export has started.'),
      200: json(myPrivacyRequestSchema, 'An export was already open: this is that one.'),
    },
    errors: ['resource_exhausted'],
  }).handle(async ({ body, session, deps }) => {
    const metadata = await ownPrincipal(deps, session);
    await confirmIdentity(deps, session, body, 'data_export');
    const answer = await callUnary(
      deps.privacy.requestExport.bind(deps.privacy),
      { subjectId: '' },
      metadata,
    );
    return { status: answer.existing ? 200 : 202, body: myRequestOut(present(answer.request)) };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/me/data-exports',
    operationId: 'listDataExports',
    summary: 'My latest exports',
    description:
      'Newest first, a few at a time (limit, 5 unless asked): how a person who comes back without ' +
      'the mail finds the export they asked for, its state, and until when it can be downloaded.',
    tags: ['privacy'],
    access: 'session',
    query: myExportListQuery,
    responses: { 200: json(myExportsSchema, 'My latest exports; an empty list if I never asked.') },
  }).handle(async ({ query, session, deps }) => {
    const metadata = await ownPrincipal(deps, session);
    // own: an admin's account page too lists the admin's own exports, never everyone's.
    const page = await callUnary(
      deps.privacy.listRequests.bind(deps.privacy),
      { kind: 'export', state: '', subjectId: '', limit: query.limit, cursor: '', own: true },
      metadata,
    );
    return { status: 200, body: { requests: page.requests.map(myRequestOut) } };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/me/data-exports/{requestId}',
    operationId: 'getDataExport',
    summary: 'Where my export stands',
    description: 'Another person’s export is a 404, as is an id that never existed.',
    tags: ['privacy'],
    access: 'session',
    params: requestParams,
    responses: { 200: json(myPrivacyRequestSchema, 'The export.') },
    errors: ['not_found'],
  }).handle(async ({ params, session, deps }) => {
    const metadata = await ownPrincipal(deps, session);
    const answer = await callUnary(
      deps.privacy.getExport.bind(deps.privacy),
      { requestId: params.requestId },
      metadata,
    );
    return { status: 200, body: myRequestOut(present(answer.request)) };
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/me/data-exports/{requestId}/download',
    operationId: 'downloadDataExport',
    summary: 'Download my export',
    description:
      'A POST, because it needs the password (and a TOTP code when the account has one) in the body: ' +
      'the ZIP is everything we hold about the person, and a session alone is not enough to take it. ' +
      'The answer is the file itself, as an attachment; the browser saves it. Another person’s ' +
      'export, an expired one and an unknown id are all 404; one still being assembled is 412.',
    tags: ['privacy'],
    access: 'session',
    params: requestParams,
    body: credentials,
    responses: {
      200: stream(
        {
          'application/zip': z.string().meta({
            description:
              'One folder per service (JSON, and CSV for lists) and a README that explains each file.',
            format: 'binary',
          }),
        },
        'The export, as an attachment.',
        {
          'Content-Disposition': 'attachment; filename="<name>.zip"',
          'Content-Length': 'The size of the ZIP in bytes.',
        },
      ),
    },
    errors: ['not_found', 'failed_precondition', 'resource_exhausted'],
  }).handle(async ({ params, body, session, deps, res }) => {
    const metadata = await ownPrincipal(deps, session);
    const { request } = await callUnary(
      deps.privacy.getExport.bind(deps.privacy),
      { requestId: params.requestId },
      metadata,
    );
    const state = present(request).state;
    if (state === 'expired') throw new NotFoundError('no such export, or its download has expired');
    if (state !== 'ready') throw new FailedPreconditionError('the export is not ready yet');
    await confirmIdentity(deps, session, body, 'data_export_download');
    const call = deps.privacy.downloadExport({ requestId: params.requestId }, metadata, {
      deadline: Date.now() + deps.longCallDeadlineMs,
    });
    const chunks = streamMessages(call);
    // The first chunk names the file: until it is in, a refusal is still a problem response.
    const first = await chunks.next().catch(notFoundWhenExpired);
    if (first.done) throw new Error('the privacy service sent no export');
    const name = exportFileName.safeParse(first.value.fileName);
    const size = Number(first.value.sizeBytes);
    if (Number.isSafeInteger(size) && size > 0) res.set('content-length', String(size));
    return {
      status: 200,
      stream: {
        contentType: 'application/zip',
        filename: name.success ? name.data : 'tracking-export.zip',
        body: bytesOf(first.value, chunks),
        label: 'data export download',
      },
    };
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/me/account-deletion',
    operationId: 'requestAccountDeletion',
    summary: 'Delete my account, after 7 days',
    description:
      'Needs the password, and a TOTP code when the account has one. Schedules the erasure of ' +
      'everything held about me once a 7-day cooling-off period has passed; until then it can be ' +
      'cancelled (DELETE). A mail confirms it. 202 schedules it; when one is already scheduled or ' +
      'running, that one comes back with 200.',
    tags: ['privacy'],
    access: 'session',
    body: credentials,
    responses: {
      202: json(myPrivacyRequestSchema, 'The deletion is scheduled; scheduledFor says when it runs.'),
      200: json(myPrivacyRequestSchema, 'A deletion was already scheduled or running: this is that one.'),
    },
    errors: ['resource_exhausted'],
  }).handle(async ({ body, session, deps }) => {
    const metadata = await ownPrincipal(deps, session);
    await confirmIdentity(deps, session, body, 'account_deletion');
    const answer = await callUnary(
      deps.privacy.requestErasure.bind(deps.privacy),
      { subjectId: '', reason: '' },
      metadata,
    );
    return { status: answer.existing ? 200 : 202, body: myRequestOut(present(answer.request)) };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/me/account-deletion',
    operationId: 'getAccountDeletion',
    summary: 'My account deletion, if I asked for one',
    tags: ['privacy'],
    access: 'session',
    responses: { 200: json(myDeletionSchema, 'The current or last deletion request, or null.') },
  }).handle(async ({ session, deps }) => {
    const metadata = await ownPrincipal(deps, session);
    const answer = await callUnary(deps.privacy.getErasure.bind(deps.privacy), { subjectId: '' }, metadata);
    return { status: 200, body: { request: answer.request ? myRequestOut(answer.request) : null } };
  }),
  defineRoute({
    method: 'delete',
    path: '/api/v1/me/account-deletion',
    operationId: 'cancelAccountDeletion',
    summary: 'Keep my account: cancel its scheduled deletion',
    description:
      'Only during the cooling-off period: once the erasure has begun it cannot be stopped (412). ' +
      'With no deletion scheduled, 404.',
    tags: ['privacy'],
    access: 'session',
    responses: { 200: json(myPrivacyRequestSchema, 'The deletion is cancelled.') },
    errors: ['not_found', 'failed_precondition'],
  }).handle(async ({ session, deps }) => {
    const metadata = await ownPrincipal(deps, session);
    const { request } = await callUnary(
      deps.privacy.getErasure.bind(deps.privacy),
      { subjectId: '' },
      metadata,
    );
    if (!request || ['cancelled', 'completed', 'failed'].includes(request.state)) {
      throw new NotFoundError('no account deletion is scheduled');
    }
    const answer = await callUnary(
      deps.privacy.cancelErasure.bind(deps.privacy),
      { requestId: request.requestId },
      metadata,
    );
    return { status: 200, body: myRequestOut(present(answer.request)) };
  }),
];

async function* bytesOf(
  first: DownloadExportResponse,
  rest: AsyncIterable<DownloadExportResponse>,
): AsyncGenerator<Buffer> {
  if (first.data.length > 0) yield first.data;
  for await (const chunk of rest) if (chunk.data.length > 0) yield chunk.data;
}
