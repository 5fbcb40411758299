import { createPool, type Logger } from '@tracking/kit';

import type { BackupDeps } from './backups';
import type { Config } from './config';
import { readKeyring } from './keys';
import { pgTools, readSources } from './postgres';
import { createStore } from './store';

/** Everything a backup, drill, restore or prune needs, from the configuration; shared by main.ts and cli.ts. */
export function createBackupDeps(config: Config, log: Logger): BackupDeps & { close(): Promise<void> } {
  const keyring = readKeyring(config.BACKUP_KEK_DIR, config.BACKUP_KEK_ACTIVE_ID);
  const sources = readSources(config.BACKUP_SOURCES_FILE);
  const store = createStore(config);
  const pool = createPool(config.DATABASE_URL, { max: 4, name: 'backup' });
  return {
    config,
    keyring,
    sources,
    store,
    pool,
    tools: pgTools({ binDir: config.PG_BIN_DIR, path: config.PATH }),
    log,
    async close() {
      store.close();
      await pool.end();
    },
  };
}
