// Invites the demo client to the demo trainer for `npm run up` (scripts/up.sh), so the trainer
// console has a client with a week of logs; scripts/seed-demo-logs.ts then accepts it as the
// client, through the API. The invitation is made here, with tracking's own domain code acting
// as the trainer (the same rule, audit record and mail as an invitation from the API), because
// the API admits a trainer only after TOTP enrolment, and the person trying the demo is to be
// led through that enrolment themselves. Idempotent: nothing is done while the trainer has an
// open invitation to, or a link with, that address. Demo only.
//
//   DEMO_IDS_FILE=.local/demo-ids.json (tracking's settings) tsx seed-demo-link.ts
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import { loadConfig, runWithContext, type Principal } from '@tracking/kit';
import { z } from 'zod';

import { readConfig } from './config';
import { createPrisma } from './db';
import { inviteClient, listLinks } from './links';

const TRAINER = 'trainer@demo.tracking.test';
const CLIENT = 'client@demo.tracking.test';

const { DEMO_IDS_FILE } = loadConfig(z.object({ DEMO_IDS_FILE: z.string().min(1) }));

/**
 * The demo trainer's id, from the file auth's demo seed wrote: not from signing in as them,
 * which stops working once the person trying the demo has enrolled the trainer's TOTP.
 */
async function trainerId(): Promise<string> {
  const ids = z.record(z.string(), z.uuid()).parse(JSON.parse(await readFile(DEMO_IDS_FILE, 'utf8')));
  const id = ids[TRAINER];
  if (!id) throw new Error(`${DEMO_IDS_FILE} names no ${TRAINER}`);
  return id;
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
        process.stdout.write(
          `[seed-link] ${TRAINER} has ${open.status === 'active' ? 'an active' : 'a pending'} link with ${CLIENT}\n`,
        );
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
