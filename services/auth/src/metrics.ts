import type { Metrics } from '@tracking/kit';
import { Counter } from 'prom-client';

/** The auth service's security metrics. Every label value comes from a fixed set in this file's callers. */
export function createAuthMetrics(metrics: Metrics) {
  const registers = [metrics.registry];
  const auth = {
    ...metrics,
    logins: new Counter({
      name: 'auth_logins_total',
      help: 'Successful password logins.',
      registers,
    }),
    loginFailures: new Counter({
      name: 'auth_login_failures_total',
      help: 'Refused logins and password re-authentications, by reason (bad_credentials, throttled).',
      labelNames: ['reason'] as const,
      registers,
    }),
    mfaFailures: new Counter({
      name: 'auth_mfa_failures_total',
      help: 'Refused second-factor attempts, by reason (invalid, replay, throttled).',
      labelNames: ['reason'] as const,
      registers,
    }),
    lockouts: new Counter({
      name: 'auth_lockouts_total',
      help: 'Throttle locks started, by scope (login, mfa, ip).',
      labelNames: ['scope'] as const,
      registers,
    }),
    privilegeChanges: new Counter({
      name: 'auth_privilege_changes_total',
      help: 'Role changes and account disables/enables made by admins, by kind.',
      labelNames: ['kind'] as const,
      registers,
    }),
    sessionsRevoked: new Counter({
      name: 'auth_sessions_revoked_total',
      help: 'Sessions revoked, by reason.',
      labelNames: ['reason'] as const,
      registers,
    }),
  };
  // Every known label value starts at 0, so rate() and absent-series alerts see the series
  // before the first failure.
  for (const reason of ['bad_credentials', 'throttled']) auth.loginFailures.inc({ reason }, 0);
  for (const reason of ['invalid', 'replay', 'throttled']) auth.mfaFailures.inc({ reason }, 0);
  for (const scope of ['login', 'mfa', 'ip']) auth.lockouts.inc({ scope }, 0);
  for (const kind of ['role_client', 'role_trainer', 'role_admin', 'disabled', 'enabled'])
    auth.privilegeChanges.inc({ kind }, 0);
  return auth;
}
export type AuthMetrics = ReturnType<typeof createAuthMetrics>;
