import type { SqlExecutor } from '@tracking/kit';
import { toCsv, type CsvValue, type ExportFile } from '@tracking/kit/privacy';
import { z } from 'zod';

import { asActor, type PrismaClient, type Tx } from './db';

/**
 * Tracking's part in the privacy sagas (docs/privacy.md, #22): what it holds about a person, for
 * their export, and their erasure. Both are keyed by the person's user id only; tracking does not
 * know their role, so the export reads as each role they might have had, under the same
 * row-level security as every other read (a client's rows as that client, a trainer's links as
 * that trainer): an export can never show another person's rows.
 */

/** One table's rows, each as the table's columns (snake_case, as docs/data-inventory.yaml names them). */
export type ExportRow = Record<string, unknown>;

/**
 * The tables that go into the export, in the order the files are listed. Rows keep the table's
 * column order (json, not jsonb, which would sort them). Columns the inventory marks
 * `export: false` (a meal's idempotency key and digest) are left out in the SQL.
 * `daily_summary` is derived: each UTC day's sums of the client's (not deleted) meals.
 */
export const EXPORT_TABLES = [
  'meal',
  'metric',
  'goal',
  'daily_summary',
  'review',
  'comment',
  'trainer_link',
  'support_access',
] as const;
export type ExportTable = (typeof EXPORT_TABLES)[number];

const rowsSchema = z.array(z.record(z.string(), z.unknown()));

/** Runs one `SELECT coalesce(json_agg(...), '[]') AS rows` query and checks its shape. */
async function rowsOf(query: Promise<{ rows: unknown }[]>): Promise<ExportRow[]> {
  const [result] = await query;
  return rowsSchema.parse(result?.rows ?? []);
}

/** Everything tracking holds about `subjectId`, by table. */
export async function exportSubject(
  prisma: PrismaClient,
  subjectId: string,
): Promise<Record<ExportTable, ExportRow[]>> {
  const id = z.uuid().parse(subjectId);
  // As the client: their log, their goals and reviews, the comments on it, their side of links.
  const asClient = await asActor(prisma, { userId: id, role: 'client', verifiedEmail: null }, async (tx) => ({
    meal: await rowsOf(tx.$queryRaw`
      SELECT coalesce(json_agg(m ORDER BY m.eaten_at, m.id), '[]'::json) AS rows
        FROM (SELECT id, client_id, eaten_at, meal_type, description, photo_ref, version, calories,
                     protein_g, carbs_g, fat_g, estimate_source, estimated_at, estimated_version,
                     created_at, updated_at, deleted_at, estimate_status, estimate_failure,
                     estimate_items, estimate_confidence, estimate_model
                FROM meal WHERE client_id = ${id}::uuid) m`),
    metric: await rowsOf(tx.$queryRaw`
      SELECT coalesce(json_agg(x ORDER BY x.recorded_at, x.id), '[]'::json) AS rows
        FROM metric x WHERE x.client_id = ${id}::uuid`),
    goal: await rowsOf(tx.$queryRaw`
      SELECT coalesce(json_agg(g), '[]'::json) AS rows FROM goal g WHERE g.client_id = ${id}::uuid`),
    daily_summary: await rowsOf(dailySummaries(tx, id)),
    review: await rowsOf(tx.$queryRaw`
      SELECT coalesce(json_agg(r ORDER BY r.week_start, r.id), '[]'::json) AS rows
        FROM review r WHERE r.client_id = ${id}::uuid`),
    comment: await rowsOf(tx.$queryRaw`
      SELECT coalesce(json_agg(c ORDER BY c.created_at, c.id), '[]'::json) AS rows
        FROM comment c WHERE c.client_id = ${id}::uuid`),
    trainer_link: await rowsOf(tx.$queryRaw`
      SELECT coalesce(json_agg(l ORDER BY l.created_at, l.id), '[]'::json) AS rows
        FROM trainer_link l WHERE l.client_id = ${id}::uuid`),
  }));
  // As a trainer: their links and invitations, and the comments they wrote that they can still
  // read (on clients they coach now; a former client's log is no longer theirs to read).
  const asTrainer = await asActor(
    prisma,
    { userId: id, role: 'trainer', verifiedEmail: null },
    async (tx) => ({
      comment: await rowsOf(tx.$queryRaw`
      SELECT coalesce(json_agg(c ORDER BY c.created_at, c.id), '[]'::json) AS rows
        FROM comment c WHERE c.author_id = ${id}::uuid`),
      trainer_link: await rowsOf(tx.$queryRaw`
      SELECT coalesce(json_agg(l ORDER BY l.created_at, l.id), '[]'::json) AS rows
        FROM trainer_link l WHERE l.trainer_id = ${id}::uuid`),
    }),
  );
  // As an admin: the break-glass grants they opened.
  const support_access = await asActor(prisma, { userId: id, role: 'admin', verifiedEmail: null }, (tx) =>
    rowsOf(tx.$queryRaw`
      SELECT coalesce(json_agg(s ORDER BY s.created_at, s.id), '[]'::json) AS rows
        FROM support_access s WHERE s.admin_id = ${id}::uuid`),
  );
  return {
    ...asClient,
    comment: [...asClient.comment, ...asTrainer.comment],
    trainer_link: [...asClient.trainer_link, ...asTrainer.trainer_link],
    support_access,
  };
}

/** Each UTC day's meals, summed as the daily summary screen sums them (deleted meals left out). */
function dailySummaries(tx: Tx, clientId: string) {
  return tx.$queryRaw<{ rows: unknown }[]>`
    SELECT coalesce(json_agg(d ORDER BY d.day_utc), '[]'::json) AS rows
      FROM (SELECT (eaten_at AT TIME ZONE 'UTC')::date AS day_utc,
                   count(*)::int AS meals,
                   (count(*) FILTER (WHERE calories IS NULL))::int AS meals_unestimated,
                   coalesce(sum(calories), 0)::int AS calories,
                   coalesce(sum(protein_g), 0) AS protein_g,
                   coalesce(sum(carbs_g), 0) AS carbs_g,
                   coalesce(sum(fat_g), 0) AS fat_g
              FROM meal
             WHERE client_id = ${clientId}::uuid AND deleted_at IS NULL
             GROUP BY 1) d`;
}

/** A cell of a CSV: nested JSON (a meal's estimated items) as its JSON text. */
function cell(value: unknown): CsvValue {
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : (value as CsvValue);
}

/**
 * The export's files: `tracking.json` with every table (empty ones too), and one CSV per table
 * that has rows, its columns those of the rows (the inventory's names).
 */
export function exportFiles(tables: Record<ExportTable, ExportRow[]>): {
  files: ExportFile[];
  counts: Record<string, number>;
} {
  const files: ExportFile[] = [{ name: 'tracking.json', content: JSON.stringify(tables, null, 2) }];
  const counts: Record<string, number> = {};
  for (const name of EXPORT_TABLES) {
    const rows = tables[name];
    counts[name] = rows.length;
    const [first] = rows;
    if (!first) continue;
    const columns = Object.keys(first);
    const cells = rows.map((row) => Object.fromEntries(columns.map((column) => [column, cell(row[column])])));
    files.push({ name: `${name}.csv`, content: toCsv(columns, cells) });
  }
  return { files, counts };
}

const countsSchema = z.record(z.string(), z.number().int().nonnegative());

/**
 * Deletes everything tracking holds about `subjectId` (migrations/007, the contract's
 * ERASE_SUBJECT_FUNCTION), in the caller's transaction: the same function a restore re-applies
 * from the erasure ledger. Idempotent; the counts say what this call changed.
 */
export async function eraseSubject(sql: SqlExecutor, subjectId: string): Promise<Record<string, number>> {
  const id = z.uuid().parse(subjectId);
  const [row] = await sql.query<{ counts: unknown }>('SELECT privacy_erase_subject($1::uuid) AS counts', [
    id,
  ]);
  return countsSchema.parse(row?.counts);
}
