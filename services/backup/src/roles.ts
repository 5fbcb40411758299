import pg from 'pg';

/**
 * The backup service's two PostgreSQL login roles, least privilege (docs/backup.md, "Roles"):
 *
 *   reader  pg_read_all_data: SELECT on every table and sequence and USAGE on every schema,
 *           which pg_dump needs to read the data and lock the tables it dumps;
 *           BYPASSRLS: pg_dump refuses a table with row-level security otherwise (it dumps with
 *           row_security off rather than silently dump a filtered subset);
 *           CONNECT on each database it backs up (the service databases revoke it from PUBLIC);
 *           read-only sessions by default, as a second guard. Nothing else: no write, no DDL.
 *   drill   CREATEDB: it creates, owns and drops its scratch databases, and restores into them;
 *           BYPASSRLS: the verification counts every row of tables with forced row-level security.
 *           It reads no live database.
 *
 * Used by scripts/provision.ts for the local stack and by the tests; production creates the same
 * roles with its own tooling (the chart's database operator or a DBA). Idempotent.
 */
export interface BackupRoles {
  adminUrl: string;
  reader: { name: string; password: string };
  drill: { name: string; password: string };
  /** The databases the reader may connect to. */
  databases: readonly string[];
}

const NAME = /^[a-z][a-z0-9_]{0,62}$/;

export async function provisionBackupRoles(roles: BackupRoles): Promise<void> {
  for (const name of [roles.reader.name, roles.drill.name, ...roles.databases]) {
    if (!NAME.test(name)) throw new Error(`invalid role or database name: ${name}`);
  }
  const admin = new pg.Client({ connectionString: roles.adminUrl });
  await admin.connect();
  try {
    const upsert = async (name: string, attributes: string, password: string) => {
      const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
      // DDL takes no bound parameters; names are checked above and quoted by pg itself.
      await admin.query(
        `${exists.rowCount ? 'ALTER' : 'CREATE'} ROLE ${pg.escapeIdentifier(name)} ${attributes} PASSWORD ${pg.escapeLiteral(password)}`,
      );
    };
    const reader = pg.escapeIdentifier(roles.reader.name);
    await upsert(
      roles.reader.name,
      'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION BYPASSRLS',
      roles.reader.password,
    );
    await admin.query(`GRANT pg_read_all_data TO ${reader}`);
    await admin.query(`ALTER ROLE ${reader} SET default_transaction_read_only = on`);
    for (const database of roles.databases) {
      await admin.query(`GRANT CONNECT ON DATABASE ${pg.escapeIdentifier(database)} TO ${reader}`);
    }
    await upsert(
      roles.drill.name,
      'LOGIN NOSUPERUSER CREATEDB NOCREATEROLE NOREPLICATION BYPASSRLS',
      roles.drill.password,
    );
  } finally {
    await admin.end();
  }
}
