import { execFileSync, spawn, type ChildProcessByStdio } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

import { DATABASE_TLS_REQUIRED, postgresUrl, verifiedPostgresUrl } from '@tracking/kit';
import pg from 'pg';
import { z } from 'zod';

import { DATABASE_NAME, type ChainHead } from './manifest';

/**
 * The source databases and the drill role, from one mounted secret (BACKUP_SOURCES_FILE):
 *
 *   { "databases": { "auth": "postgres://backup_reader:…@host:5432/auth", … },
 *     "drill": "postgres://backup_drill:…@host:5432/postgres" }
 *
 * Each URL verifies TLS as DATABASE_URL does: the CA file (DATABASE_TLS_CA_FILE) is applied to
 * it, or it names both (sslmode=verify-full, sslrootcert) itself; pg_dump and pg_restore read them
 * from the URL.
 */
function sourcesSchema(caFile: string | undefined) {
  const url = postgresUrl.transform((value, context) => {
    const verified = verifiedPostgresUrl(value, caFile);
    if (verified === undefined) {
      context.addIssue({ code: 'custom', message: DATABASE_TLS_REQUIRED });
      return z.NEVER;
    }
    return verified;
  });
  return z.object({
    databases: z
      .record(z.string().regex(DATABASE_NAME, { message: 'database names are lower-case identifiers' }), url)
      .refine((databases) => Object.keys(databases).length > 0, { message: 'name at least one database' }),
    drill: url.optional(),
  });
}
export type Sources = z.infer<ReturnType<typeof sourcesSchema>>;

export function readSources(file: string, caFile?: string): Sources {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new Error(`BACKUP_SOURCES_FILE ${file} is not readable JSON`);
  }
  const parsed = sourcesSchema(caFile).safeParse(json);
  if (!parsed.success) {
    // Paths and messages only: the values are connection URLs with passwords.
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new Error(`BACKUP_SOURCES_FILE ${file} is invalid: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/** Removes credentials from anything that might quote a connection URL, before it is logged or stored. */
export function redact(text: string): string {
  return text
    .replace(/(postgres(?:ql)?:\/\/)[^@\s/]*@/g, '$1[REDACTED]@')
    .replace(/password=\S+/gi, 'password=[REDACTED]');
}

/** `url` pointing at another database of the same server, as the same role. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** The database a connection URL names. */
export function databaseOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

export interface PgTools {
  /** `pg_dump --format=custom` of the snapshot; its stdout is the dump. */
  dump(url: string, snapshot: string): ChildProcessByStdio<null, Readable, Readable>;
  /** `pg_restore` from stdin into `url`'s database, all or nothing. */
  restore(url: string, options: { role?: string }): ChildProcessByStdio<Writable, Readable, Readable>;
  /** e.g. "pg_dump (PostgreSQL) 15.18"; read once. */
  dumpVersion(): string;
}

/**
 * pg_dump and pg_restore as child processes. The password travels in their environment, never on
 * the command line, and they inherit nothing else of ours but PATH (no S3 or KEK settings).
 */
export function pgTools(options: { binDir?: string; path: string }): PgTools {
  const program = (name: string) => (options.binDir ? path.join(options.binDir, name) : name);
  const connection = (url: string) => {
    const parsed = new URL(url);
    const password = decodeURIComponent(parsed.password);
    parsed.password = '';
    return {
      dbname: parsed.toString(),
      env: {
        PATH: options.path,
        PGAPPNAME: 'backup',
        PGCONNECT_TIMEOUT: '15',
        ...(password ? { PGPASSWORD: password } : {}),
      },
    };
  };
  let version: string | undefined;
  return {
    dump(url, snapshot) {
      const { dbname, env } = connection(url);
      return spawn(
        program('pg_dump'),
        ['--format=custom', `--snapshot=${snapshot}`, '--no-password', `--dbname=${dbname}`],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
    },
    restore(url, restoreOptions) {
      const { dbname, env } = connection(url);
      return spawn(
        program('pg_restore'),
        [
          '--no-owner',
          '--exit-on-error',
          '--single-transaction',
          '--no-password',
          ...(restoreOptions.role ? [`--role=${restoreOptions.role}`] : []),
          `--dbname=${dbname}`,
        ],
        { env, stdio: ['pipe', 'pipe', 'pipe'] },
      );
    },
    dumpVersion() {
      if (version === undefined) {
        version = execFileSync(program('pg_dump'), ['--version'], {
          env: { PATH: options.path },
          encoding: 'utf8',
        }).trim();
      }
      return version;
    },
  };
}

/** The last lines a child wrote to stderr, kept small and credential-free for an error message. */
export function stderrTail(stream: Readable): () => string {
  let tail = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    tail = (tail + text).slice(-2_000);
  });
  return () => redact(tail).trim().split('\n').filter(Boolean).slice(-2).join(' | ');
}

export function exitOf(child: {
  once(event: 'close', listener: (code: number | null, signal: string | null) => void): unknown;
}) {
  return new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
}

export function connect(url: string, name = 'backup'): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    application_name: name,
    connectionTimeoutMillis: 15_000,
  });
  // A dropped connection is reported by the query in flight; unheard, the event would end the process.
  client.on('error', () => undefined);
  return client.connect().then(() => client);
}

/** What a manifest records about a database, read in one snapshot (the dump's, when taking a backup). */
export interface Inspection {
  serverVersion: string;
  schemaVersion: { service: string | null; kit: string | null };
  rowCounts: Record<string, number>;
  auditChainHead: ChainHead | null;
}

/** Inside the caller's transaction: the tables pg_dump dumps (extensions' own excepted), with their rows. */
export async function inspect(client: pg.Client, options: { auditChain: boolean }): Promise<Inspection> {
  const server = await client.query<{ version: string }>(
    "SELECT current_setting('server_version') AS version",
  );
  const tables = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p')
        AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
        AND NOT EXISTS (SELECT 1 FROM pg_depend d
                         WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
      ORDER BY 1, 2`,
  );
  const rowCounts: Record<string, number> = {};
  for (const table of tables.rows) {
    const name = `${pg.escapeIdentifier(table.schema)}.${pg.escapeIdentifier(table.name)}`;
    const { rows } = await client.query<{ count: string }>(`SELECT count(*) AS count FROM ONLY ${name}`);
    rowCounts[`${table.schema}.${table.name}`] = Number(rows[0]?.count ?? 0);
  }
  const version = async (table: 'schemaversion' | 'kit_schemaversion') => {
    const { rows: exists } = await client.query<{ table: string | null }>(
      'SELECT to_regclass($1)::text AS table',
      [`public.${table}`],
    );
    if (!exists[0]?.table) return null;
    const { rows } = await client.query<{ version: string | null }>(
      `SELECT max(version)::text AS version FROM public.${table}`,
    );
    return rows[0]?.version ?? null;
  };
  return {
    serverVersion: server.rows[0]?.version ?? 'unknown',
    schemaVersion: { service: await version('schemaversion'), kit: await version('kit_schemaversion') },
    rowCounts,
    auditChainHead: options.auditChain ? await chainHead(client) : null,
  };
}

/** The audit log's last entry, or null when the database has no audit log or an empty one. */
export async function chainHead(client: pg.Client): Promise<ChainHead | null> {
  const { rows: exists } = await client.query<{ table: string | null }>(
    "SELECT to_regclass('public.audit_entry')::text AS table",
  );
  if (!exists[0]?.table) return null;
  const { rows } = await client.query<{ sequence: string; hash: string }>(
    'SELECT sequence::text AS sequence, hash FROM audit_entry ORDER BY audit_entry.sequence DESC LIMIT 1',
  );
  const head = rows[0];
  return head ? { sequence: head.sequence, hash: head.hash } : null;
}
