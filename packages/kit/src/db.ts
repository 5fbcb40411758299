import path from 'node:path';

import pg from 'pg';
import Postgrator from 'postgrator';

/**
 * PostgreSQL plumbing shared by every service: pools, transactions, migrations and the
 * database provisioning the local scripts and tests use.
 *
 * Services query their domain tables through Prisma; the outbox, the relay and consumer
 * idempotency use plain parameterised SQL through `SqlExecutor`, so they can join whatever
 * transaction the service opened (a Prisma interactive transaction or a pg client).
 */
export interface SqlExecutor {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
}

/** Runs `fn` in one transaction and hands it both a SqlExecutor and the caller's own client type. */
export type TransactionRunner<Tx> = <T>(fn: (sql: SqlExecutor, tx: Tx) => Promise<T>) => Promise<T>;

/**
 * Pool settings for every connection pool of a service, the kit's and Prisma's (`new PrismaPg({
 * connectionString, max, ...POOL_OPTIONS })`). Connections are TLS (docs/postgres-tls.md), so an
 * idle one stays open for ten minutes: a handshake is paid when a pool grows, not again after
 * every quiet spell (pg closes idle connections after 10 s by default). Idle connections never
 * keep a process alive, so a CLI or a test that forgets `end()` still exits.
 */
export const POOL_OPTIONS = { idleTimeoutMillis: 10 * 60_000, allowExitOnIdle: true } as const;

export function createPool(connectionString: string, options: { max?: number; name?: string } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.name,
    ...POOL_OPTIONS,
  });
  // An idle connection that the server closes (a restart, a failover, a forced drop) is emitted
  // on the pool; unheard, that event would end the process. The pool has already discarded the
  // connection and the next query opens a new one, while a query in flight gets its own error.
  pool.on('error', () => undefined);
  return pool;
}

export function pgExecutor(client: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    async query<R>(sql: string, params: unknown[] = []) {
      const result = await client.query(sql, params);
      return result.rows as R[];
    },
  };
}

interface PrismaRawClient {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

/**
 * Adapts a Prisma transaction client. `$queryRawUnsafe` is "unsafe" only for callers that
 * splice values into the SQL text; every caller here passes values as bound parameters.
 */
export function prismaExecutor(tx: PrismaRawClient): SqlExecutor {
  return {
    query<R>(sql: string, params: unknown[] = []) {
      return tx.$queryRawUnsafe<R[]>(sql, ...params);
    },
  };
}

/**
 * Runs each unit of work in a Prisma interactive transaction. Prisma ends one after 5 s unless
 * `timeout` says otherwise: work that waits on something slow inside the transaction (a privacy
 * export writing to the object store) passes a longer one.
 */
export function prismaTransactionRunner<Tx extends PrismaRawClient>(
  prisma: {
    $transaction<T>(fn: (tx: Tx) => Promise<T>, options?: { maxWait?: number; timeout?: number }): Promise<T>;
  },
  options?: { maxWait?: number; timeout?: number },
): TransactionRunner<Tx> {
  return (fn) => prisma.$transaction((tx) => fn(prismaExecutor(tx), tx), options);
}

export function pgTransactionRunner(pool: pg.Pool): TransactionRunner<pg.PoolClient> {
  return async (fn) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(pgExecutor(client), client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };
}

/** The kit's own tables (outbox, processed events), applied to every service database first. */
export const KIT_MIGRATIONS_DIR = path.join(__dirname, '..', 'migrations');

export interface MigrateOptions {
  /** A connection as the database's migration role, never the runtime role. */
  connectionString: string;
  /** The service's folder of `NNN.do.name.sql` files. */
  dir: string;
}

/**
 * Applies the kit's migrations and then the service's, each tracked in its own version table
 * so both can number their files independently. Each file runs as one multi-statement query,
 * which PostgreSQL executes in a single implicit transaction.
 */
export async function migrate(options: MigrateOptions): Promise<{ applied: string[] }> {
  const client = new pg.Client({ connectionString: options.connectionString });
  await client.connect();
  const applied: string[] = [];
  try {
    for (const [dir, schemaTable] of [
      [KIT_MIGRATIONS_DIR, 'kit_schemaversion'],
      [options.dir, 'schemaversion'],
    ] as const) {
      const postgrator = new Postgrator({
        driver: 'pg',
        migrationPattern: path.join(dir, '*.sql'),
        schemaTable,
        database: client.database,
        execQuery: (query) => client.query(query),
      });
      const migrations = await postgrator.migrate();
      applied.push(
        ...migrations.map((migration) => path.relative(path.dirname(path.dirname(dir)), migration.filename)),
      );
    }
  } finally {
    await client.end();
  }
  return { applied };
}

const NAME = /^[a-z][a-z0-9_]{0,40}$/;

export interface ProvisionOptions {
  /** A superuser (or CREATEROLE + CREATEDB) connection, used only by scripts and tests. */
  adminUrl: string;
  database: string;
  migratorPassword: string;
  appPassword: string;
}

export interface ProvisionedDatabase {
  database: string;
  migratorUrl: string;
  appUrl: string;
}

/**
 * Creates (or updates) one service database with its two login roles:
 * `<db>_migrator` owns the schema and runs migrations; `<db>_app` is what the service runs as,
 * holding only the grants its migrations give it. Nobody else may connect. Idempotent.
 */
export async function provisionDatabase(options: ProvisionOptions): Promise<ProvisionedDatabase> {
  if (!NAME.test(options.database)) throw new Error(`invalid database name: ${options.database}`);
  const migrator = `${options.database}_migrator`;
  const app = `${options.database}_app`;
  const admin = new pg.Client({ connectionString: options.adminUrl });
  await admin.connect();
  try {
    for (const [role, password] of [
      [migrator, options.migratorPassword],
      [app, options.appPassword],
    ] as const) {
      const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      // DDL cannot take bound parameters; names are checked against NAME and quoted by pg itself.
      const verb = exists.rowCount ? 'ALTER' : 'CREATE';
      await admin.query(
        `${verb} ROLE ${pg.escapeIdentifier(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${pg.escapeLiteral(password)}`,
      );
    }
    const db = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
    const dbName = pg.escapeIdentifier(options.database);
    if (!db.rowCount) await admin.query(`CREATE DATABASE ${dbName} OWNER ${pg.escapeIdentifier(migrator)}`);
    await admin.query(`REVOKE ALL ON DATABASE ${dbName} FROM PUBLIC`);
    await admin.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${dbName} TO ${pg.escapeIdentifier(app)}`);
  } finally {
    await admin.end();
  }
  return {
    database: options.database,
    migratorUrl: withCredentials(options.adminUrl, options.database, migrator, options.migratorPassword),
    appUrl: withCredentials(options.adminUrl, options.database, app, options.appPassword),
  };
}

/** Drops a database and its two roles (tests clean up after themselves with this). */
export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  if (!NAME.test(database)) throw new Error(`invalid database name: ${database}`);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
    for (const role of [`${database}_migrator`, `${database}_app`]) {
      await admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
    }
  } finally {
    await admin.end();
  }
}

function withCredentials(base: string, database: string, user: string, password: string): string {
  const url = new URL(base);
  url.username = user;
  url.password = password;
  url.pathname = `/${database}`;
  return url.toString();
}
