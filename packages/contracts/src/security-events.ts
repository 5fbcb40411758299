/**
 * Every security event any service records, by its stable name. The name is the `event` field
 * of the log line, the `event` label of the metrics and the key a runbook searches for; it is
 * never renamed (docs/security-events.md lists who records each and when). The kit's recorder
 * (`createSecurityEvents`) logs, counts and exemplifies them.
 */
export const SECURITY_EVENTS = [
  'edge.geo_blocked',
  'edge.admin_network_refused',
  'ratelimit.hit',
  'authn.rejected',
  'authz.denied',
  'auth.login.failed',
  'auth.lockout',
  'auth.mfa.failed',
  'auth.mfa.replay_rejected',
  'auth.role.changed',
  'auth.account.disabled',
  'auth.account.enabled',
  'audit.chain.broken',
  'billing.webhook.rejected',
  'kafka.refused',
] as const;
export type SecurityEventName = (typeof SECURITY_EVENTS)[number];

/** Logged at error rather than warn: each means evidence may already have been tampered with. */
export const SEVERE_SECURITY_EVENTS: readonly SecurityEventName[] = ['audit.chain.broken'];
