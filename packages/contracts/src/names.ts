import { MfaState, Role } from '@tracking/proto/tracking/auth/v1/auth';

/**
 * A proto enum and the names everything outside gRPC uses for its values: the REST API's JSON,
 * the databases' columns and CHECKs, event bodies and log fields. Both directions come from one
 * list of pairs, so a value added to the proto and not named here has no name anywhere, and a
 * test fails rather than one service quietly disagreeing with another. The `*_UNSPECIFIED` value
 * (0, what a sender that left the field out sends) never has a name.
 */
export interface EnumNames<E extends number, N extends string> {
  /** Every name, in the order of the pairs (the order the API documents them in). */
  readonly names: readonly [N, ...N[]];
  /** The name of a value; undefined for UNSPECIFIED and for a value this build does not know. */
  nameOf(value: E): N | undefined;
  /** The name of a value; throws for a value without one, which is a fault between two services. */
  name(value: E): N;
  /** The enum value of a name. */
  valueOf(name: N): E;
  /** `text` as a name, if it is one: for strings from outside the type system (SQL rows, old messages). */
  parse(text: string): N | undefined;
}

function enumNames<E extends number, const N extends string>(
  what: string,
  pairs: readonly [readonly [E, N], ...(readonly [E, N])[]],
): EnumNames<E, N> {
  const byValue = new Map<E, N>(pairs);
  const byName = new Map<string, E>(pairs.map(([value, name]) => [name, value]));
  const names = pairs.map(([, name]) => name) as [N, ...N[]];
  const parse = (text: string): N | undefined => (byName.has(text) ? (text as N) : undefined);
  return {
    names,
    nameOf: (value) => byValue.get(value),
    name(value) {
      const name = byValue.get(value);
      if (name === undefined) throw new Error(`no ${what} is numbered ${String(value)}`);
      return name;
    },
    valueOf(name) {
      const value = byName.get(name);
      // Unreachable for a typed caller; kept so an untyped one fails loudly instead of sending 0.
      if (value === undefined) throw new Error(`no ${what} is named ${JSON.stringify(name)}`);
      return value;
    },
    parse,
  };
}

/** The roles of tracking.auth.v1.Role: what docs/rbac.md's matrix grants, and the principal's `role`. */
export const ROLES = enumNames('role', [
  [Role.ROLE_CLIENT, 'client'],
  [Role.ROLE_TRAINER, 'trainer'],
  [Role.ROLE_ADMIN, 'admin'],
]);
export type RoleName = (typeof ROLES.names)[number];

/** Where a session stands with the second factor (tracking.auth.v1.MfaState). */
export const MFA_STATES = enumNames('MFA state', [
  [MfaState.MFA_STATE_NOT_ENROLLED, 'not_enrolled'],
  [MfaState.MFA_STATE_PENDING, 'pending'],
  [MfaState.MFA_STATE_VERIFIED, 'verified'],
  [MfaState.MFA_STATE_ENROLMENT_REQUIRED, 'enrolment_required'],
]);
export type MfaStateName = (typeof MFA_STATES.names)[number];
