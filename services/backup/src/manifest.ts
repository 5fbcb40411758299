import { randomBytes } from 'node:crypto';

import { z } from 'zod';

/**
 * What the bucket holds, under the deployment's S3_PREFIX (docs/backup.md, "The bucket"):
 *
 *   backups/<db>/<backup id>.tbk      the encrypted dump (format.ts)
 *   manifests/<db>/<backup id>.json   its manifest, written only after the object is complete
 *   config/<run id>/<name>.tbk        critical configuration of that run, encrypted the same way
 *   drills/<db>/<drill id>.json       one record per restore drill
 *
 * Ids start with the UTC time, so a listing's last key is the newest.
 */
export const ID_PATTERN = /^\d{8}T\d{9}Z-[0-9a-f]{6}$/;
export const DATABASE_NAME = /^[a-z][a-z0-9_]{0,40}$/;

export function newId(at: Date = new Date()): string {
  const stamp = at.toISOString().replace(/[-:.]/g, ''); // 20260630T020000123Z
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export const layout = {
  object: (db: string, id: string) => `backups/${db}/${id}.tbk`,
  manifest: (db: string, id: string) => `manifests/${db}/${id}.json`,
  manifests: (db: string) => `manifests/${db}/`,
  backups: (db: string) => `backups/${db}/`,
  config: (runId: string, name: string) => `config/${runId}/${name}.tbk`,
  configs: () => 'config/',
  drill: (db: string, id: string) => `drills/${db}/${id}.json`,
  drills: (db: string) => `drills/${db}/`,
};

/** The id in a key made by `layout` (its file name without the extension). */
export function idOfKey(key: string): string {
  return (key.split('/').pop() ?? '').replace(/\.(json|tbk)$/, '');
}

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const timestamp = z.iso.datetime({ offset: true });

export const chainHeadSchema = z.object({ sequence: z.string().regex(/^\d+$/), hash: sha256 });
export type ChainHead = z.infer<typeof chainHeadSchema>;

export const storedObjectSchema = z.object({
  key: z.string(),
  versionId: z.string().nullable(),
  ciphertextBytes: z.number().int().min(0),
  ciphertextSha256: sha256,
});
export type StoredObject = z.infer<typeof storedObjectSchema>;

export const manifestSchema = z.object({
  manifestVersion: z.literal(1),
  backupId: z.string().regex(ID_PATTERN),
  database: z.string().regex(DATABASE_NAME),
  startedAt: timestamp,
  finishedAt: timestamp,
  object: storedObjectSchema,
  /** pg_dump's output (custom format, compressed by pg_dump) before encryption. */
  plaintextBytes: z.number().int().min(0),
  encryption: z.object({
    format: z.literal('TRKBKP01'),
    cipher: z.literal('AES-256-GCM'),
    chunkBytes: z.number().int().positive(),
    keyId: z.string(),
  }),
  /** The last applied migrations: the service's (schemaversion) and the kit's (kit_schemaversion). */
  schemaVersion: z.object({ service: z.string().nullable(), kit: z.string().nullable() }),
  serverVersion: z.string(),
  pgDumpVersion: z.string(),
  tool: z.object({ name: z.string(), version: z.string() }),
  /** Rows per table, `schema.table`, counted in the snapshot pg_dump dumped. */
  rowCounts: z.record(z.string(), z.number().int().min(0)),
  /** The audit chain's last entry when the backup ran (for the audit database: in its snapshot). */
  auditChainHead: chainHeadSchema.nullable(),
  /** The critical configuration backed up in the same run. */
  config: z.object({ runId: z.string(), objects: z.array(storedObjectSchema.extend({ name: z.string() })) }),
});
export type Manifest = z.infer<typeof manifestSchema>;

export const drillCheckSchema = z.object({
  name: z.string(),
  ok: z.boolean(),
  detail: z.string(),
  /** The erasure ledger check only: how many ledger entries the drill re-applied. */
  erasuresReapplied: z.number().int().min(0).optional(),
});
export type DrillCheck = z.infer<typeof drillCheckSchema>;

export const drillRecordSchema = z.object({
  drillVersion: z.literal(1),
  drillId: z.string().regex(ID_PATTERN),
  database: z.string().regex(DATABASE_NAME),
  /** null when there was no backup to restore: that is a failed drill too. */
  backupId: z.string().nullable(),
  startedAt: timestamp,
  finishedAt: timestamp,
  ok: z.boolean(),
  error: z.string().nullable(),
  /** Wall time from the start of the drill to a restored and verified database. */
  rtoSeconds: z.number().min(0),
  /** Age of the restored backup when the drill started; null without one. */
  rpoSeconds: z.number().min(0).nullable(),
  checks: z.array(drillCheckSchema),
});
export type DrillRecord = z.infer<typeof drillRecordSchema>;
