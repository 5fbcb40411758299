import { MFA_STATES, ROLES } from '@tracking/contracts';
import type { Session } from '@tracking/proto/tracking/auth/v1/auth';
import type { Response } from 'express';

import { deliverSession } from '../../http/session';

/** From auth's messages to the API's JSON: role and MFA names, timestamps, new sessions. */

// A role or MFA state auth sends that the API has no name for is a fault between the two:
// `name` throws, and the caller sees a 500 that is logged.
export const roleOf = ROLES.name;
export const mfaOf = MFA_STATES.name;

export const iso = (date: Date | undefined) => {
  if (!date) throw new Error('auth left out a timestamp');
  return date.toISOString();
};

/** A new session as the API answers it; in cookie mode the token goes into the cookie, not the body. */
export function sessionBody(res: Response, mode: 'cookie' | 'bearer', session: Session | undefined) {
  if (!session) throw new Error('auth returned no session');
  return {
    sessionId: session.sessionId,
    mfa: mfaOf(session.mfa),
    idleExpiresAt: iso(session.idleExpiresAt),
    absoluteExpiresAt: iso(session.absoluteExpiresAt),
    ...deliverSession(res, mode, session),
  };
}
