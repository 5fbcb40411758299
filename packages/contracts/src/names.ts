import { MfaState, Role } from '@tracking/proto/tracking/auth/v1/auth';
import {
  EstimateStatus,
  LinkStatus,
  MealType,
  ReviewStatus,
} from '@tracking/proto/tracking/tracking/v1/tracking';

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
  readonly nameOf: (value: E) => N | undefined;
  /** The name of a value; throws for a value without one, which is a fault between two services. */
  readonly name: (value: E) => N;
  /**
   * The enum value of a name. Takes any string, for names read from a database row; throws for
   * one that is not a name, which a CHECK constraint on the column rules out.
   */
  readonly valueOf: (name: string) => E;
  /** `text` as a name, if it is one: for strings from outside the type system (SQL rows, old messages). */
  readonly parse: (text: string) => N | undefined;
  /**
   * The name a message carries in an enum field that replaced a string: the enum's, or, from a
   * sender older than the enum (which leaves it UNSPECIFIED), the deprecated string's. Throws if
   * neither is a name, like `name`.
   */
  readonly read: (value: E, legacy: string) => N;
}

/** `_proto`, the generated enum object, is there for the types: values are the enum, not the union of those listed. */
function enumNames<T extends Record<string, string | number>, const N extends string>(
  _proto: T,
  what: string,
  pairs: readonly [
    readonly [Extract<T[keyof T], number>, N],
    ...(readonly [Extract<T[keyof T], number>, N])[],
  ],
): EnumNames<Extract<T[keyof T], number>, N> {
  type E = Extract<T[keyof T], number>;
  const byValue = new Map<E, N>(pairs);
  const byName = new Map<string, E>(pairs.map(([value, name]) => [name, value]));
  const names = pairs.map(([, name]) => name) as [N, ...N[]];
  const parse = (text: string): N | undefined => (byName.has(text) ? (text as N) : undefined);
  return {
    names,
    nameOf: (value) => byValue.get(value),
    name: (value) => {
      const name = byValue.get(value);
      if (name === undefined) throw new Error(`no ${what} is numbered ${String(value)}`);
      return name;
    },
    valueOf: (name) => {
      const value = byName.get(name);
      // A CHECK on the column rules this out; fail loudly rather than send UNSPECIFIED.
      if (value === undefined) throw new Error(`no ${what} is named ${JSON.stringify(name)}`);
      return value;
    },
    parse,
    read: (value, legacy) => {
      const name = byValue.get(value) ?? parse(legacy);
      if (name === undefined)
        throw new Error(`no ${what} is numbered ${String(value)} or named ${JSON.stringify(legacy)}`);
      return name;
    },
  };
}

/** The roles of tracking.auth.v1.Role: what docs/rbac.md's matrix grants, and the principal's `role`. */
export const ROLES = enumNames(Role, 'role', [
  [Role.ROLE_CLIENT, 'client'],
  [Role.ROLE_TRAINER, 'trainer'],
  [Role.ROLE_ADMIN, 'admin'],
]);
export type RoleName = (typeof ROLES.names)[number];

/** Where a session stands with the second factor (tracking.auth.v1.MfaState). */
export const MFA_STATES = enumNames(MfaState, 'MFA state', [
  [MfaState.MFA_STATE_NOT_ENROLLED, 'not_enrolled'],
  [MfaState.MFA_STATE_PENDING, 'pending'],
  [MfaState.MFA_STATE_VERIFIED, 'verified'],
  [MfaState.MFA_STATE_ENROLMENT_REQUIRED, 'enrolment_required'],
]);
export type MfaStateName = (typeof MFA_STATES.names)[number];

/** What a meal was (tracking.tracking.v1.MealType); tracking's migration 001 CHECKs the same list. */
export const MEAL_TYPES = enumNames(MealType, 'meal type', [
  [MealType.MEAL_TYPE_BREAKFAST, 'breakfast'],
  [MealType.MEAL_TYPE_LUNCH, 'lunch'],
  [MealType.MEAL_TYPE_DINNER, 'dinner'],
  [MealType.MEAL_TYPE_SNACK, 'snack'],
  [MealType.MEAL_TYPE_DRINK, 'drink'],
  [MealType.MEAL_TYPE_OTHER, 'other'],
]);
export type MealTypeName = (typeof MEAL_TYPES.names)[number];

/** Where a meal's estimate stands (tracking.tracking.v1.EstimateStatus). */
export const ESTIMATE_STATUSES = enumNames(EstimateStatus, 'estimate status', [
  [EstimateStatus.ESTIMATE_STATUS_PENDING, 'pending'],
  [EstimateStatus.ESTIMATE_STATUS_ESTIMATED, 'estimated'],
  [EstimateStatus.ESTIMATE_STATUS_FAILED, 'failed'],
]);
export type EstimateStatusName = (typeof ESTIMATE_STATUSES.names)[number];

/** Where a trainer–client link stands (tracking.tracking.v1.LinkStatus). */
export const LINK_STATUSES = enumNames(LinkStatus, 'link status', [
  [LinkStatus.LINK_STATUS_PENDING, 'pending'],
  [LinkStatus.LINK_STATUS_ACTIVE, 'active'],
  [LinkStatus.LINK_STATUS_ENDED, 'ended'],
  [LinkStatus.LINK_STATUS_DECLINED, 'declined'],
  [LinkStatus.LINK_STATUS_EXPIRED, 'expired'],
]);
export type LinkStatusName = (typeof LINK_STATUSES.names)[number];

/** Where a weekly review stands (tracking.tracking.v1.ReviewStatus). */
export const REVIEW_STATUSES = enumNames(ReviewStatus, 'review status', [
  [ReviewStatus.REVIEW_STATUS_REQUESTED, 'requested'],
  [ReviewStatus.REVIEW_STATUS_READY, 'ready'],
  [ReviewStatus.REVIEW_STATUS_FAILED, 'failed'],
]);
export type ReviewStatusName = (typeof REVIEW_STATUSES.names)[number];
