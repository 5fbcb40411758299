// What the privacy CronJobs run, with the service's image and settings:
//
//   node --import tsx services/privacy/src/cli.ts purge-exports
//
// purge-exports: deletes every export whose 7-day download window has ended and marks it expired
// (its audit events go through the outbox; the service's relay publishes them). Exits 0 on
// success, 1 with the reason on stderr.
import { createLogger, createMetrics } from '@tracking/kit';

import { readConfig } from './config';
import { createDeps, createPoolOf } from './deps';
import { createPrivacyMetrics } from './metrics';
import { purgeExpiredExports } from './saga';

async function main(command: string | undefined): Promise<void> {
  if (command !== 'purge-exports') throw new Error('usage: cli.ts purge-exports');
  const config = readConfig();
  const log = createLogger({ service: 'privacy-cli', level: config.LOG_LEVEL, file: config.LOG_FILE });
  const pool = createPoolOf(config);
  const deps = createDeps(config, log, pool, createPrivacyMetrics(createMetrics().registry, pool));
  try {
    const { expired } = await purgeExpiredExports(deps);
    process.stdout.write(`${JSON.stringify({ expired })}\n`);
  } finally {
    deps.close();
    await pool.end();
  }
}

main(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(`[privacy] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
