import {
  NotFoundError,
  PermissionDeniedError,
  StaleVersionError,
  ValidationError,
  type Principal,
} from '@tracking/kit';
import { z } from 'zod';

import type { Tx } from './db';

/**
 * The client a read or write is about. A client acts on themself (naming anyone else is the same
 * as naming nobody who exists); a trainer or an admin must name the client.
 */
export function clientOf(principal: Principal, clientId: string): string {
  if (principal.role === 'client') {
    if (clientId === '' || clientId === principal.userId) return principal.userId;
    throw new NotFoundError('no such client');
  }
  const parsed = z.uuid().safeParse(clientId);
  if (!parsed.success) throw new ValidationError('invalid request', { clientId: 'name the client (a uuid)' });
  return parsed.data;
}

/**
 * 404 unless row-level security lets the caller read this client's logs: an unlinked trainer
 * learns nothing, not even that the client exists.
 */
export async function requireReadable(tx: Tx, clientId: string): Promise<void> {
  const [row] = await tx.$queryRaw<{ ok: boolean }[]>`SELECT can_read_client(${clientId}::uuid) AS ok`;
  if (!row?.ok) throw new NotFoundError('no such client');
}

export async function requireCoachable(tx: Tx, clientId: string): Promise<void> {
  const [row] = await tx.$queryRaw<{ ok: boolean }[]>`SELECT can_coach_client(${clientId}::uuid) AS ok`;
  if (!row?.ok) throw new NotFoundError('no such client');
}

/** A row id from a request: anything but a uuid cannot name a row, so it is simply not found. */
export function rowId(value: string, what: string): string {
  if (!z.uuid().safeParse(value).success) throw new NotFoundError(`no such ${what}`);
  return value;
}

/** Keyset page tokens over (time desc, id desc): opaque to callers, checked on the way back. */
const cursorSchema = z.tuple([z.iso.datetime(), z.uuid()]);

export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');
}

export function decodeCursor(token: string): { at: Date; id: string } | undefined {
  if (token === '') return undefined;
  try {
    const [at, id] = cursorSchema.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
    return { at: new Date(at), id };
  } catch {
    throw new ValidationError('invalid request', { pageToken: 'is not a token this service issued' });
  }
}

export function pageSize(requested: number, fallback = 50, max = 200): number {
  if (requested < 0 || requested > max) {
    throw new ValidationError('invalid request', { pageSize: `must be between 1 and ${String(max)}` });
  }
  return requested === 0 ? fallback : requested;
}

/** One page of rows fetched with `take: size + 1`, and the cursor of the next page if there is one. */
export function keysetPage<R extends { id: string }>(
  rows: R[],
  size: number,
  at: (row: R) => Date,
): { items: R[]; nextPageToken: string } {
  const items = rows.slice(0, size);
  const last = items.at(-1);
  return { items, nextPageToken: rows.length > size && last ? encodeCursor(at(last), last.id) : '' };
}

/**
 * The client's own row at the version they read. A row the caller may read but not change (their
 * trainer's view) is PERMISSION_DENIED, which tells a trainer nothing they did not know; a stale
 * version is a conflict that changes nothing.
 */
export function ownRowAt<R extends { clientId: string; version: number }>(
  principal: Principal,
  row: R,
  expectedVersion: number,
  what: string,
): R {
  if (principal.role !== 'client' || row.clientId !== principal.userId) {
    throw new PermissionDeniedError(`only the client changes their ${what}`);
  }
  if (expectedVersion < 1) {
    throw new ValidationError('invalid request', { expectedVersion: 'send the version you last read' });
  }
  if (row.version !== expectedVersion) throw new StaleVersionError(row.version);
  return row;
}

/** Rows strictly after the cursor in (time desc, id desc) order. */
export function afterCursor(
  field: string,
  cursor: { at: Date; id: string } | undefined,
): Record<string, unknown> {
  if (!cursor) return {};
  return { OR: [{ [field]: { lt: cursor.at } }, { [field]: cursor.at, id: { lt: cursor.id } }] };
}
