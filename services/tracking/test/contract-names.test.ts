import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { ESTIMATE_STATUSES, LINK_STATUSES, MEAL_TYPES, REVIEW_STATUSES } from '@tracking/contracts';

/**
 * The database keeps its own list of each name in a CHECK (a constraint cannot import), so these
 * tests hold each list to the contract's: a name added to one and not the other fails here, not
 * as a constraint violation on a client's meal.
 */
const MIGRATIONS = path.join(__dirname, '..', 'migrations');
const sql = readdirSync(MIGRATIONS)
  .filter((file) => file.endsWith('.sql'))
  .sort()
  .map((file) => readFileSync(path.join(MIGRATIONS, file), 'utf8'))
  .join('\n');

/** The values the newest `CHECK (column IN (...))` on `table` allows, in its CREATE TABLE or an ALTER TABLE. */
function allowed(table: string, column: string): string[] {
  const statements = sql
    .split(/;\s*$/m)
    .filter((statement) => new RegExp(`^\\s*(CREATE|ALTER) TABLE ${table}\\b`, 'm').test(statement));
  const checks = statements.flatMap((statement) => [
    ...statement.matchAll(new RegExp(`CHECK \\(${column} IN \\(([^)]*)\\)\\)`, 'g')),
  ]);
  const list = checks.at(-1)?.[1];
  if (list === undefined) throw new Error(`no migration CHECKs ${table}.${column} against a list`);
  return [...list.matchAll(/'([^']*)'/g)].map((match) => match[1] ?? '');
}

test("the meal table allows exactly the contract's meal types", () => {
  expect(allowed('meal', 'meal_type')).toEqual(MEAL_TYPES.names);
});

test("the meal table allows exactly the contract's estimate statuses", () => {
  expect(allowed('meal', 'estimate_status')).toEqual(ESTIMATE_STATUSES.names);
});

test('a link is stored with every status of the contract but expired, which is worked out when it is read', () => {
  expect(allowed('trainer_link', 'status')).toEqual(LINK_STATUSES.names.filter((name) => name !== 'expired'));
});

test("the review table allows exactly the contract's review statuses", () => {
  expect(allowed('review', 'status')).toEqual(REVIEW_STATUSES.names);
});
