import type { ExportFile, StepCounts } from '@tracking/kit/privacy';
import { toCsv, type CsvValue } from '@tracking/kit/privacy';
import { z } from 'zod';

import type { Tx } from '../deps';

/**
 * Auth's part of a person's export (docs/data-inventory.yaml, database `auth`): every table the
 * inventory marks `export: true`, each row with its columns as the inventory names them, minus
 * the columns it marks `export: false`: never a password hash, a token digest, a TOTP secret or
 * a recovery code's digest. What is left of the second factor says whether it is set up and
 * since when, and how many recovery codes are left unused (`used_at` empty).
 *
 * `auth.json` holds every table; the lists a person may want in a spreadsheet (sessions, the
 * browsers and networks signed in from) are also CSV files.
 */
export const EXPORT_TABLES = [
  'users',
  'sessions',
  'sign_in_contexts',
  'totp_credentials',
  'recovery_codes',
  'privilege_actor',
] as const;
export type ExportTable = (typeof EXPORT_TABLES)[number];

type Row = Record<string, CsvValue>;
const rowsSchema = z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])));

/** The columns of each CSV file, in order (the same names as in auth.json and the inventory). */
const CSV_COLUMNS = {
  sessions: [
    'id',
    'aal',
    'ip',
    'user_agent',
    'created_at',
    'last_seen_at',
    'absolute_expires_at',
    'revoked_at',
    'revoked_reason',
  ],
  sign_in_contexts: ['kind', 'value', 'first_seen_at', 'last_seen_at'],
} as const satisfies Partial<Record<ExportTable, readonly string[]>>;

async function rows(query: Promise<{ rows: unknown }[]>): Promise<Row[]> {
  const [result] = await query;
  return rowsSchema.parse(result?.rows ?? []);
}

/** Everything auth holds about `subjectId`, by table (read in the caller's transaction). */
export async function exportTables(tx: Tx, subjectId: string): Promise<Record<ExportTable, Row[]>> {
  const id = z.uuid().parse(subjectId);
  return {
    users: await rows(tx.$queryRaw`
      SELECT coalesce(jsonb_agg(to_jsonb(u) - 'password_hash'), '[]'::jsonb) AS rows
        FROM users u WHERE u.id = ${id}::uuid`),
    sessions: await rows(tx.$queryRaw`
      SELECT coalesce(jsonb_agg(to_jsonb(s) - 'token_hash' ORDER BY s.created_at, s.id), '[]'::jsonb) AS rows
        FROM sessions s WHERE s.user_id = ${id}::uuid`),
    sign_in_contexts: await rows(tx.$queryRaw`
      SELECT coalesce(jsonb_agg(to_jsonb(c) ORDER BY c.kind, c.first_seen_at, c.value), '[]'::jsonb) AS rows
        FROM sign_in_contexts c WHERE c.user_id = ${id}::uuid`),
    totp_credentials: await rows(tx.$queryRaw`
      SELECT coalesce(jsonb_agg(to_jsonb(t) - 'secret_ciphertext' - 'last_used_step'), '[]'::jsonb) AS rows
        FROM totp_credentials t WHERE t.user_id = ${id}::uuid`),
    recovery_codes: await rows(tx.$queryRaw`
      SELECT coalesce(jsonb_agg(to_jsonb(r) - 'id' - 'salt' - 'code_hash' ORDER BY r.created_at, r.used_at),
                      '[]'::jsonb) AS rows
        FROM recovery_codes r WHERE r.user_id = ${id}::uuid`),
    privilege_actor: await rows(tx.$queryRaw`
      SELECT coalesce(jsonb_agg(to_jsonb(p)), '[]'::jsonb) AS rows
        FROM privilege_actor p WHERE p.actor_user_id = ${id}::uuid`),
  };
}

/** The export part's files: none when auth holds no account for the subject. */
export async function exportSubject(
  tx: Tx,
  subjectId: string,
): Promise<{ files: ExportFile[]; counts: StepCounts }> {
  const tables = await exportTables(tx, subjectId);
  const counts = Object.fromEntries(EXPORT_TABLES.map((table) => [table, tables[table].length]));
  if (tables.users.length === 0) return { files: [], counts };
  return {
    files: [
      { name: 'auth.json', content: `${JSON.stringify(tables, null, 2)}\n` },
      { name: 'sessions.csv', content: toCsv(CSV_COLUMNS.sessions, tables.sessions) },
      { name: 'sign_in_contexts.csv', content: toCsv(CSV_COLUMNS.sign_in_contexts, tables.sign_in_contexts) },
    ],
    counts,
  };
}
