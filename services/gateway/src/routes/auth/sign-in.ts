import { callUnary } from '@tracking/kit';
import { z } from 'zod';

import { defineRoute, empty, json } from '../../http/route';
import { clearSession, credentialOf } from '../../http/session';
import { iso, mfaOf, roleOf, sessionBody } from './mappers';
import { accepted, count, mfa, newSession, requests, role, sessionCookieHeader, timestamp } from './schemas';

/** Signing up, in and out, and resetting a forgotten password: each route is one call to auth. */
export const signInRoutes = [
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
    path: '/api/v1/auth/email-change/report',
    operationId: 'reportEmailChange',
    summary: 'Report an email change the owner did not make',
    description:
      'The link from a notice to the old address. Every pending email-change and reset link dies, a completed change is undone (unless the old address has since been taken), every session ends and the password stops working: the owner resets it through the old address.',
    tags: ['auth'],
    access: 'public',
    body: requests.token,
    responses: {
      200: json(
        z.object({
          emailRestored: z.boolean().meta({ description: 'The change had completed and was undone.' }),
        }),
        'The account is locked until its password is reset.',
      ),
    },
  }).handle(async ({ body, deps: { auth } }) => ({
    status: 200,
    body: await callUnary(auth.reportEmailChange.bind(auth), body),
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
    description:
      'The answer is the same, after the same work, whether or not the address has an account: the link is issued and mailed afterwards. At most 3 links per address an hour; a new link replaces the previous one.',
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
];
