import {
  ConflictError,
  FailedPreconditionError,
  NotFoundError,
  PermissionDeniedError,
  type Principal,
} from '@tracking/kit';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';

import { rowId } from './access';
import { asActor, prismaCode, type PrismaClient } from './db';
import { notify, record } from './changes';
import type { TrainerLink } from './generated/prisma/client';
import { parseInput } from './input';
import { assertRoomForClient } from './plan-limits';

export type LinkView = Omit<TrainerLink, 'status'> & { status: string };

/** A pending invitation past its time reads as expired; nobody can accept it. */
function view(link: TrainerLink, now = new Date()): LinkView {
  return link.status === 'pending' && link.expiresAt <= now ? { ...link, status: 'expired' } : link;
}

const invitationSchema = z.object({
  email: z.email({ message: 'must be an email address' }).max(320),
  /** Set by the gateway from the trainer's own account, for the mail. */
  inviterName: z.string().trim().max(100).optional(),
});
const acceptSchema = z.object({ accepterName: z.string().trim().max(100).optional() });

/** Where the links in tracking's mails point (the web app's origin; config PUBLIC_BASE_URL). */
export interface AppLinks {
  publicBaseUrl: string;
}
const LOCAL_APP: AppLinks = { publicBaseUrl: 'http://localhost:8080' };
const appUrl = (links: AppLinks, path: string) => `${links.publicBaseUrl.replace(/\/$/, '')}${path}`;

function isUniqueViolation(error: unknown): boolean {
  return prismaCode(error) === 'P2002';
}

export async function inviteClient(
  prisma: PrismaClient,
  principal: Principal,
  raw: unknown,
  ttlDays: number,
  links: AppLinks = LOCAL_APP,
): Promise<LinkView> {
  if (principal.role !== 'trainer') throw new PermissionDeniedError('only trainers invite clients');
  const input = parseInput(invitationSchema, raw);
  const email = input.email.toLowerCase();
  if (email === principal.verifiedEmail) throw new FailedPreconditionError('you cannot invite yourself');
  return asActor(prisma, principal, async (tx) => {
    // An invitation that ran out without an answer does not block a new one.
    await tx.trainerLink.updateMany({
      where: {
        trainerId: principal.userId,
        invitedEmail: email,
        status: 'pending',
        expiresAt: { lte: new Date() },
      },
      data: { status: 'ended', endedAt: new Date(), endedBy: principal.userId },
    });
    await assertRoomForClient(tx, principal);
    const link = await tx.trainerLink
      .create({
        data: {
          id: randomUUID(),
          trainerId: principal.userId,
          invitedEmail: email,
          status: 'pending',
          expiresAt: new Date(Date.now() + ttlDays * 86_400_000),
        },
      })
      .catch((error: unknown) => {
        if (isUniqueViolation(error)) throw new ConflictError('you already invited this address');
        throw error;
      });
    await record(tx, principal, {
      action: 'tracking.link.invited',
      subject: { type: 'link', id: link.id },
      clientId: null,
    });
    // The accept link opens the client's trainers page: an existing account signs in and finds
    // the invitation there; a new person signs up with this address, verifies it and does the same.
    await notify(
      tx,
      principal,
      'trainer_invitation',
      { email },
      {
        trainerName: input.inviterName || 'Your trainer',
        acceptUrl: appUrl(links, `/trainers?invitation=${link.id}`),
        expiresAt: link.expiresAt.toISOString(),
      },
    );
    return view(link);
  });
}

export async function listLinks(prisma: PrismaClient, principal: Principal): Promise<LinkView[]> {
  return asActor(prisma, principal, async (tx) => {
    // Row-level security leaves exactly the caller's links and the invitations to their email.
    const links = await tx.trainerLink.findMany({
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: 500,
    });
    return links.map((link) => view(link));
  });
}

export async function acceptInvitation(
  prisma: PrismaClient,
  principal: Principal,
  linkId: string,
  raw: unknown = {},
  links: AppLinks = LOCAL_APP,
): Promise<LinkView> {
  if (principal.role !== 'client') throw new PermissionDeniedError('only clients accept invitations');
  const { accepterName } = parseInput(acceptSchema, raw);
  if (!principal.verifiedEmail) {
    throw new FailedPreconditionError('verify your email address before accepting an invitation');
  }
  return asActor(prisma, principal, async (tx) => {
    const invitation = await tx.trainerLink.findFirst({
      where: { id: rowId(linkId, 'invitation'), status: 'pending', clientId: null },
    });
    if (!invitation) throw new NotFoundError('no such invitation');
    if (invitation.expiresAt <= new Date()) throw new FailedPreconditionError('this invitation has expired');
    const current = await tx.trainerLink.findFirst({
      where: { clientId: principal.userId, status: 'active' },
    });
    if (current) throw new FailedPreconditionError('end the link with your current trainer first');
    const link = await tx.trainerLink
      .update({
        where: { id: invitation.id, status: 'pending' },
        data: { status: 'active', clientId: principal.userId, acceptedAt: new Date() },
      })
      .catch((error: unknown) => {
        // Two invitations accepted at once: the unique index keeps one trainer per client.
        if (isUniqueViolation(error))
          throw new FailedPreconditionError('end the link with your current trainer first');
        if (prismaCode(error) === 'P2025') throw new NotFoundError('no such invitation');
        throw error;
      });
    await record(tx, principal, {
      action: 'tracking.link.accepted',
      subject: { type: 'link', id: link.id },
      clientId: principal.userId,
    });
    await notify(
      tx,
      principal,
      'trainer_invitation_accepted',
      { userId: link.trainerId },
      {
        clientName: accepterName || 'Your client',
        clientUrl: appUrl(links, `/clients/${principal.userId}`),
      },
    );
    return view(link);
  });
}

/**
 * Either side ends an active link, a trainer withdraws an invitation, a client declines one.
 * The trainer's access ends with this transaction: every policy checks the link's status.
 */
export async function endLink(prisma: PrismaClient, principal: Principal, linkId: string): Promise<LinkView> {
  return asActor(prisma, principal, async (tx) => {
    const link = await tx.trainerLink.findFirst({
      where: { id: rowId(linkId, 'link'), status: { in: ['pending', 'active'] } },
    });
    if (!link) throw new NotFoundError('no such link');
    const declining = link.status === 'pending' && principal.role === 'client';
    const ended = await tx.trainerLink
      .update({
        where: { id: link.id, status: link.status },
        data: { status: declining ? 'declined' : 'ended', endedAt: new Date(), endedBy: principal.userId },
      })
      .catch((error: unknown) => {
        // The other side ended it a moment ago.
        if (prismaCode(error) === 'P2025') throw new NotFoundError('no such link');
        throw error;
      });
    await record(tx, principal, {
      action: declining ? 'tracking.link.declined' : 'tracking.link.ended',
      subject: { type: 'link', id: link.id },
      clientId: link.clientId,
    });
    return view(ended);
  });
}
