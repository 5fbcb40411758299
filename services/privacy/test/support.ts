import path from 'node:path';
import { Readable } from 'node:stream';

import type { ErasureLedgerEntry, ExportPartFile, PrivacyParticipant } from '@tracking/contracts';
import { createMetrics, createPool } from '@tracking/kit';
import { captureLogger, createTestDatabase, type TestDatabase } from '@tracking/testing';
import type pg from 'pg';

import type { ExportAssembly } from '../src/exports';
import type { ErasureLedger } from '../src/ledger';
import { createPrivacyMetrics } from '../src/metrics';
import type { Caller, PrivacyDeps } from '../src/requests';

export const APP = 'https://tracking.example';

/** An in-memory ledger that can be made to "crash" right after its write reached the store. */
export class MemoryLedger implements ErasureLedger {
  readonly entries = new Map<string, ErasureLedgerEntry>();
  writes = 0;
  crashAfterNextWrite = false;
  record(entry: ErasureLedgerEntry): Promise<void> {
    this.entries.set(entry.subjectId, entry);
    this.writes += 1;
    if (this.crashAfterNextWrite) {
      this.crashAfterNextWrite = false;
      return Promise.reject(new Error('the process died after the ledger write'));
    }
    return Promise.resolve();
  }
  read(subjectId: string) {
    return Promise.resolve(this.entries.get(subjectId));
  }
  close() {}
}

/** An export store stand-in: the "ZIP" is the list of files it was given. */
export class MemoryExports implements ExportAssembly {
  readonly objects = new Map<string, Buffer>();
  failNext = false;
  assemble(input: {
    requestId: string;
    subjectId: string;
    files: Partial<Record<PrivacyParticipant, ExportPartFile[]>>;
  }) {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('the store is down'));
    }
    const key = `exports/${input.requestId}/export.zip.age`;
    const body = Buffer.from(JSON.stringify(input.files));
    this.objects.set(key, body);
    return Promise.resolve({ objectKey: key, sizeBytes: body.length });
  }
  openDownload(objectKey: string) {
    const body = this.objects.get(objectKey);
    return body ? Promise.resolve(Readable.from([body])) : Promise.reject(new Error('no such object'));
  }
  remove(objectKey: string) {
    this.objects.delete(objectKey);
    return Promise.resolve();
  }
  close() {}
}

export interface SagaFixture {
  db: TestDatabase;
  pool: pg.Pool;
  deps: PrivacyDeps;
  ledger: MemoryLedger;
  exports: MemoryExports;
  registry: ReturnType<typeof createMetrics>;
  /** The outbox's events, oldest first: what the relay would publish. */
  outbox(): Promise<{ topic: string; key: string | null; type: string; data: Record<string, unknown> }[]>;
  /** Moves every time of a request back, as if `ms` had passed. */
  age(requestId: string, column: 'scheduled_for' | 'expires_at', ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function sagaFixture(options: { coolingOffMs?: number } = {}): Promise<SagaFixture> {
  const db = await createTestDatabase(path.join(__dirname, '..', 'migrations'));
  const pool = createPool(db.appUrl, { max: 4 });
  const { log } = captureLogger('privacy');
  const registry = createMetrics();
  const ledger = new MemoryLedger();
  const exports = new MemoryExports();
  const deps: PrivacyDeps = {
    pool,
    log,
    metrics: createPrivacyMetrics(registry.registry, pool),
    ledger,
    exports,
    policy: { appOrigin: APP, coolingOffMs: options.coolingOffMs ?? 3_600_000, exportTtlMs: 7 * 86_400_000 },
  };
  const owner = createPool(db.migratorUrl, { max: 1 });
  return {
    db,
    pool,
    deps,
    ledger,
    exports,
    registry,
    async outbox() {
      const { rows } = await pool.query<{
        topic: string;
        message_key: string | null;
        payload: { type: string; data: Record<string, unknown> };
      }>('SELECT topic, message_key, payload FROM outbox ORDER BY id');
      return rows.map((row) => ({
        topic: row.topic,
        key: row.message_key,
        type: row.payload.type,
        data: row.payload.data,
      }));
    },
    async age(requestId, column, ms) {
      await owner.query(
        `UPDATE privacy_request SET ${column} = ${column} - $2::bigint * interval '1 millisecond' WHERE id = $1`,
        [requestId, ms],
      );
    },
    async close() {
      await owner.end();
      await pool.end();
      await db.drop();
    },
  };
}

export const client = (userId: string): Caller => ({ userId, role: 'client' });
export const admin = (userId: string): Caller => ({ userId, role: 'admin' });
