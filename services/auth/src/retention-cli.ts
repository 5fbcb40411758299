// What auth's retention CronJob runs, with the service's image and settings:
//
//   node --import tsx services/auth/src/retention-cli.ts
//
// Deletes sessions ended more than RETENTION_ENDED_SESSIONS_DAYS ago, links (verification,
// reset, email change) used, revoked or expired more than RETENTION_SPENT_TOKENS_DAYS ago, and
// sign-in networks and browsers not seen for RETENTION_DEVICE_DAYS, and records the runs, which
// the service's metrics then show. Prints the counts as one JSON line; exits 1 with the reason on
// stderr.
import { createPool } from '@tracking/kit';

import { readConfig } from './config';
import { purgeExpired } from './retention';

async function main(): Promise<void> {
  const config = readConfig();
  const pool = createPool(config.DATABASE_URL, { max: 1, name: 'auth-retention' });
  try {
    const purged = await purgeExpired(pool, {
      sessionsDays: config.RETENTION_ENDED_SESSIONS_DAYS,
      tokensDays: config.RETENTION_SPENT_TOKENS_DAYS,
      devicesDays: config.RETENTION_DEVICE_DAYS,
    });
    process.stdout.write(`${JSON.stringify({ purged })}\n`);
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[auth-retention] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
