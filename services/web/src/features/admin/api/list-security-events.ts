import { useQuery } from '@tanstack/react-query';

import { api, unwrap } from '../../../lib/api-client';
import { adminKeys } from './keys';

/**
 * The security events the audit log holds, by action: refused sign-ins (whose repeats make the
 * lock-outs) and replayed TOTP codes. Stripe webhooks that fail their signature never reach the
 * audit log (billing counts them in billing_webhooks_total and logs billing.webhook.rejected).
 */
export const SECURITY_ACTIONS = [
  { action: 'auth.login.failed', label: 'Refused sign-ins' },
  { action: 'auth.mfa.replay_rejected', label: 'Replayed two-step codes' },
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
