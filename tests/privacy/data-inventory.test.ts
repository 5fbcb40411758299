import { readFileSync } from 'node:fs';
import path from 'node:path';

import { createPool } from '@tracking/kit';
import { dataInventorySchema, inventoryTables, type DataInventory } from '@tracking/contracts';

import { loadInventory } from './inventory';
import {
  compareWithCatalogue,
  migratedDatabase,
  readLiveSchema,
  REPO_ROOT,
  servicesWithDatabases,
} from './live-schema';

/**
 * The data inventory holds the live schemas (#22): each service's migrations, applied to a fresh
 * PostgreSQL database exactly as its own tests and its migration job apply them, are read back
 * from information_schema, and every column must be classified in docs/data-inventory.yaml.
 * A developer who adds a column without saying what it holds, why and for how long fails here.
 */
let inventory: DataInventory;
beforeAll(() => {
  inventory = loadInventory();
});

describe('the data inventory', () => {
  it('classifies every column of every service database, and lists nothing that is gone', async () => {
    const services = servicesWithDatabases();
    expect(services).toEqual(
      expect.arrayContaining(['audit', 'auth', 'billing', 'notifications', 'tracking']),
    );
    expect(Object.keys(inventory.databases).sort()).toEqual(services);

    const problems: string[] = [];
    let columns = 0;
    for (const service of services) {
      const db = await migratedDatabase(service);
      try {
        const schema = await readLiveSchema(db.migratorUrl);
        columns += [...schema.values()].flat().length;
        const { unclassified, gone } = compareWithCatalogue(schema, inventoryTables(inventory, service));
        problems.push(
          ...unclassified.map((name) => `${service}: ${name} is in the database but not classified`),
          ...gone.map((name) => `${service}: ${name} is classified but no longer exists`),
        );
      } finally {
        await db.drop();
      }
    }
    expect(problems).toEqual([]);
    expect(columns).toBeGreaterThan(150);
  });

  it('fails naming a column nobody classified, shown on a scratch table', async () => {
    const db = await migratedDatabase('gateway');
    try {
      const owner = createPool(db.migratorUrl, { max: 1 });
      await owner.query('CREATE TABLE scratch_notes (id uuid PRIMARY KEY, note text)');
      await owner.end();
      const catalogue = inventoryTables(inventory, 'gateway');
      const { unclassified, gone } = compareWithCatalogue(await readLiveSchema(db.migratorUrl), catalogue);
      expect(unclassified).toEqual(['scratch_notes.id', 'scratch_notes.note']);
      expect(gone).toEqual([]);

      // And an entry whose column was dropped is named as gone.
      const stale = {
        ...catalogue,
        rate_limit: { columns: { key: 'network', points: 'none', expire: 'none', window_ip: 'network' } },
      };
      expect(compareWithCatalogue(await readLiveSchema(db.migratorUrl), stale).gone).toEqual([
        'rate_limit.window_ip',
      ]);
    } finally {
      await db.drop();
    }
  });

  it('classifies every Kafka topic of the chart with the retention the chart gives it', () => {
    const manifest = JSON.parse(
      readFileSync(path.join(REPO_ROOT, 'charts', 'tracking', 'files', 'topics.json'), 'utf8'),
    ) as { topics: { name: string; retentionMs: number }[] };
    const shipped = Object.fromEntries(manifest.topics.map((topic) => [topic.name, topic.retentionMs]));
    const catalogued = Object.fromEntries(
      Object.entries(inventory.topics).map(([name, topic]) => [name, topic.retentionMs]),
    );
    expect(catalogued).toEqual(shipped);
    // Meal text in transit is kept no longer than a week (the design's minimum for replaying an
    // outage), dead-letter topics included: an operator has the same week to inspect and replay.
    const health = Object.entries(inventory.topics).filter(([, topic]) => topic.class === 'health');
    expect(health.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'tracking.meal.v1',
        'ai.meal.v1',
        'tracking.ai-results-dlq.v1',
        'ai.requests-dlq.v1',
      ]),
    );
    for (const [name, topic] of health) expect([name, topic.retentionMs]).toEqual([name, 604800000]);
  });

  it('refuses an entry that holds personal data without a legal basis, or keeps it without a reason', () => {
    const entry = {
      purpose: 'A scratch table.',
      legalBasis: 'contract',
      retention: 'For ever.',
      export: true,
      erasure: 'keep',
      columns: { email: 'contact' },
    };
    const catalogue = (table: object) => ({
      version: 1,
      everyDatabase: {},
      databases: { scratch: { scratch: table } },
      topics: {},
      backups: {},
    });
    expect(
      dataInventorySchema.safeParse(catalogue({ ...entry, keepReason: 'The law says so.' })).success,
    ).toBe(true);
    const issues = (table: object) =>
      dataInventorySchema.safeParse(catalogue(table)).error?.issues.map((issue) => issue.message) ?? [];
    expect(issues(entry)).toEqual(['keepReason is required with erasure keep, and only then']);
    expect(issues({ ...entry, erasure: 'delete', legalBasis: 'none' })).toEqual([
      'personal data needs a legal basis',
    ]);
    expect(issues({ ...entry, erasure: 'delete', columns: { email: 'secret' } })).not.toEqual([]);
  });

  it('marks every backup for erasure by expiry within its stated retention', () => {
    expect(inventory.backups['database-dumps']).toMatchObject({ erasure: 'expire' });
  });
});
