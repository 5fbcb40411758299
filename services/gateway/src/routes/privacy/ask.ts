import { callUnary, DomainError, NotFoundError } from '@tracking/kit';
import type { Metadata } from '@grpc/grpc-js';
import type { PrivacyRequest } from '@tracking/proto/tracking/privacy/v1/privacy';

import type { GatewayDeps } from '../../deps';
import type { SessionMetadata } from '../../http/route';
import { principalFor } from '../principal';

/**
 * What every privacy route does before it calls the privacy service (docs/privacy.md). A
 * person acts for themselves under account.manage, which every role holds (a trainer's or an
 * admin's data is theirs to export too); an admin acts for someone else under users.manage,
 * which also asks for a verified second factor. The principal names the caller; the privacy
 * service decides whose requests they may see.
 */
export const ownPrincipal = (deps: GatewayDeps, session: SessionMetadata): Promise<Metadata> =>
  principalFor(deps, session, 'account.manage', 'privacy');

export const adminPrincipal = (deps: GatewayDeps, session: SessionMetadata): Promise<Metadata> =>
  principalFor(deps, session, 'users.manage', 'privacy');

/**
 * An admin acts only for an account that exists: an id with no account is a 404 before the
 * privacy service opens a request for nobody. Auth's FindUsers is the admin's lookup and records
 * it as a search with the admin as actor, so the audit log shows whom the admin looked up first.
 */
export async function existingUser(
  deps: GatewayDeps,
  session: SessionMetadata,
  userId: string,
): Promise<void> {
  const found = await callUnary(deps.auth.findUsers.bind(deps.auth), { query: userId, limit: 1 }, session);
  if (!found.users.some((user) => user.userId === userId)) throw new NotFoundError('no such user');
}

export type ConfirmPurpose = 'data_export' | 'data_export_download' | 'account_deletion';

/**
 * The re-entered password, and the TOTP code when the account has one, checked by auth with the
 * caller's own session: a stolen session alone can neither take a person's data nor delete them.
 * Failures count against the same throttle as sign-in, there and at the gateway (the routes are
 * on the auth budget, edge/rate-limit.ts).
 */
export async function confirmIdentity(
  deps: GatewayDeps,
  session: SessionMetadata,
  credentials: { currentPassword: string; code: string },
  purpose: ConfirmPurpose,
): Promise<void> {
  await callUnary(
    deps.auth.confirmIdentity.bind(deps.auth),
    { currentPassword: credentials.currentPassword, code: credentials.code, purpose },
    session,
  );
}

/** The request a response must carry; its absence is the privacy service's bug, not the caller's. */
export function present(request: PrivacyRequest | undefined): PrivacyRequest {
  if (!request) throw new DomainError('internal', 'the privacy service answered without the request');
  return request;
}

/** An export that is gone is, to its subject, the same as one that never was (#22: "after expiry, 404"). */
export function notFoundWhenExpired(error: unknown): never {
  if (error instanceof DomainError && error.code === 'failed_precondition') {
    throw new NotFoundError('no such export, or its download has expired');
  }
  throw error;
}
