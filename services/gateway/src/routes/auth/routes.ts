import { MFA_STATES, ROLES } from '@tracking/contracts';
import { callUnary } from '@tracking/kit';
import type { Session } from '@tracking/proto/tracking/auth/v1/auth';
import type { Response } from 'express';
import { z } from 'zod';

import { defineRoute, empty, json } from '../../http/route';
import { clearSession, credentialOf, deliverSession, SESSION_COOKIE } from '../../http/session';

// A role or MFA state auth sends that the API has no name for is a fault between the two:
// `name` throws, and the caller sees a 500 that is logged.
const roleOf = ROLES.name;
const mfaOf = MFA_STATES.name;
const iso = (date: Date | undefined) => {
  if (!date) throw new Error('auth left out a timestamp');
  return date.toISOString();
};

// Requests: checked for shape and size here; auth checks their meaning.
const secret = z.string().max(1024);
const email = z.string().max(320);
const totpCode = z.string().max(16);
const requests = {
  register: z.object({ email, password: secret, displayName: z.string().max(80) }),
  token: z.object({
    token: z.string().max(128).meta({ description: 'The token from the link in the mail.' }),
  }),
  login: z.object({
    email,
    password: secret,
    session: z.enum(['cookie', 'bearer']).default('bearer').meta({
      description:
        'cookie: an HttpOnly session cookie for the web app, plus a CSRF token; bearer: a token for API clients.',
    }),
  }),
  mfa: z
    .object({ code: totpCode.default(''), recoveryCode: z.string().max(64).default('') })
    .meta({ description: 'Exactly one of a TOTP code and a recovery code.' }),
  email: z.object({ email }),
  reset: z.object({ token: z.string().max(128), newPassword: secret }),
  revokeAll: z.object({
    keepCurrent: z.boolean().default(false).meta({ description: 'Keep the calling session signed in.' }),
  }),
  password: z.object({ currentPassword: secret, newPassword: secret }),
  changeEmail: z.object({ currentPassword: secret, newEmail: email }),
  reauth: z.object({ currentPassword: secret }),
  reauthWithCode: z.object({ currentPassword: secret, code: totpCode }),
  code: z.object({ code: totpCode }),
  role: z.object({ role: z.enum(['client', 'trainer', 'admin']) }),
  disabled: z.object({ disabled: z.boolean() }),
};
const userParams = z.object({ userId: z.uuid() });

// Responses.
const role = z.enum(ROLES.names);
const mfa = z.enum(MFA_STATES.names).meta({
  id: 'MfaState',
  description:
    "Where the session stands with the second factor: `pending` until it is passed, `enrolment_required` when the account's role demands MFA and none is enrolled.",
});
const timestamp = z.iso.datetime();
const count = z.int().min(0);
const recoveryCodes = z.object({
  recoveryCodes: z.array(z.string()).meta({ description: 'Shown once; only their hashes are kept.' }),
});
const accepted = z.object({ detail: z.string() });

/**
 * A new session: its token in the body (bearer), or in a cookie with a CSRF token in the body
 * (cookie). Two whole objects rather than an intersection: each forbids unknown fields.
 */
const newSession = <F extends z.ZodRawShape>(fields: F) => {
  const session = z.object({
    ...fields,
    sessionId: z.uuid(),
    mfa,
    idleExpiresAt: timestamp,
    absoluteExpiresAt: timestamp,
  });
  return z.union([
    session.extend({ token: z.string().meta({ description: 'The bearer token; shown once.' }) }),
    session.extend({
      csrfToken: z.string().meta({ description: 'Send as X-CSRF-Token with every state-changing request.' }),
    }),
  ]);
};
const sessionCookieHeader = {
  'Set-Cookie': `In cookie mode: the ${SESSION_COOKIE} session cookie (HttpOnly, Secure, SameSite=Strict).`,
};

function sessionBody(res: Response, mode: 'cookie' | 'bearer', session: Session | undefined) {
  if (!session) throw new Error('auth returned no session');
  return {
    sessionId: session.sessionId,
    mfa: mfaOf(session.mfa),
    idleExpiresAt: iso(session.idleExpiresAt),
    absoluteExpiresAt: iso(session.absoluteExpiresAt),
    ...deliverSession(res, mode, session),
  };
}

/** Accounts, sessions, MFA and admin user management: each route is one call to auth. */
export const authRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/v1/auth/register',
    operationId: 'register',
    summary: 'Create an account',
    description: 'Self-registration always makes a client; a link to verify the address is mailed.',
    tags: ['auth'],
    access: 'public',
    body: requests.register,
    responses: {
      201: json(z.object({ userId: z.uuid(), role, createdAt: timestamp }), 'The account was created.'),
    },
    errors: ['already_exists'],
  }).handle(async ({ body, deps: { auth } }) => {
    const user = await callUnary(auth.register.bind(auth), body);
    return {
      status: 201,
      body: { userId: user.userId, role: roleOf(user.role), createdAt: iso(user.createdAt) },
    };
  }),

  defineRoute({
    method: 'post',
    path: '/api/v1/auth/verify-email',
    operationId: 'verifyEmail',
    summary: 'Verify an address, or confirm an email change',
    tags: ['auth'],
    access: 'public',
    body: requests.token,
    responses: { 200: json(z.object({ userId: z.uuid(), email: z.string() }), 'The address is verified.') },
    errors: ['already_exists'],
  }).handle(async ({ body, deps: { auth } }) => ({
    status: 200,
    body: await callUnary(auth.verifyEmail.bind(auth), body),
  })),

  defineRoute({
    method: 'post',
    path: '/api/v1/auth/login',
    operationId: 'login',
    summary: 'Sign in with email and password',
    description:
      'A new session, either as a bearer token in the body or as a cookie. When the account has MFA, the session is `pending` until POST /api/v1/auth/mfa/verify.',
    tags: ['auth'],
    access: 'public',
    body: requests.login,
    responses: {
      200: json(newSession({ userId: z.uuid(), role }), 'Signed in.', sessionCookieHeader),
    },
    errors: ['unauthenticated', 'resource_exhausted'],
  }).handle(async ({ body: { session: mode, ...credentials }, deps: { auth }, res }) => {
    const result = await callUnary(auth.login.bind(auth), credentials);
    return {
      status: 200,
      body: { userId: result.userId, role: roleOf(result.role), ...sessionBody(res, mode, result.session) },
    };
  }),

  defineRoute({
    method: 'post',
    path: '/api/v1/auth/mfa/verify',
    operationId: 'verifyMfa',
    summary: "Pass the session's second factor",
    description: 'Replaces the session token: the old one stops working.',
    tags: ['auth'],
    access: 'session',
    body: requests.mfa,
    responses: {
      200: json(newSession({ recoveryCodesLeft: count }), 'The session has passed MFA.', sessionCookieHeader),
    },
    errors: ['failed_precondition', 'resource_exhausted'],
  }).handle(async ({ body, session, deps: { auth }, req, res }) => {
    const result = await callUnary(auth.verifyMfa.bind(auth), body, session);
    const mode = credentialOf(req)?.via ?? 'bearer';
    return {
      status: 200,
      body: { recoveryCodesLeft: result.recoveryCodesLeft, ...sessionBody(res, mode, result.session) },
    };
  }),

  defineRoute({
    method: 'post',
    path: '/api/v1/auth/logout',
    operationId: 'logout',
    summary: 'End the calling session',
    tags: ['auth'],
    access: 'session',
    responses: {
      204: empty('Signed out; a session cookie is cleared.', { 'Set-Cookie': 'Clears the cookie.' }),
    },
  }).handle(async ({ session, deps: { auth }, res }) => {
    await callUnary(auth.logout.bind(auth), {}, session);
    clearSession(res);
    return { status: 204 };
  }),

  defineRoute({
    method: 'post',
    path: '/api/v1/auth/password-reset',
    operationId: 'requestPasswordReset',
    summary: 'Ask for a password reset link',
    description: 'The answer is the same whether or not the address has an account.',
    tags: ['auth'],
    access: 'public',
    body: requests.email,
    responses: { 202: json(accepted, 'If the address has an account, a link is on its way.') },
  }).handle(async ({ body, deps: { auth } }) => {
    await callUnary(auth.requestPasswordReset.bind(auth), body);
    return { status: 202, body: { detail: 'if the address has an account, a reset link is on its way' } };
  }),

  defineRoute({
    method: 'post',
    path: '/api/v1/auth/password-reset/confirm',
    operationId: 'resetPassword',
    summary: 'Set a new password with the token from the reset link',
    description: 'Every session of the account is revoked.',
    tags: ['auth'],
    access: 'public',
    body: requests.reset,
    responses: { 204: empty('The password is changed.') },
  }).handle(async ({ body, deps: { auth } }) => {
    await callUnary(auth.resetPassword.bind(auth), body);
    return { status: 204 };
  }),

  // The cheapest authenticated call: who the session belongs to and where it stands with MFA.
  defineRoute({
    method: 'get',
    path: '/api/v1/auth/session',
    operationId: 'getSession',
    summary: 'Who the calling session belongs to',
    tags: ['auth'],
    access: 'session',
    responses: {
      200: json(z.object({ userId: z.uuid(), role, sessionId: z.uuid(), mfa }), 'The session is valid.'),
    },
  }).handle(async ({ session, deps: { auth } }) => {
    const principal = await callUnary(auth.authorize.bind(auth), { permission: 'session.end' }, session);
    return {
      status: 200,
      body: {
        userId: principal.userId,
        role: roleOf(principal.role),
        sessionId: principal.sessionId,
        mfa: mfaOf(principal.mfa),
      },
    };
  }),

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
        }),
        'The account.',
      ),
    },
  }).handle(async ({ session, deps: { auth } }) => {
    const me = await callUnary(auth.getMe.bind(auth), {}, session);
    return { status: 200, body: { ...me, role: roleOf(me.role), sessionMfa: mfaOf(me.sessionMfa) } };
  }),

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
      'Needs the current password; the new address takes effect once its confirmation link is followed.',
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
