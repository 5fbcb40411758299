// Creates the demo accounts (one admin, one trainer, one client) through the same domain code
// as registration, so their events and audit entries flow like any other, and marks their
// addresses verified (nobody can read their mail). Idempotent: an
// account that exists is left alone. The password comes from the environment, never the code.
// Demo only: a real deployment makes its first admin with bootstrap-admin.ts.
import { ConflictError, createLogger, createMetrics, loadConfig, runWithContext } from '@tracking/kit';
import { z } from 'zod';

import { readConfig } from './config';
import { createDeps } from './deps';
import { createAuthMetrics } from './metrics';
import type { Role } from './rbac';
import { registerUser } from './users';

export const DEMO_ACCOUNTS: { email: string; displayName: string; role: Role }[] = [
  { email: 'admin@demo.tracking.test', displayName: 'Demo Admin', role: 'admin' },
  { email: 'trainer@demo.tracking.test', displayName: 'Demo Trainer', role: 'trainer' },
  { email: 'client@demo.tracking.test', displayName: 'Demo Client', role: 'client' },
];

const { DEMO_PASSWORD } = loadConfig(z.object({ DEMO_PASSWORD: z.string().min(12) }));

async function main() {
  const log = createLogger({ service: 'auth-seed', level: 'warn' });
  const deps = createDeps(readConfig(), log, createAuthMetrics(createMetrics()));
  try {
    for (const account of DEMO_ACCOUNTS) {
      await runWithContext({ correlationId: `seed-${account.role}-demo` }, async () => {
        try {
          await registerUser(deps, { ...account, password: DEMO_PASSWORD }, account.role);
          process.stdout.write(`[seed] created ${account.role} ${account.email}\n`);
        } catch (error) {
          if (!(error instanceof ConflictError)) throw error;
          process.stdout.write(`[seed] ${account.role} ${account.email} exists\n`);
        }
        // The demo addresses (a reserved .test domain) never receive the verification mail, and a
        // client must have a verified address to accept the demo trainer's invitation.
        await deps.prisma.user.updateMany({
          where: { email: account.email, emailVerifiedAt: null },
          data: { emailVerifiedAt: new Date() },
        });
      });
    }
  } finally {
    await deps.prisma.$disconnect();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[seed] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
