// Applies one service's migrations as its database's migration role: the kit's tables first,
// then the service's own files (migrate() in db.ts). The service's image runs it as a Kubernetes
// Job before a release starts; locally scripts/provision.ts calls migrate() itself.
//
//   node --import tsx packages/kit/src/migrate-cli.ts     (from the image's /app, or the repo root)
//
// Exits 0 when the database is up to date, 1 with the reason on stderr otherwise.
import { statSync } from 'node:fs';
import path from 'node:path';

import { z } from 'zod';

import { baseConfig, databaseConfig, loadConfig } from './config';
import { migrate } from './db';
import { createLogger } from './log';

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

export const migrateConfigSchema = baseConfig
  .pick({ LOG_LEVEL: true })
  .extend({
    /**
     * The service's folder of NNN.do.<what>.sql files, absolute or relative to the working
     * directory. It must exist: a mistyped path would otherwise report "nothing to apply".
     */
    MIGRATIONS_DIR: z
      .string()
      .min(1)
      .transform((dir) => path.resolve(dir))
      .refine(isDirectory, { message: 'is not a directory' }),
  })
  // DATABASE_URL: the migration role's (<db>_migrator), which owns the schema, never the runtime
  // role's; over verified TLS only, with DATABASE_TLS_CA_FILE in the chart's Job.
  .and(databaseConfig);

async function main(): Promise<void> {
  const config = loadConfig(migrateConfigSchema);
  const log = createLogger({ service: 'migrate', level: config.LOG_LEVEL });
  const { applied } = await migrate({ connectionString: config.DATABASE_URL, dir: config.MIGRATIONS_DIR });
  log.info(
    { event: 'db.migrated', applied },
    applied.length ? `applied ${applied.length} migration(s)` : 'the database is up to date',
  );
}

main().catch((error: unknown) => {
  // The message names the variable or the failing file; pg and postgrator never echo the password.
  process.stderr.write(`[migrate] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
