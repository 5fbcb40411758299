import { randomUUID } from 'node:crypto';
import path from 'node:path';

import pg from 'pg';

import { entryHash, GENESIS_HASH } from '@tracking/contracts';
import { createTestDatabase, infraEnv, type TestDatabase } from '@tracking/testing';

import { verifyAuditChain, type AuditRow } from '../src/audit-chain';
import { chainHead } from '../src/postgres';

describe('the audit chain check on a real audit database', () => {
  let db: TestDatabase;
  let admin: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase(path.join(__dirname, '..', '..', 'audit', 'migrations'));
    admin = new pg.Client({ connectionString: adminUrlOf(db.database) });
    await admin.connect();
    let prevHash = GENESIS_HASH;
    for (let index = 1; index <= 25; index++) {
      const row: AuditRow = {
        sequence: String(index),
        event_id: randomUUID(),
        occurred_at: new Date(Date.UTC(2026, 5, 30, 2, 0, index)).toISOString(),
        recorded_at: new Date(Date.UTC(2026, 5, 30, 2, 0, index, 250)).toISOString(),
        actor_service: 'backup',
        actor_user_id: null,
        actor_role: null,
        action: 'backup.completed',
        subject_type: 'database',
        subject_id: `db-${index}`,
        tenant: null,
        outcome: 'success',
        source_ip: null,
        user_agent: null,
        correlation_id: `corr-${index}`,
        prev_hash: prevHash,
        hash: '',
      };
      // Hashed as the audit service appends (the kit's definition of the chain).
      row.hash = entryHash(prevHash, {
        sequence: BigInt(index),
        eventId: row.event_id,
        occurredAt: new Date(row.occurred_at),
        recordedAt: new Date(row.recorded_at),
        actorService: row.actor_service,
        actorUserId: null,
        actorRole: null,
        action: row.action,
        subjectType: row.subject_type,
        subjectId: row.subject_id,
        tenant: null,
        outcome: row.outcome,
        sourceIp: null,
        userAgent: null,
        correlationId: row.correlation_id,
      });
      prevHash = row.hash;
      await admin.query(
        `INSERT INTO audit_entry (sequence, event_id, occurred_at, recorded_at, actor_service, action, subject_type,
                                  subject_id, outcome, correlation_id, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          row.sequence,
          row.event_id,
          row.occurred_at,
          row.recorded_at,
          row.actor_service,
          row.action,
          row.subject_type,
          row.subject_id,
          row.outcome,
          row.correlation_id,
          row.prev_hash,
          row.hash,
        ],
      );
    }
  });

  afterAll(async () => {
    await admin.end();
    await db.drop();
  });

  test('walks a chain longer than a page in sequence order (10 after 9, not after 1) and ends at its head', async () => {
    const result = await verifyAuditChain(admin, 7);
    const { rows } = await admin.query<{ hash: string }>('SELECT hash FROM audit_entry WHERE sequence = 25');
    expect(result).toEqual({ intact: true, entries: 25, head: { sequence: '25', hash: rows[0]?.hash } });
    // What a manifest records as the head, read the same way.
    expect(await chainHead(admin)).toEqual({ sequence: '25', hash: rows[0]?.hash });
  });

  test('finds an edited entry, as an attacker with superuser rights would leave it', async () => {
    await admin.query('ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_update_delete');
    try {
      await admin.query("UPDATE audit_entry SET outcome = 'failure' WHERE sequence = 12");
      expect(await verifyAuditChain(admin, 7)).toEqual({
        intact: false,
        entries: 11,
        brokenAt: '12',
        reason: 'hash_mismatch',
      });
      await admin.query('DELETE FROM audit_entry WHERE sequence = 12');
      expect(await verifyAuditChain(admin, 7)).toMatchObject({
        intact: false,
        brokenAt: '12',
        reason: 'missing_entry',
      });
    } finally {
      await admin.query('ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_no_update_delete');
    }
  });
});

function adminUrlOf(database: string): string {
  const url = new URL(infraEnv().adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
