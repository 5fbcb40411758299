import { ROLES, type MfaStateName, type RoleName } from '@tracking/contracts';

/**
 * Who may do what: the one place that decides. docs/rbac.md renders this matrix for people;
 * a test keeps the two in step.
 */
export type Role = RoleName;

export function isRole(value: string): value is Role {
  return ROLES.parse(value) !== undefined;
}

/** Permission → the roles that hold it. Least privilege: nothing is inherited implicitly. */
export const PERMISSIONS = {
  /** End the calling session. Every session may, even one that has not passed MFA yet. */
  'session.end': ['client', 'trainer', 'admin'],
  /** Read one's own account and sessions. */
  'account.read': ['client', 'trainer', 'admin'],
  /** Change one's own password, email, MFA and sessions (each also asks for the password). */
  'account.manage': ['client', 'trainer', 'admin'],
  /** Log and read one's own meals and metrics (tracking service). */
  'tracking.own': ['client'],
  /**
   * Read the logs of one's linked clients, set their goals, comment, request reviews, invite
   * and end links (tracking service; which clients is decided by row-level security).
   */
  'tracking.assigned_clients': ['trainer'],
  /** Aggregate activity counts, with no meal text and no client ids (tracking service). */
  'tracking.stats': ['admin'],
  /** Break-glass: open time-limited, audited read access to one client's logs (tracking service). */
  'tracking.support': ['admin'],
  /** Change roles, disable accounts, revoke another user's sessions, erase a person from the audit log. */
  'users.manage': ['admin'],
  /** Query, export and verify the audit log (audit service). */
  'audit.read': ['admin'],
  /** Choose a paid plan, open the billing portal and read one's own subscription (billing service). */
  'billing.manage': ['client', 'trainer'],
  /** Read any user's plan and subscription, for support; each read is audited (billing service). */
  'billing.read': ['admin'],
  /** See the backup runs and restore drills, with their RTO and RPO (backup service). */
  'backup.read': ['admin'],
} as const satisfies Record<string, readonly Role[]>;
export type Permission = keyof typeof PERMISSIONS;

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(PERMISSIONS, value);
}

/** Permissions that stay open to a session whose account must enrol in MFA but has not: enough to enrol. */
const OPEN_BEFORE_ENROLMENT: ReadonlySet<Permission> = new Set([
  'session.end',
  'account.read',
  'account.manage',
]);

/** Where a session stands with the second factor (tracking.auth.v1.MfaState, by name). */
export type MfaState = MfaStateName;

/**
 * The MFA policy, in one place: trainers, admins and every account on a paid plan must use a
 * second factor. `plan` comes from billing.plan.changed.v1.
 */
export function mfaRequired(user: { role: Role; plan: string }): boolean {
  return user.role !== 'client' || user.plan !== 'free';
}

export function mfaStateOf(
  session: { aal: number },
  user: { role: Role; plan: string; mfaEnabled: boolean },
) {
  if (session.aal >= 2) return 'verified' satisfies MfaState;
  if (user.mfaEnabled) return 'pending' satisfies MfaState;
  return (mfaRequired(user) ? 'enrolment_required' : 'not_enrolled') satisfies MfaState;
}

export type Decision = 'allow' | 'forbidden' | 'mfa_required';

export function decide(role: Role, mfa: MfaState, permission: Permission): Decision {
  if (!(PERMISSIONS[permission] as readonly Role[]).includes(role)) return 'forbidden';
  // An account with TOTP whose session has only the password can do nothing but finish
  // signing in (VerifyMfa checks the session itself) or sign out.
  if (mfa === 'pending' && permission !== 'session.end') return 'mfa_required';
  if (mfa === 'enrolment_required' && !OPEN_BEFORE_ENROLMENT.has(permission)) return 'mfa_required';
  return 'allow';
}
