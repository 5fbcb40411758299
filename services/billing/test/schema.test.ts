import { randomUUID } from 'node:crypto';
import path from 'node:path';

import { createTestDatabase, type TestDatabase } from '@tracking/testing';
import pg from 'pg';

/**
 * The security page promises that billing holds Stripe ids and never card data. This proves
 * the schema cannot hold a card number: every column of billing's tables is of a type that
 * cannot (uuid, timestamptz, boolean, integer), or is text whose checks refuse each of these
 * ways of writing one, alone or inside an id-shaped value.
 */
const CARD_NUMBERS = [
  '4242424242424242',
  '4242 4242 4242 4242',
  '4242-4242-4242-4242',
  '378282246310005',
  'pm_4242424242424242',
  'cus_4242424242424242',
  'sub_4000056655665556',
  'evt_5555555555554444',
  'price_6011111111111117',
  'card_4242424242424242',
];

/** Types whose values cannot spell 13 or more digits. */
const SAFE_TYPES = new Set(['uuid', 'timestamp with time zone', 'boolean', 'integer']);

/** The kit's tables, which every service shares; docs/billing.md says what they carry. */
const KIT_TABLES = new Set(['outbox', 'processed_event', 'schemaversion', 'kit_schemaversion']);

/** A valid row of each table (with what it references), to vary one column at a time. */
const VALID: Record<
  string,
  (userId: string) => { setup?: [string, unknown[]]; row: Record<string, unknown> }
> = {
  customer: (userId) => ({ row: { user_id: userId, stripe_customer_id: 'cus_ValidCustomer' } }),
  subscription: (userId) => ({
    setup: [
      'INSERT INTO customer (user_id, stripe_customer_id) VALUES ($1, $2)',
      [userId, 'cus_ValidCustomer'],
    ],
    row: {
      user_id: userId,
      stripe_subscription_id: 'sub_ValidSubscription',
      stripe_price_id: 'price_ValidPrice',
      payment_method_ref: 'pm_ValidMethod',
      subscribed_plan: 'pro',
      plan: 'pro',
      status: 'active',
    },
  }),
  webhook_event: () => ({ row: { event_id: 'evt_ValidEvent', type: 'invoice.paid', outcome: 'processed' } }),
  checkout_session: (userId) => ({
    setup: [
      'INSERT INTO customer (user_id, stripe_customer_id) VALUES ($1, $2)',
      [userId, 'cus_ValidCustomer'],
    ],
    row: { user_id: userId, stripe_session_id: 'cs_test_ValidSession', plan: 'pro' },
  }),
};

let db: TestDatabase;
let owner: pg.Pool;
let columns: { table_name: string; column_name: string; data_type: string }[];

beforeAll(async () => {
  db = await createTestDatabase(path.join(__dirname, '..', 'migrations'));
  owner = new pg.Pool({ connectionString: db.migratorUrl, max: 2 });
  ({ rows: columns } = await owner.query(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
      WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
  ));
});

afterAll(async () => {
  await owner.end();
  await db.drop();
});

test('every billing table is known to this test, so a new one cannot slip past it', () => {
  const tables = new Set(
    columns.map((column) => column.table_name).filter((table) => !KIT_TABLES.has(table)),
  );
  expect([...tables].sort()).toEqual(Object.keys(VALID).sort());
});

test('no column is of a type that could hold a card number unchecked (json, bytea, bigint, numeric...)', () => {
  const unsafe = columns
    .filter((column) => !KIT_TABLES.has(column.table_name))
    .filter((column) => !SAFE_TYPES.has(column.data_type) && column.data_type !== 'text')
    .map((column) => `${column.table_name}.${column.column_name} (${column.data_type})`);
  expect(unsafe).toEqual([]);
});

test('the valid rows are accepted, so the refusals below are about the card number', async () => {
  for (const [table, make] of Object.entries(VALID)) {
    const client = await owner.connect();
    try {
      await client.query('BEGIN');
      const { setup, row } = make(randomUUID());
      if (setup) await client.query(...setup);
      const names = Object.keys(row);
      await client.query(
        `INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map((_, i) => `$${String(i + 1)}`).join(', ')})`,
        Object.values(row),
      );
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  }
});

test('every text column refuses a card number, however it is written', async () => {
  const textColumns = columns.filter(
    (column) => !KIT_TABLES.has(column.table_name) && column.data_type === 'text',
  );
  expect(textColumns.length).toBeGreaterThanOrEqual(8);
  const accepted: string[] = [];
  for (const { table_name: table, column_name: column } of textColumns) {
    for (const card of CARD_NUMBERS) {
      const client = await owner.connect();
      try {
        await client.query('BEGIN');
        const make = VALID[table];
        if (!make) throw new Error(`no valid row for ${table}`);
        const { setup, row } = make(randomUUID());
        if (setup) await client.query(...setup);
        const values = { ...row, [column]: card };
        const names = Object.keys(values);
        const outcome = await client
          .query(
            `INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map((_, i) => `$${String(i + 1)}`).join(', ')})`,
            Object.values(values),
          )
          .then(
            () => 'stored',
            (error: unknown) => (error as { code?: string }).code,
          );
        // 23514: check_violation, from the column's own check or its domain's.
        if (outcome !== '23514') accepted.push(`${table}.${column} = ${card} (${String(outcome)})`);
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    }
  }
  expect(accepted).toEqual([]);
});
