import { randomUUID } from 'node:crypto';

import { hash } from '@node-rs/argon2';
import {
  ConflictError,
  currentContext,
  enqueue,
  newEvent,
  prismaExecutor,
  TOPICS,
  ValidationError,
  type AuditEvent,
} from '@tracking/kit';
import { z } from 'zod';

import type { PrismaClient } from './db';

export type Role = 'client' | 'trainer' | 'admin';

/**
 * argon2id at the OWASP Password Storage Cheat Sheet's first recommended setting
 * (m = 19 MiB, t = 2, p = 1): about 20-30 ms per hash on one core here, cheap enough for
 * logins, costly enough per guess offline. See docs/architecture.md.
 */
// `algorithm: 2` is Algorithm.Argon2id; the package declares it as an ambient const enum, which
// isolated-module compilers (swc, tsx) cannot inline.
export const ARGON2_OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const registrationSchema = z.object({
  email: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.email({ message: 'must be an email address' }).max(254)),
  // NIST SP 800-63B: a minimum length and no composition rules; a generous maximum bounds hashing cost.
  password: z
    .string()
    .min(12, { message: 'must be at least 12 characters' })
    .max(256, { message: 'must be at most 256 characters' }),
  displayName: z.string().trim().min(1, { message: 'is required' }).max(80),
});
export type Registration = z.input<typeof registrationSchema>;

export interface RegisteredUser {
  id: string;
  role: Role;
  createdAt: Date;
}

/**
 * Creates an account. The row, the `auth.user.registered` event and its audit event are
 * written in one transaction; the outbox relay publishes the events afterwards.
 */
export async function registerUser(
  prisma: PrismaClient,
  input: Registration,
  role: Role = 'client',
): Promise<RegisteredUser> {
  const parsed = registrationSchema.safeParse(input);
  if (!parsed.success) {
    const details = Object.fromEntries(
      parsed.error.issues.map((issue) => [issue.path.join('.'), issue.message]),
    );
    throw new ValidationError('invalid registration', details);
  }
  const { email, password, displayName } = parsed.data;
  const passwordHash = await hash(password, ARGON2_OPTIONS);
  const id = randomUUID();
  const context = currentContext();
  const actor = { service: 'auth', userId: id, role };

  try {
    const user = await prisma.$transaction(async (tx) => {
      const created = await tx.user.create({ data: { id, email, passwordHash, displayName, role } });
      const audit: AuditEvent = {
        action: 'auth.user.registered',
        subject: { type: 'user', id },
        outcome: 'success',
        sourceIp: context?.clientIp ?? null,
        userAgent: context?.userAgent ?? null,
      };
      await enqueue(prismaExecutor(tx), [
        {
          topic: TOPICS.authUser,
          key: id,
          envelope: newEvent({ type: 'auth.user.registered', actor, data: { userId: id, role } }),
        },
        {
          topic: TOPICS.auditEvents,
          key: id,
          envelope: newEvent({ type: 'audit.recorded', actor, data: audit }),
        },
      ]);
      return created;
    });
    return { id: user.id, role: user.role as Role, createdAt: user.createdAt };
  } catch (error) {
    if ((error as { code?: string }).code === 'P2002') throw new ConflictError('email already registered');
    throw error;
  }
}
