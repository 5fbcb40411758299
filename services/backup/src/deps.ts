import { createPool, type Keyring, type Logger } from '@tracking/kit';
import type pg from 'pg';

import type { Config } from './config';
import { createErasureLedger, type ErasureLedger } from './erasure-ledger';
import { readKeyring } from './keys';
import { pgTools, readSources, type PgTools, type Sources } from './postgres';
import { createStore, type Store } from './store';

/** Everything a backup, drill, restore or prune needs. */
export interface Deps {
  config: Config;
  store: Store;
  keyring: Keyring;
  sources: Sources;
  /** The backup service's own database: run records, the outbox, and the run locks. */
  pool: pg.Pool;
  tools: PgTools;
  /** The erasure ledger every restore re-applies (read-only, its own bucket). */
  ledger: ErasureLedger;
  log: Logger;
}

/** The production wiring of Deps from configuration; shared by main.ts and cli.ts. */
export function createDeps(config: Config, log: Logger): Deps & { close(): Promise<void> } {
  const keyring = readKeyring(config.BACKUP_KEK_DIR, config.BACKUP_KEK_ACTIVE_ID);
  const sources = readSources(config.BACKUP_SOURCES_FILE, config.DATABASE_TLS_CA_FILE);
  const store = createStore(config);
  const pool = createPool(config.DATABASE_URL, { max: 4, name: 'backup' });
  const ledger = createErasureLedger(config);
  return {
    config,
    keyring,
    sources,
    store,
    pool,
    tools: pgTools({ binDir: config.PG_BIN_DIR, path: config.PATH }),
    ledger,
    log,
    async close() {
      store.close();
      ledger.close();
      await pool.end();
    },
  };
}
