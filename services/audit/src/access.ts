import type { Metadata } from '@grpc/grpc-js';
import { ROLES } from '@tracking/contracts';
import {
  callUnary,
  SESSION_TOKEN_HEADER,
  sessionTokenMetadata,
  UnauthenticatedError,
  type Actor,
} from '@tracking/kit';
import type { AuthServiceClient } from '@tracking/proto/tracking/auth/v1/auth';

/** The permissions of docs/rbac.md that the audit service asks auth about. */
export type AuditPermission = 'audit.read' | 'users.manage';

/**
 * The caller, if their session holds the permission. The audit service does not take the
 * gateway's word for who is asking: it passes the session token it was given to auth, which
 * checks the session, the role and the second factor. Anything but a yes (no token, an expired
 * session, a missing permission or MFA, auth unreachable) fails the call, with auth's reason.
 */
export async function authorizeCaller(
  auth: AuthServiceClient,
  metadata: Metadata,
  permission: AuditPermission,
): Promise<Actor & { userId: string }> {
  const token = metadata.get(SESSION_TOKEN_HEADER)[0];
  if (typeof token !== 'string' || token === '') throw new UnauthenticatedError('sign in first');
  const caller = await callUnary(auth.authorize.bind(auth), { permission }, sessionTokenMetadata(token));
  return { service: 'audit', userId: caller.userId, role: ROLES.nameOf(caller.role) ?? null };
}
