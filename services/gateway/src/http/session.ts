import { createHmac, timingSafeEqual } from 'node:crypto';

import { DomainError, sessionTokenMetadata, UnauthenticatedError } from '@tracking/kit';
import { parse as parseCookies } from 'cookie';
import type { CookieOptions, Request, Response } from 'express';

/**
 * `__Host-` binds the cookie to this exact origin: it must be Secure, have Path=/ and no
 * Domain, so a sibling subdomain can neither set nor read it.
 */
export const SESSION_COOKIE = '__Host-session';
export const CSRF_HEADER = 'x-csrf-token';

const cookieOptions = (expires: Date | undefined): CookieOptions => ({
  httpOnly: true,
  secure: true,
  sameSite: 'strict',
  path: '/',
  // The session's absolute end; the browser drops the cookie then, auth refuses it anyway.
  ...(expires ? { expires } : {}),
});

/**
 * The CSRF token of a cookie session: an HMAC of the session token. A page on another origin
 * can make the browser send the cookie but cannot read it, so it cannot compute this; the
 * gateway needs no state to check it, and it changes whenever the session token does.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('tracking csrf v1').digest('base64url');
}

export interface Credential {
  token: string;
  via: 'cookie' | 'bearer';
}

/** The caller's session token: an `Authorization: Bearer` header, else the session cookie. */
export function credentialOf(req: Request): Credential | undefined {
  const header = req.get('authorization');
  if (header) {
    const match = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(header);
    if (!match?.[1]) throw new UnauthenticatedError('malformed Authorization header');
    return { token: match[1], via: 'bearer' };
  }
  const cookies = parseCookies(req.get('cookie') ?? '');
  const token = cookies[SESSION_COOKIE];
  return token ? { token, via: 'cookie' } : undefined;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * gRPC metadata carrying the session to auth. A cookie session's state-changing request must
 * also carry the matching X-CSRF-Token (SameSite=Strict is the first defence, this the second).
 */
export function sessionMetadata(req: Request): ReturnType<typeof sessionTokenMetadata> {
  const credential = credentialOf(req);
  if (!credential) throw new UnauthenticatedError('sign in first');
  if (credential.via === 'cookie' && UNSAFE.has(req.method)) {
    const presented = Buffer.from(req.get(CSRF_HEADER) ?? '');
    const expected = Buffer.from(csrfTokenFor(credential.token));
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      throw new DomainError('permission_denied', 'missing or wrong X-CSRF-Token for a cookie session');
    }
  }
  return sessionTokenMetadata(credential.token);
}

/** Hands a new session to the caller: a bearer token in the body, or an HttpOnly cookie plus its CSRF token. */
export function deliverSession(
  res: Response,
  mode: 'cookie' | 'bearer',
  session: { token: string; absoluteExpiresAt?: Date | undefined },
): { token: string } | { csrfToken: string } {
  if (mode === 'bearer') return { token: session.token };
  res.cookie(SESSION_COOKIE, session.token, cookieOptions(session.absoluteExpiresAt));
  return { csrfToken: csrfTokenFor(session.token) };
}

export function clearSession(res: Response): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, secure: true, sameSite: 'strict', path: '/' });
}
