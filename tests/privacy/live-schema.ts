import { readdirSync } from 'node:fs';
import path from 'node:path';

import pg from 'pg';

import { createTestDatabase, type TestDatabase } from '@tracking/testing';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Every service that owns a database: the ones with a migrations/ folder. */
export function servicesWithDatabases(): string[] {
  const services = path.join(REPO_ROOT, 'services');
  return readdirSync(services, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .filter((entry) => readdirSync(path.join(services, entry.name)).includes('migrations'))
    .map((entry) => entry.name)
    .sort();
}

/** `table -> its columns`, as information_schema reports the migrated database's own tables. */
export type LiveSchema = Map<string, string[]>;

export async function readLiveSchema(connectionString: string): Promise<LiveSchema> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string; column_name: string }>(
      `SELECT c.table_name, c.column_name
         FROM information_schema.columns c
         JOIN information_schema.tables t USING (table_catalog, table_schema, table_name)
        WHERE t.table_type = 'BASE TABLE'
          AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
        ORDER BY c.table_name, c.ordinal_position`,
    );
    const schema: LiveSchema = new Map();
    for (const row of rows)
      schema.set(row.table_name, [...(schema.get(row.table_name) ?? []), row.column_name]);
    return schema;
  } finally {
    await client.end();
  }
}

/** A fresh database migrated exactly as `service`'s own tests and its migration job migrate it. */
export function migratedDatabase(service: string): Promise<TestDatabase> {
  return createTestDatabase(path.join(REPO_ROOT, 'services', service, 'migrations'));
}

/** What the catalogue misses (`table.column` in the database, unclassified) and what it has that the database does not. */
export function compareWithCatalogue(
  schema: LiveSchema,
  catalogue: Record<string, { columns: Record<string, unknown> }>,
): { unclassified: string[]; gone: string[] } {
  const unclassified: string[] = [];
  const gone: string[] = [];
  for (const [table, columns] of schema) {
    for (const column of columns)
      if (!catalogue[table]?.columns[column]) unclassified.push(`${table}.${column}`);
  }
  for (const [table, entry] of Object.entries(catalogue)) {
    for (const column of Object.keys(entry.columns)) {
      if (!schema.get(table)?.includes(column)) gone.push(`${table}.${column}`);
    }
  }
  return { unclassified, gone };
}
