// Creates the demo accounts (one admin, one trainer, one client) through the same domain code
// as registration, so their events and audit entries flow like any other, and marks their
// addresses verified (nobody can read their mail). Idempotent: an
// account that exists is left alone. The password comes from the environment, never the code.
// Demo only: a real deployment makes its first admin with bootstrap-admin.ts.
//
// With DEMO_IDS_FILE set it also writes the accounts' ids there ({ email: id }, mode 0600), so
// the other demo seeds can act for an account without signing in as it (the demo trainer and
// admin enrol TOTP on first sign-in, after which a password alone no longer opens a session).
import { writeFile } from 'node:fs/promises';

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

const { DEMO_PASSWORD, DEMO_IDS_FILE } = loadConfig(
  z.object({ DEMO_PASSWORD: z.string().min(12), DEMO_IDS_FILE: z.string().min(1).optional() }),
);

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
    if (DEMO_IDS_FILE) {
      const users = await deps.prisma.user.findMany({
        where: { email: { in: DEMO_ACCOUNTS.map((account) => account.email) } },
        select: { id: true, email: true },
      });
      const ids = Object.fromEntries(users.map((user) => [user.email, user.id]));
      await writeFile(DEMO_IDS_FILE, `${JSON.stringify(ids, null, 2)}\n`, { mode: 0o600 });
    }
  } finally {
    await deps.prisma.$disconnect();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[seed] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
