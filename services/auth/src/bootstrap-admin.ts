// Makes the first admin of a deployment, with no default password: the account is created
// with an unusable random password, and a single-use password link (valid 30 minutes) is
// printed once and mailed. Refuses if an admin already exists; later admins are promoted by
// an admin through SetRole.
//
//   node --import tsx services/auth/src/bootstrap-admin.ts --email ops@example.com --name "Ops"
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

import { createLogger, createMetrics, runWithContext } from '@tracking/kit';

import { readConfig } from './config';
import { createDeps } from './deps';
import { createAuthMetrics } from './metrics';
import { sendPasswordResetLink } from './recovery';
import { registerUser } from './users';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { email: { type: 'string' }, name: { type: 'string' } } });
  if (!values.email || !values.name) {
    process.stderr.write('usage: bootstrap-admin --email <address> --name <display name>\n');
    return 2;
  }
  const log = createLogger({ service: 'auth-bootstrap', level: 'warn' });
  const deps = createDeps(readConfig(), log, createAuthMetrics(createMetrics()));
  try {
    if ((await deps.prisma.user.count({ where: { role: 'admin' } })) > 0) {
      process.stderr.write(
        '[bootstrap-admin] an admin already exists; promote further admins through SetRole\n',
      );
      return 1;
    }
    const { email, name } = values;
    return await runWithContext({ correlationId: `bootstrap-admin-${Date.now()}` }, async () => {
      const unusable = randomBytes(32).toString('base64url');
      const user = await registerUser(deps, { email, password: unusable, displayName: name }, 'admin');
      const url = await sendPasswordResetLink(deps, { id: user.id, email: email.trim().toLowerCase() });
      process.stdout.write(
        `[bootstrap-admin] created admin ${user.id}\n` +
          `Set its password within 30 minutes (single use; also mailed):\n${url}\n` +
          'The account must enrol in TOTP before it can use admin functions.\n',
      );
      return 0;
    });
  } finally {
    await deps.prisma.$disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `[bootstrap-admin] failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
