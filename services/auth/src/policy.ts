import type { Role } from './rbac';

export type Clock = () => Date;

/** Session lifetimes by role. The defaults are in config.ts and docs/auth.md. */
export interface SessionPolicy {
  idleMs: Record<Role, number>;
  absoluteMs: Record<Role, number>;
}

/** One throttle scope: failures before the first pause, the pause's growth, and when a run is forgotten. */
export interface ThrottleRule {
  /** Failures allowed before the first pause. */
  freeFailures: number;
  /** The first pause; each further failure doubles it, up to maxLockMs. */
  baseLockMs: number;
  maxLockMs: number;
  /** A run of failures ends this long after its last failure. */
  resetAfterMs: number;
  /** After this many consecutive failures only a password reset unlocks (NIST SP 800-63B §5.2.2: < 100). */
  hardLockAfter?: number;
}

export interface ThrottlePolicy {
  login: ThrottleRule;
  mfa: ThrottleRule;
  ip: ThrottleRule;
}

export interface AuthPolicy {
  sessions: SessionPolicy;
  throttle: ThrottlePolicy;
  /** Base of links in mails, e.g. https://app.example.com */
  publicBaseUrl: string;
  /** Issuer shown in authenticator apps. */
  totpIssuer: string;
}
