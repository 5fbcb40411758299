import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

import type { ServerUnaryCall } from '@grpc/grpc-js';
import {
  NotFoundError,
  PermissionDeniedError,
  SERVICE_TOKEN_HEADER,
  unary,
  ValidationError,
} from '@tracking/kit';
import type { ContactServiceServer } from '@tracking/proto/tracking/auth/v1/contacts';
import { z } from 'zod';

import type { Deps } from './deps';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * The notifications service's credential, read from a mounted Secret. Only its digest is kept;
 * without the file every call is refused, so a deployment that forgot it fails closed.
 */
export function readContactLookupToken(file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  const token = readFileSync(file, 'utf8').trim();
  if (token.length < 32) throw new Error('CONTACT_LOOKUP_TOKEN_FILE must hold at least 32 characters');
  return digest(token);
}

function assertCaller(
  call: Pick<ServerUnaryCall<unknown, unknown>, 'metadata'>,
  expected: Buffer | undefined,
) {
  const presented = call.metadata.get(SERVICE_TOKEN_HEADER)[0];
  // Digests have equal length whatever was sent, so the comparison takes the same time.
  if (!expected || typeof presented !== 'string' || !timingSafeEqual(digest(presented), expected)) {
    throw new PermissionDeniedError('only the notifications service may look up contacts');
  }
}

/**
 * GetContact: a user id's address for the notifications service, which mails people by id.
 * Mail to an account goes to the address auth holds now, so a change of address takes effect
 * for mail already queued. Every other caller is refused: this turns ids into addresses.
 */
export function contactService(
  deps: Pick<Deps, 'prisma' | 'log' | 'metrics'>,
  token: Buffer | undefined,
): ContactServiceServer {
  return {
    getContact: unary('tracking.auth.v1.ContactService/GetContact', deps, async (request, call) => {
      assertCaller(call, token);
      if (!z.uuid().safeParse(request.userId).success) {
        throw new ValidationError('invalid user id', { userId: 'must be a UUID' });
      }
      const user = await deps.prisma.user.findUnique({
        where: { id: request.userId },
        select: { id: true, email: true, displayName: true, emailVerifiedAt: true },
      });
      if (!user) throw new NotFoundError('no such user');
      return {
        userId: user.id,
        email: user.email,
        displayName: user.displayName,
        emailVerified: user.emailVerifiedAt !== null,
      };
    }),
  };
}
