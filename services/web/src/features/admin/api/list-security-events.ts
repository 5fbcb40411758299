import { useQuery } from '@tanstack/react-query';

import { api, unwrap } from '../../../lib/api-client';
import { adminKeys } from './keys';

/**
 * The security events the audit log holds, by action (an exact one, or a `prefix.*`): refused
 * sign-ins, the lock-outs some of them cause (auth.account.locked), replayed TOTP codes, and
 * Stripe webhook deliveries billing refused (billing.webhook.rejected, and
 * billing.webhook.rejections_unrecorded for a minute over billing's limit). The names are
 * SECURITY_AUDIT_ACTIONS in packages/contracts.
 */
export const SECURITY_ACTIONS = [
  { action: 'auth.account.locked', label: 'Lock-outs' },
  { action: 'auth.login.failed', label: 'Refused sign-ins' },
  { action: 'auth.mfa.replay_rejected', label: 'Replayed two-step codes' },
  { action: 'billing.webhook.*', label: 'Refused Stripe webhooks' },
] as const;

export async function listSecurityEvents(now = new Date()) {
  const from = new Date(now.getTime() - 24 * 3600_000).toISOString();
  const pages = await Promise.all(
    SECURITY_ACTIONS.map(({ action }) =>
      unwrap(
        api.GET('/api/v1/admin/audit/entries', {
          params: { query: { action, from, order: 'newest', limit: 100 } },
        }),
      ),
    ),
  );
  return SECURITY_ACTIONS.map((kind, index) => ({
    ...kind,
    entries: pages[index]?.entries ?? [],
    more: Boolean(pages[index]?.nextCursor),
    from,
  }));
}

export const useSecurityEvents = () =>
  useQuery({ queryKey: adminKeys.securityEvents, queryFn: () => listSecurityEvents() });
