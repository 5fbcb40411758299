import type { SqlExecutor } from '@tracking/kit';
import { toCsv, type ExportFile } from '@tracking/kit/privacy';
import { z } from 'zod';

/**
 * The AI service's part in the privacy sagas (docs/privacy.md, #22). It keeps no meal text and
 * no review at rest; what it holds about a person is their usage per UTC day (ai_usage: requests,
 * tokens and estimates, kept 7 days), which goes into their export and is deleted on erasure.
 */

/** A usage row as the table names its columns (docs/data-inventory.yaml). */
export const usageRowSchema = z.object({
  tenant_id: z.string(),
  day: z.string(),
  requests: z.number().int(),
  tokens: z.number().int(),
  estimates: z.number().int(),
});
export type UsageRow = z.infer<typeof usageRowSchema>;

/** The subject's usage rows, oldest day first. */
export async function exportSubject(sql: SqlExecutor, subjectId: string): Promise<{ ai_usage: UsageRow[] }> {
  const id = z.uuid().parse(subjectId);
  const rows = await sql.query(
    `SELECT tenant_id::text AS tenant_id, to_char(day, 'YYYY-MM-DD') AS day, requests,
            tokens::float8 AS tokens, estimates
       FROM ai_usage WHERE tenant_id = $1::uuid ORDER BY day`,
    [id],
  );
  return { ai_usage: z.array(usageRowSchema).parse(rows) };
}

/** The export's files: `ai-inference.json`, and `ai_usage.csv` when there is usage. */
export function exportFiles(part: { ai_usage: UsageRow[] }): {
  files: ExportFile[];
  counts: Record<string, number>;
} {
  const files: ExportFile[] = [{ name: 'ai-inference.json', content: JSON.stringify(part, null, 2) }];
  if (part.ai_usage.length > 0) {
    files.push({
      name: 'ai_usage.csv',
      content: toCsv(['tenant_id', 'day', 'requests', 'tokens', 'estimates'], part.ai_usage),
    });
  }
  return { files, counts: { ai_usage: part.ai_usage.length } };
}

const countsSchema = z.record(z.string(), z.number().int().nonnegative());

/**
 * Deletes what the service keeps about `subjectId` (migrations/003, the contract's
 * ERASE_SUBJECT_FUNCTION), in the caller's transaction: the same function a restore re-applies
 * from the erasure ledger. Idempotent; the counts say what this call deleted.
 */
export async function eraseSubject(sql: SqlExecutor, subjectId: string): Promise<Record<string, number>> {
  const id = z.uuid().parse(subjectId);
  const [row] = await sql.query<{ counts: unknown }>('SELECT privacy_erase_subject($1::uuid) AS counts', [
    id,
  ]);
  return countsSchema.parse(row?.counts);
}
