import { PermissionDeniedError, type Principal } from '@tracking/kit';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';

import { asActor, type PrismaClient } from './db';
import { record } from './changes';
import type { DailyActivity, SupportAccess } from './generated/prisma/client';
import { parseInput } from './input';

function requireAdmin(principal: Principal): void {
  if (principal.role !== 'admin') throw new PermissionDeniedError('for admins only');
}

/** Counts per day and nothing else: the admin's view of the service without anyone's data. */
export async function operationalStats(
  prisma: PrismaClient,
  principal: Principal,
  days: number,
): Promise<DailyActivity[]> {
  requireAdmin(principal);
  const { days: span } = parseInput(z.object({ days: z.number().int().min(1).max(90) }), {
    days: days || 30,
  });
  const since = new Date(Date.now() - (span - 1) * 86_400_000);
  since.setUTCHours(0, 0, 0, 0);
  return asActor(prisma, principal, (tx) =>
    tx.dailyActivity.findMany({ where: { day: { gte: since } }, orderBy: { day: 'desc' } }),
  );
}

const supportSchema = z.object({
  clientId: z.uuid({ message: 'name the client (a uuid)' }),
  reason: z.string().trim().min(10, { message: 'say why, with the ticket reference' }).max(500),
  minutes: z.number().int().min(1).max(60),
});

/**
 * Break-glass: read access to one client's logs for at most an hour, for one admin. Opening it
 * is audited with its reason, and so is every read made through it (see recordSupportRead).
 */
export async function openSupportAccess(
  prisma: PrismaClient,
  principal: Principal,
  raw: { clientId: string; reason: string; minutes: number },
): Promise<{ grantId: string; expiresAt: Date }> {
  requireAdmin(principal);
  const input = parseInput(supportSchema, raw);
  return asActor(prisma, principal, async (tx) => {
    const now = new Date();
    const grant = await tx.supportAccess.create({
      data: {
        id: randomUUID(),
        adminId: principal.userId,
        clientId: input.clientId,
        reason: input.reason,
        createdAt: now,
        expiresAt: new Date(now.getTime() + input.minutes * 60_000),
      },
    });
    await record(tx, principal, {
      action: 'tracking.support.opened',
      subject: { type: 'support_access', id: grant.id },
      clientId: input.clientId,
    });
    return { grantId: grant.id, expiresAt: grant.expiresAt };
  });
}

/**
 * The calling admin's grants still open, soonest to end first, so the console can show its
 * banner from the server and not from what one browser remembers. Only the admin's own: a grant
 * is for the admin who opened it, and row-level security (support_own) shows no other admin's.
 */
export async function listSupportGrants(
  prisma: PrismaClient,
  principal: Principal,
  now = new Date(),
): Promise<SupportAccess[]> {
  requireAdmin(principal);
  return asActor(prisma, principal, (tx) =>
    tx.supportAccess.findMany({
      where: { adminId: principal.userId, expiresAt: { gt: now } },
      orderBy: { expiresAt: 'asc' },
    }),
  );
}
