import { callUnary } from '@tracking/kit';
import type { Request } from 'express';
import { z } from 'zod';

import { defineRoute, empty, json } from '../../http/route';
import { iso, mfaOf, roleOf } from './mappers';
import { accepted, count, mfa, recoveryCodes, requests, role, timestamp } from './schemas';

const newDeviceAlerts = z.boolean().meta({
  description: 'Mail me when my account is signed in to from a new browser or network (on by default).',
});
const saleSharingOptOut = z.boolean().meta({
  description:
    'An opt-out of sale or sharing (CCPA) is recorded for the account. Nothing is sold or shared either way; a request with `Sec-GPC: 1` (Global Privacy Control) records it.',
});
const preferences = z.object({ newDeviceAlerts, saleSharingOptOut });
const preferencesChange = z.object({ newDeviceAlerts, saleSharingOptOut: saleSharingOptOut.optional() });

/**
 * A signed-in request from a browser sending Global Privacy Control (`Sec-GPC: 1`) opts the
 * account out of sale or sharing (#22); auth records it once, marked as the browser's signal.
 */
const globalPrivacyControl = (req: Request) => req.get('sec-gpc')?.trim() === '1';
const GPC_OPT_OUT = { saleSharingOptOut: true, globalPrivacyControl: true };

/** The signed-in user's own account: profile, preferences, sessions, password, email and MFA. */
export const accountRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/v1/me',
    operationId: 'getMe',
    summary: 'The calling user’s account',
    tags: ['account'],
    access: 'session',
    responses: {
      200: json(
        z.object({
          userId: z.uuid(),
          email: z.string(),
          displayName: z.string(),
          role,
          emailVerified: z.boolean(),
          mfaEnabled: z.boolean(),
          mfaRequired: z.boolean().meta({ description: 'The role demands MFA.' }),
          sessionMfa: mfa,
          recoveryCodesLeft: count,
          newDeviceAlerts,
          saleSharingOptOut,
        }),
        'The account.',
      ),
    },
  }).handle(async ({ req, session, deps: { auth } }) => {
    const me = await callUnary(auth.getMe.bind(auth), {}, session);
    if (globalPrivacyControl(req) && !me.saleSharingOptOut) {
      me.saleSharingOptOut = (
        await callUnary(auth.setPreferences.bind(auth), GPC_OPT_OUT, session)
      ).saleSharingOptOut;
    }
    return { status: 200, body: { ...me, role: roleOf(me.role), sessionMfa: mfaOf(me.sessionMfa) } };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/me/preferences',
    operationId: 'getPreferences',
    summary: 'The calling user’s notification and privacy preferences',
    tags: ['account'],
    access: 'session',
    responses: { 200: json(preferences, 'The preferences.') },
  }).handle(async ({ req, session, deps: { auth } }) => ({
    status: 200,
    body: await callUnary(
      auth.setPreferences.bind(auth),
      globalPrivacyControl(req) ? GPC_OPT_OUT : { globalPrivacyControl: false },
      session,
    ),
  })),
  defineRoute({
    method: 'put',
    path: '/api/v1/me/preferences',
    operationId: 'setPreferences',
    summary: 'Set the calling user’s notification and privacy preferences',
    tags: ['account'],
    access: 'session',
    body: preferencesChange,
    responses: { 200: json(preferences, 'The preferences, as now stored.') },
  }).handle(async ({ body, session, deps: { auth } }) => ({
    status: 200,
    body: await callUnary(auth.setPreferences.bind(auth), { ...body, globalPrivacyControl: false }, session),
  })),
  defineRoute({
    method: 'get',
    path: '/api/v1/me/sessions',
    operationId: 'listSessions',
    summary: 'The calling user’s sessions',
    tags: ['account'],
    access: 'session',
    responses: {
      200: json(
        z.object({
          sessions: z.array(
            z.object({
              sessionId: z.uuid(),
              ip: z.string().meta({ description: 'Where it signed in from; empty if unknown.' }),
              userAgent: z.string().meta({ description: 'Empty if unknown.' }),
              createdAt: timestamp,
              lastSeenAt: timestamp,
              current: z.boolean().meta({ description: 'The session making this request.' }),
              mfa,
            }),
          ),
        }),
        'Every live session.',
      ),
    },
  }).handle(async ({ session, deps: { auth } }) => {
    const { sessions } = await callUnary(auth.listSessions.bind(auth), {}, session);
    return {
      status: 200,
      body: {
        sessions: sessions.map((one) => ({
          ...one,
          createdAt: iso(one.createdAt),
          lastSeenAt: iso(one.lastSeenAt),
          mfa: mfaOf(one.mfa),
        })),
      },
    };
  }),
  defineRoute({
    method: 'delete',
    path: '/api/v1/me/sessions/{sessionId}',
    operationId: 'revokeSession',
    summary: 'Sign one of the calling user’s sessions out',
    tags: ['account'],
    access: 'session',
    params: z.object({ sessionId: z.uuid() }),
    responses: { 204: empty('The session is revoked.') },
    errors: ['not_found'],
  }).handle(async ({ params, session, deps: { auth } }) => {
    await callUnary(auth.revokeSession.bind(auth), params, session);
    return { status: 204 };
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/me/sessions/revoke-all',
    operationId: 'revokeAllSessions',
    summary: 'Sign every session of the calling user out',
    tags: ['account'],
    access: 'session',
    body: requests.revokeAll,
    responses: { 200: json(z.object({ revoked: count }), 'The sessions are revoked.') },
  }).handle(async ({ body, session, deps: { auth } }) => ({
    status: 200,
    body: await callUnary(auth.revokeAllSessions.bind(auth), body, session),
  })),
  defineRoute({
    method: 'post',
    path: '/api/v1/me/password',
    operationId: 'changePassword',
    summary: 'Change the password',
    description: 'Needs the current password; every other session is revoked.',
    tags: ['account'],
    access: 'session',
    body: requests.password,
    responses: { 200: json(z.object({ sessionsRevoked: count }), 'The password is changed.') },
    errors: ['resource_exhausted'],
  }).handle(async ({ body, session, deps: { auth } }) => ({
    status: 200,
    body: await callUnary(auth.changePassword.bind(auth), body, session),
  })),
  defineRoute({
    method: 'post',
    path: '/api/v1/me/email',
    operationId: 'changeEmail',
    summary: 'Change the email address',
    description:
      'Needs the current password; the new address takes effect once its confirmation link is followed. The current address is told, with a link to report that it was not the owner. The answer is the same, after the same work, whether or not the new address is taken.',
    tags: ['account'],
    access: 'session',
    body: requests.changeEmail,
    responses: { 202: json(accepted, 'A confirmation link is on its way to the new address.') },
    errors: ['resource_exhausted'],
  }).handle(async ({ body, session, deps: { auth } }) => {
    await callUnary(auth.changeEmail.bind(auth), body, session);
    return { status: 202, body: { detail: 'a confirmation link is on its way to the new address' } };
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/me/mfa/totp',
    operationId: 'beginTotpEnrolment',
    summary: 'Start enrolling an authenticator app',
    tags: ['account'],
    access: 'session',
    body: requests.reauth,
    responses: {
      200: json(
        z.object({
          otpauthUri: z
            .string()
            .meta({ description: 'Holds the TOTP secret: show it once, to the user only.' }),
          qrCodeDataUrl: z.string().meta({ description: 'The same URI as a PNG QR code, as a data: URL.' }),
        }),
        'Scan this, then confirm with a code.',
      ),
    },
    errors: ['failed_precondition', 'resource_exhausted'],
  }).handle(async ({ body, session, deps: { auth } }) => ({
    status: 200,
    body: await callUnary(auth.beginTotpEnrolment.bind(auth), body, session),
  })),
  defineRoute({
    method: 'post',
    path: '/api/v1/me/mfa/totp/confirm',
    operationId: 'confirmTotpEnrolment',
    summary: 'Finish enrolling with a first code',
    tags: ['account'],
    access: 'session',
    body: requests.code,
    responses: { 200: json(recoveryCodes, 'MFA is on; keep the recovery codes safe.') },
    errors: ['failed_precondition', 'resource_exhausted'],
  }).handle(async ({ body, session, deps: { auth } }) => ({
    status: 200,
    body: await callUnary(auth.confirmTotpEnrolment.bind(auth), body, session),
  })),
  defineRoute({
    method: 'post',
    path: '/api/v1/me/mfa/totp/disable',
    operationId: 'disableTotp',
    summary: 'Turn MFA off',
    tags: ['account'],
    access: 'session',
    body: requests.reauthWithCode,
    responses: { 204: empty('MFA is off.') },
    errors: ['failed_precondition', 'resource_exhausted'],
  }).handle(async ({ body, session, deps: { auth } }) => {
    await callUnary(auth.disableTotp.bind(auth), body, session);
    return { status: 204 };
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/me/mfa/recovery-codes',
    operationId: 'regenerateRecoveryCodes',
    summary: 'Replace the recovery codes',
    tags: ['account'],
    access: 'session',
    body: requests.reauthWithCode,
    responses: { 200: json(recoveryCodes, 'New codes; the old ones no longer work.') },
    errors: ['failed_precondition', 'resource_exhausted'],
  }).handle(async ({ body, session, deps: { auth } }) => ({
    status: 200,
    body: await callUnary(auth.regenerateRecoveryCodes.bind(auth), body, session),
  })),
];
