// What tracking's retention CronJob runs, with the service's image and settings:
//
//   node --import tsx services/tracking/src/retention-cli.ts
//
// Deletes meals and metrics soft-deleted more than RETENTION_DELETED_ENTRIES_DAYS ago (and the
// comments on those meals), and records the run, which the service's metrics then show. Prints
// the counts as one JSON line; exits 1 with the reason on stderr.
import { createPool } from '@tracking/kit';

import { readConfig } from './config';
import { purgeDeletedEntries } from './retention';

async function main(): Promise<void> {
  const config = readConfig();
  const pool = createPool(config.DATABASE_URL, { max: 1, name: 'tracking-retention' });
  try {
    const purged = await purgeDeletedEntries(pool, config.RETENTION_DELETED_ENTRIES_DAYS);
    process.stdout.write(`${JSON.stringify({ task: 'tracking-deleted-entries', purged })}\n`);
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[tracking-retention] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
