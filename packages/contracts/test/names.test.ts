import { MfaState, Role } from '@tracking/proto/tracking/auth/v1/auth';
import {
  EstimateStatus,
  LinkStatus,
  MealType,
  ReviewStatus,
} from '@tracking/proto/tracking/tracking/v1/tracking';

import {
  ESTIMATE_STATUSES,
  LINK_STATUSES,
  MEAL_TYPES,
  MFA_STATES,
  REVIEW_STATUSES,
  ROLES,
  type EnumNames,
} from '../src';

/** The values a sender can mean: not UNSPECIFIED (0) and not ts-proto's UNRECOGNIZED (-1). */
const meaningful = (proto: Record<string, string | number>) =>
  Object.values(proto).filter((value): value is number => typeof value === 'number' && value > 0);

const maps: [string, Record<string, string | number>, EnumNames<number, string>][] = [
  ['Role', Role, ROLES],
  ['MfaState', MfaState, MFA_STATES],
  ['MealType', MealType, MEAL_TYPES],
  ['EstimateStatus', EstimateStatus, ESTIMATE_STATUSES],
  ['LinkStatus', LinkStatus, LINK_STATUSES],
  ['ReviewStatus', ReviewStatus, REVIEW_STATUSES],
];

describe.each(maps)('the names of %s', (_enum, proto, names) => {
  test('every value a sender can mean has one name, and the name leads back to it', () => {
    const values = meaningful(proto);
    expect(values.map((value) => names.valueOf(names.name(value)))).toEqual(values);
    expect(new Set(names.names).size).toBe(values.length);
  });

  test('UNSPECIFIED has no name, so a field left out is never read as a real value', () => {
    expect(names.nameOf(0)).toBeUndefined();
    expect(() => names.name(0)).toThrow(/numbered 0/);
  });

  test('a string that is not a name is refused, never mapped to UNSPECIFIED', () => {
    expect(names.parse('Breakfast ')).toBeUndefined();
    expect(() => names.valueOf('')).toThrow(/named ""/);
  });
});

describe('reading a field that replaced a string', () => {
  test('the enum wins when it is set', () => {
    expect(MEAL_TYPES.read(MealType.MEAL_TYPE_DINNER, 'lunch')).toBe('dinner');
  });

  test('a sender older than the enum leaves it UNSPECIFIED, and its string is read instead', () => {
    expect(MEAL_TYPES.read(MealType.MEAL_TYPE_UNSPECIFIED, 'snack')).toBe('snack');
    expect(LINK_STATUSES.read(LinkStatus.LINK_STATUS_UNSPECIFIED, 'expired')).toBe('expired');
  });

  test('neither an enum value nor a known string is a fault between services, and throws', () => {
    expect(() => ESTIMATE_STATUSES.read(EstimateStatus.ESTIMATE_STATUS_UNSPECIFIED, 'done')).toThrow(
      'no estimate status is numbered 0 or named "done"',
    );
  });
});

test('the API names stay the strings clients already send', () => {
  expect(MEAL_TYPES.names).toEqual(['breakfast', 'lunch', 'dinner', 'snack', 'drink', 'other']);
  expect(ESTIMATE_STATUSES.names).toEqual(['pending', 'estimated', 'failed']);
  expect(LINK_STATUSES.names).toEqual(['pending', 'active', 'ended', 'declined', 'expired']);
  expect(REVIEW_STATUSES.names).toEqual(['requested', 'ready', 'failed']);
  expect(ROLES.names).toEqual(['client', 'trainer', 'admin']);
  expect(MFA_STATES.names).toEqual(['not_enrolled', 'pending', 'verified', 'enrolment_required']);
});
