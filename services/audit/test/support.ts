import { randomBytes } from 'node:crypto';

import { Keyring, newEvent, type Actor } from '@tracking/kit';
import { ListEntriesRequest } from '@tracking/proto/tracking/audit/v1/audit';
import { infraEnv } from '@tracking/testing';
import pg from 'pg';

/** A key-encryption keyring of one fresh random key, as ENCRYPTION_KEYS would give. */
export function testKeyring(): Keyring {
  return new Keyring(new Map([['test', randomBytes(32)]]), 'test');
}

/** A ListEntries request with every field at its proto default (no filter) but those given. */
export function listQuery(fields: Partial<ListEntriesRequest> = {}): ListEntriesRequest {
  return { ...ListEntriesRequest.decode(new Uint8Array()), ...fields };
}

/** An audit event like the ones services emit, numbered so entries differ. */
export function auditEvent(
  index: number,
  overrides: { actor?: Partial<Actor>; sourceIp?: string | null; userAgent?: string | null } = {},
) {
  return newEvent({
    type: 'audit.recorded',
    actor: { service: 'test', userId: null, role: null, ...overrides.actor },
    data: {
      action: 'test.thing.done',
      subject: { type: 'thing', id: String(index) },
      outcome: 'success',
      sourceIp: overrides.sourceIp ?? null,
      userAgent: overrides.userAgent ?? null,
    },
  });
}

/** A superuser session on a test database: an attacker with full database access. */
export async function attackerOn(database: string): Promise<pg.Client> {
  const url = new URL(infraEnv().adminUrl);
  url.pathname = `/${database}`;
  const attacker = new pg.Client({ connectionString: url.toString() });
  await attacker.connect();
  return attacker;
}

/** Runs SQL as the attacker, with the append-only triggers switched off around it. */
export async function tamper(attacker: pg.Client, sql: string, params: unknown[] = []): Promise<void> {
  await attacker.query('ALTER TABLE audit_entry DISABLE TRIGGER USER');
  await attacker.query(sql, params);
  await attacker.query('ALTER TABLE audit_entry ENABLE TRIGGER USER');
}
