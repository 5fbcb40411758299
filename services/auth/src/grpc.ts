import type { Logger, Metrics } from '@tracking/kit';
import { unary } from '@tracking/kit';
import { Role, type AuthServiceServer } from '@tracking/proto/tracking/auth/v1/auth';

import type { PrismaClient } from './db';
import { registerUser, type Role as DomainRole } from './users';

const roleToProto: Record<DomainRole, Role> = {
  client: Role.ROLE_CLIENT,
  trainer: Role.ROLE_TRAINER,
  admin: Role.ROLE_ADMIN,
};

export function authService(deps: {
  prisma: PrismaClient;
  log: Logger;
  metrics: Metrics;
}): AuthServiceServer {
  return {
    register: unary('tracking.auth.v1.AuthService/Register', deps, async (request) => {
      // Self-registration always creates a client; trainers and admins are made by an admin.
      const user = await registerUser(deps.prisma, request, 'client');
      deps.log.info({ event: 'auth.user.registered', userId: user.id }, 'account registered');
      return { userId: user.id, role: roleToProto[user.role], createdAt: user.createdAt };
    }),
  };
}
