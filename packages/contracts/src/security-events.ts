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
  'http.refused',
  'grpc.refused',
] as const;
export type SecurityEventName = (typeof SECURITY_EVENTS)[number];

/** Logged at error rather than warn: each means evidence may already have been tampered with. */
export const SEVERE_SECURITY_EVENTS: readonly SecurityEventName[] = ['audit.chain.broken'];

/**
 * The audit actions that are security events, for the admin Operations screen's last 24 hours
 * (docs/web.md). Each is also an audit entry's action, so it is never renamed.
 * - `auth.account.locked`: a failed attempt paused an account (sign-in or second factor).
 * - `billing.webhook.rejected`: a delivery to the Stripe webhook path was not verifiably from
 *   Stripe; the subject is `stripe_webhook` with the reason as its id.
 * - `billing.webhook.rejections_unrecorded`: one entry per minute in which billing's limit left
 *   rejections out of the log; the subject id is how many.
 */
export const SECURITY_AUDIT_ACTIONS = {
  loginFailed: 'auth.login.failed',
  accountLocked: 'auth.account.locked',
  mfaReplayRejected: 'auth.mfa.replay_rejected',
  webhookRejected: 'billing.webhook.rejected',
  webhookRejectionsUnrecorded: 'billing.webhook.rejections_unrecorded',
} as const;
