// Invites the demo client to the demo trainer for `npm run up` (scripts/up.sh), so the trainer
// console has a client with a week of logs; scripts/seed-demo-logs.ts then accepts it as the
// client, through the API. The invitation is made here, with tracking's own domain code acting
// as the trainer (the same rule, audit record and mail as an invitation from the API), because
// the API admits a trainer only after TOTP enrolment, and the person trying the demo is to be
// led through that enrolment themselves. Idempotent: nothing is done while the trainer has an
// open invitation to, or a link with, that address. Demo only.
//
//   GATEWAY_URL=http://127.0.0.1:8080 DEMO_PASSWORD=... (tracking's settings) tsx seed-demo-link.ts
import { randomUUID } from 'node:crypto';

import { loadConfig, runWithContext, type Principal } from '@tracking/kit';
import { z } from 'zod';

import { readConfig } from './config';
import { createPrisma } from './db';
import { inviteClient, listLinks } from './links';

const TRAINER = 'trainer@demo.tracking.test';
const CLIENT = 'client@demo.tracking.test';

const { GATEWAY_URL, DEMO_PASSWORD } = loadConfig(
  z.object({ GATEWAY_URL: z.url(), DEMO_PASSWORD: z.string().min(12) }),
);

/** The demo trainer's id, from their own account: reading it is open before MFA enrolment. */
async function trainerId(): Promise<string> {
  const call = async (path: string, options: { body?: unknown; token?: string } = {}) => {
    const response = await fetch(`${GATEWAY_URL}/api/v1${path}`, {
      method: options.body === undefined && !path.startsWith('/auth/') ? 'GET' : 'POST',
      headers: {
        // Straight to the gateway, as the edge would forward it.
        'x-forwarded-proto': 'https',
        'content-type': 'application/json',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    if (!response.ok) throw new Error(`${path}: HTTP ${String(response.status)}`);
    return response;
  };
  const login = await call('/auth/login', {
    body: { email: TRAINER, password: DEMO_PASSWORD, session: 'bearer' },
  });
  const token = z.object({ token: z.string() }).parse(await login.json()).token;
  const me = z.object({ userId: z.uuid() }).parse(await (await call('/me', { token })).json());
  // This session served its one purpose.
  await call('/auth/logout', { token }).catch(() => undefined);
  return me.userId;
}

async function main(): Promise<void> {
  const config = readConfig();
  const prisma = createPrisma(config.DATABASE_URL);
  try {
    const trainer: Principal = {
      userId: await trainerId(),
      role: 'trainer',
      sessionId: randomUUID(),
      verifiedEmail: TRAINER,
      plan: 'free',
    };
    await runWithContext({ correlationId: 'seed-demo-link' }, async () => {
      const open = (await listLinks(prisma, trainer)).find(
        (link) => link.invitedEmail === CLIENT && (link.status === 'pending' || link.status === 'active'),
      );
      if (open) {
        process.stdout.write(`[seed-link] ${TRAINER} has a ${open.status} link with ${CLIENT}\n`);
        return;
      }
      await inviteClient(prisma, trainer, { email: CLIENT }, config.INVITATION_TTL_DAYS, {
        publicBaseUrl: config.PUBLIC_BASE_URL,
      });
      process.stdout.write(`[seed-link] ${TRAINER} invited ${CLIENT}\n`);
    });
  } finally {
    await prisma.$disconnect();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[seed-link] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
