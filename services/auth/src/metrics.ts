import { SECURITY_EVENTS } from '@tracking/contracts';
import { createSecurityEvents, type Logger, type Metrics, type SecurityEvents } from '@tracking/kit';
import { Counter, Gauge } from 'prom-client';

/** How an admin's privilege change compares with their history (see actorHistory in users.ts). */
export const ACTOR_HISTORIES = ['regular', 'first_time', 'dormant'] as const;
export type ActorHistory = (typeof ACTOR_HISTORIES)[number];

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
      help: 'Role changes and account disables/enables made by admins, by kind and by how usual the admin making them is (regular, first_time, dormant).',
      labelNames: ['kind', 'actor'] as const,
      registers,
    }),
    sessionsRevoked: new Counter({
      name: 'auth_sessions_revoked_total',
      help: 'Sessions revoked, by reason.',
      labelNames: ['reason'] as const,
      registers,
    }),
    recoveryRequests: new Counter({
      name: 'auth_recovery_requests_total',
      help: 'Password-reset and email-change requests processed after the answer, by kind and outcome (sent, no_account, taken, locked, rate_limited).',
      labelNames: ['kind', 'outcome'] as const,
      registers,
    }),
    newDeviceSignIns: new Counter({
      name: 'auth_new_device_sign_ins_total',
      help: 'Sign-ins from a browser family or network new for the account, by whether the owner was mailed (notified, opted_out).',
      labelNames: ['outcome'] as const,
      registers,
    }),
  };
  // Every known label value starts at 0, so rate() and absent-series alerts see the series
  // before the first failure.
  for (const reason of ['bad_credentials', 'throttled']) auth.loginFailures.inc({ reason }, 0);
  for (const reason of ['invalid', 'replay', 'throttled']) auth.mfaFailures.inc({ reason }, 0);
  for (const scope of ['login', 'mfa', 'ip']) auth.lockouts.inc({ scope }, 0);
  for (const kind of ['reset_password', 'change_email'])
    for (const outcome of ['sent', 'no_account', 'taken', 'locked', 'rate_limited'])
      auth.recoveryRequests.inc({ kind, outcome }, 0);
  for (const outcome of ['notified', 'opted_out']) auth.newDeviceSignIns.inc({ outcome }, 0);
  for (const kind of ['role_client', 'role_trainer', 'role_admin', 'disabled', 'enabled'])
    for (const actor of ACTOR_HISTORIES) auth.privilegeChanges.inc({ kind, actor }, 0);
  return auth;
}
export type AuthMetrics = ReturnType<typeof createAuthMetrics>;

/** The security events auth records (docs/security-events.md): the `auth.*` ones. */
export function authSecurityEvents(log: Logger, metrics: Pick<Metrics, 'registry'>): SecurityEvents {
  return createSecurityEvents(
    { log, metrics },
    SECURITY_EVENTS.filter((event) => event.startsWith('auth.')),
  );
}

/**
 * Distinct login identities (email digests) with a failed attempt in the last 15 minutes,
 * counted from the shared throttle table at each scrape, so every replica reports the same
 * number. Many identities failing a few times each, below any lock, is credential stuffing
 * (AuthCredentialStuffing); a brute force on one account locks it instead.
 */
export function watchFailingIdentities(metrics: Pick<Metrics, 'registry'>, count: () => Promise<number>) {
  return new Gauge({
    name: 'auth_login_failing_identities',
    help: 'Distinct login identities with a failed (or not yet finished) attempt in the last 15 minutes.',
    registers: [metrics.registry],
    async collect() {
      // A failing database must not take every other metric down with this one: the last
      // value stands, and the readiness probe reports the database.
      await count().then(
        (identities) => this.set(identities),
        () => undefined,
      );
    },
  });
}
