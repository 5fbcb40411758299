import { callUnary } from '@tracking/kit';
import { MfaState, Role, type AuthServiceClient, type Session } from '@tracking/proto/tracking/auth/v1/auth';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';

import { clearSession, credentialOf, deliverSession, sessionMetadata } from './session';
import { parse } from './validation';

const roleName: Record<number, string> = {
  [Role.ROLE_CLIENT]: 'client',
  [Role.ROLE_TRAINER]: 'trainer',
  [Role.ROLE_ADMIN]: 'admin',
};
const roleByName = { client: Role.ROLE_CLIENT, trainer: Role.ROLE_TRAINER, admin: Role.ROLE_ADMIN } as const;
const mfaName: Record<number, string> = {
  [MfaState.MFA_STATE_NOT_ENROLLED]: 'not_enrolled',
  [MfaState.MFA_STATE_PENDING]: 'pending',
  [MfaState.MFA_STATE_VERIFIED]: 'verified',
  [MfaState.MFA_STATE_ENROLMENT_REQUIRED]: 'enrolment_required',
};

// Bodies are checked for shape and size here; auth checks their meaning.
const secret = z.string().max(1024);
const schemas = {
  register: z.object({ email: z.string().max(320), password: secret, displayName: z.string().max(80) }),
  token: z.object({ token: z.string().max(128) }),
  login: z.object({
    email: z.string().max(320),
    password: secret,
    /** cookie: an HttpOnly session cookie for the web app; bearer (default): a token for API clients. */
    session: z.enum(['cookie', 'bearer']).default('bearer'),
  }),
  mfa: z.object({ code: z.string().max(16).default(''), recoveryCode: z.string().max(64).default('') }),
  email: z.object({ email: z.string().max(320) }),
  reset: z.object({ token: z.string().max(128), newPassword: secret }),
  revokeAll: z.object({ keepCurrent: z.boolean().default(false) }),
  password: z.object({ currentPassword: secret, newPassword: secret }),
  changeEmail: z.object({ currentPassword: secret, newEmail: z.string().max(320) }),
  reauth: z.object({ currentPassword: secret }),
  reauthWithCode: z.object({ currentPassword: secret, code: z.string().max(16) }),
  code: z.object({ code: z.string().max(16) }),
  role: z.object({ role: z.enum(['client', 'trainer', 'admin']) }),
  disabled: z.object({ disabled: z.boolean() }),
};

const userIdParam = (req: Request) => parse(z.object({ userId: z.uuid() }), req.params).userId;

function sessionBody(res: Response, mode: 'cookie' | 'bearer', session: Session | undefined) {
  if (!session) throw new Error('auth returned no session');
  return {
    sessionId: session.sessionId,
    mfa: mfaName[session.mfa] ?? 'unknown',
    idleExpiresAt: session.idleExpiresAt?.toISOString(),
    absoluteExpiresAt: session.absoluteExpiresAt?.toISOString(),
    ...deliverSession(res, mode, session),
  };
}

/** Accounts, sessions, MFA and admin user management: each route is one call to auth. */
export function authRoutes(auth: AuthServiceClient): Router {
  const router = Router();
  const call = <Req, Res>(method: Parameters<typeof callUnary<Req, Res>>[0], request: Req, req?: Request) =>
    callUnary(method, request, req ? sessionMetadata(req) : undefined);

  // Responses that carry tokens, codes or personal data must never be cached on the way.
  router.use((_req, res, next) => {
    res.set('cache-control', 'no-store');
    next();
  });

  router.post('/auth/register', async (req, res) => {
    const user = await call(auth.register.bind(auth), parse(schemas.register, req.body));
    res.status(201).json({
      userId: user.userId,
      role: roleName[user.role] ?? 'unknown',
      createdAt: user.createdAt?.toISOString(),
    });
  });

  router.post('/auth/verify-email', async (req, res) => {
    res.json(await call(auth.verifyEmail.bind(auth), parse(schemas.token, req.body)));
  });

  router.post('/auth/login', async (req, res) => {
    const { session: mode, ...credentials } = parse(schemas.login, req.body);
    const result = await call(auth.login.bind(auth), credentials);
    res.json({
      userId: result.userId,
      role: roleName[result.role] ?? 'unknown',
      ...sessionBody(res, mode, result.session),
    });
  });

  router.post('/auth/mfa/verify', async (req, res) => {
    const result = await call(auth.verifyMfa.bind(auth), parse(schemas.mfa, req.body), req);
    const mode = credentialOf(req)?.via ?? 'bearer';
    res.json({ recoveryCodesLeft: result.recoveryCodesLeft, ...sessionBody(res, mode, result.session) });
  });

  router.post('/auth/logout', async (req, res) => {
    await call(auth.logout.bind(auth), {}, req);
    clearSession(res);
    res.status(204).end();
  });

  router.post('/auth/password-reset', async (req, res) => {
    await call(auth.requestPasswordReset.bind(auth), parse(schemas.email, req.body));
    res.status(202).json({ detail: 'if the address has an account, a reset link is on its way' });
  });

  router.post('/auth/password-reset/confirm', async (req, res) => {
    await call(auth.resetPassword.bind(auth), parse(schemas.reset, req.body));
    res.status(204).end();
  });

  // The cheapest authenticated call: who the session belongs to and where it stands with MFA.
  router.get('/auth/session', async (req, res) => {
    const principal = await call(auth.authorize.bind(auth), { permission: 'session.end' }, req);
    res.json({
      userId: principal.userId,
      role: roleName[principal.role] ?? 'unknown',
      sessionId: principal.sessionId,
      mfa: mfaName[principal.mfa] ?? 'unknown',
    });
  });

  router.get('/me', async (req, res) => {
    const me = await call(auth.getMe.bind(auth), {}, req);
    res.json({
      ...me,
      role: roleName[me.role] ?? 'unknown',
      sessionMfa: mfaName[me.sessionMfa] ?? 'unknown',
    });
  });

  router.get('/me/sessions', async (req, res) => {
    const { sessions } = await call(auth.listSessions.bind(auth), {}, req);
    res.json({
      sessions: sessions.map((session) => ({
        ...session,
        createdAt: session.createdAt?.toISOString(),
        lastSeenAt: session.lastSeenAt?.toISOString(),
        mfa: mfaName[session.mfa] ?? 'unknown',
      })),
    });
  });

  router.delete('/me/sessions/:sessionId', async (req, res) => {
    const { sessionId } = parse(z.object({ sessionId: z.uuid() }), req.params);
    await call(auth.revokeSession.bind(auth), { sessionId }, req);
    res.status(204).end();
  });

  router.post('/me/sessions/revoke-all', async (req, res) => {
    const result = await call(auth.revokeAllSessions.bind(auth), parse(schemas.revokeAll, req.body), req);
    res.json(result);
  });

  router.post('/me/password', async (req, res) => {
    res.json(await call(auth.changePassword.bind(auth), parse(schemas.password, req.body), req));
  });

  router.post('/me/email', async (req, res) => {
    await call(auth.changeEmail.bind(auth), parse(schemas.changeEmail, req.body), req);
    res.status(202).json({ detail: 'a confirmation link is on its way to the new address' });
  });

  router.post('/me/mfa/totp', async (req, res) => {
    res.json(await call(auth.beginTotpEnrolment.bind(auth), parse(schemas.reauth, req.body), req));
  });

  router.post('/me/mfa/totp/confirm', async (req, res) => {
    res.json(await call(auth.confirmTotpEnrolment.bind(auth), parse(schemas.code, req.body), req));
  });

  router.post('/me/mfa/totp/disable', async (req, res) => {
    await call(auth.disableTotp.bind(auth), parse(schemas.reauthWithCode, req.body), req);
    res.status(204).end();
  });

  router.post('/me/mfa/recovery-codes', async (req, res) => {
    res.json(
      await call(auth.regenerateRecoveryCodes.bind(auth), parse(schemas.reauthWithCode, req.body), req),
    );
  });

  router.put('/admin/users/:userId/role', async (req, res) => {
    const { role } = parse(schemas.role, req.body);
    const result = await call(
      auth.setRole.bind(auth),
      { userId: userIdParam(req), role: roleByName[role] },
      req,
    );
    res.json({
      previousRole: roleName[result.previousRole] ?? 'unknown',
      sessionsRevoked: result.sessionsRevoked,
    });
  });

  router.put('/admin/users/:userId/disabled', async (req, res) => {
    const { disabled } = parse(schemas.disabled, req.body);
    res.json(await call(auth.setUserDisabled.bind(auth), { userId: userIdParam(req), disabled }, req));
  });

  router.post('/admin/users/:userId/sessions/revoke', async (req, res) => {
    res.json(await call(auth.revokeUserSessions.bind(auth), { userId: userIdParam(req) }, req));
  });

  return router;
}
