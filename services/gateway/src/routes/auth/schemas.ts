import { MFA_STATES, ROLES } from '@tracking/contracts';
import { z } from 'zod';

import { SESSION_COOKIE } from '../../http/session';

// Requests: checked for shape and size here; auth checks their meaning.
export const secret = z.string().max(1024);
export const email = z.string().max(320);
export const totpCode = z.string().max(16);
export const requests = {
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
  role: z.object({ role: z.enum(ROLES.names) }),
  disabled: z.object({ disabled: z.boolean() }),
};
export const userParams = z.object({ userId: z.uuid() });
// strictObject: a misspelt filter is a 400, not a silent search of something else.
export const userSearchQuery = z.strictObject({
  q: z
    .string()
    .trim()
    .max(320)
    .meta({ description: 'A user id, or the start of an email address (at least 3 characters).' }),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

// Responses.
export const role = z.enum(ROLES.names);
export const mfa = z.enum(MFA_STATES.names).meta({
  id: 'MfaState',
  description:
    "Where the session stands with the second factor: `pending` until it is passed, `enrolment_required` when the account's role demands MFA and none is enrolled.",
});
export const timestamp = z.iso.datetime();
export const count = z.int().min(0);
export const recoveryCodes = z.object({
  recoveryCodes: z.array(z.string()).meta({ description: 'Shown once; only their hashes are kept.' }),
});
export const accepted = z.object({ detail: z.string() });
export const userSummary = z
  .object({
    userId: z.uuid(),
    email: z.string(),
    displayName: z.string(),
    role,
    emailVerified: z.boolean(),
    mfaEnabled: z.boolean().meta({ description: 'The account has confirmed TOTP.' }),
    disabled: z.boolean(),
    plan: z.string().meta({ description: 'The plan auth last heard of from billing.' }),
    createdAt: timestamp,
  })
  .meta({ id: 'UserSummary', description: 'An account as an admin sees it; never a secret.' });

/**
 * A new session: its token in the body (bearer), or in a cookie with a CSRF token in the body
 * (cookie). Two whole objects rather than an intersection: each forbids unknown fields.
 */
export const newSession = <F extends z.ZodRawShape>(fields: F) => {
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
export const sessionCookieHeader = {
  'Set-Cookie': `In cookie mode: the ${SESSION_COOKIE} session cookie (HttpOnly, Secure, SameSite=Strict).`,
};
