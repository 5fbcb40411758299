import { createHash, randomUUID } from 'node:crypto';

import { columnClass, exportPartPrefix, inventoryTables, type ExportPartFile } from '@tracking/contracts';
import {
  ObjectStoreError,
  createObjectStore,
  decryptWithIdentities,
  encryptForRecipients,
  generateExportKeyPair,
  toCsv,
  type ObjectStore,
} from '@tracking/kit/privacy';
import { captureLogger, randomName } from '@tracking/testing';
import { fromBuffer, type Entry, type ZipFile } from 'yauzl';

import { ExportAssemblyError, createExportAssembly, exportObjectKey } from '../src/export';
import { loadInventory } from '../src/export/inventory';

/** The local S3 store (scripts/s3.sh), under a prefix of this run's own. */
function s3Settings() {
  const { S3_ENDPOINT, S3_BUCKET, S3_CREDENTIALS_DIR, S3_REGION } = process.env;
  if (!S3_ENDPOINT || !S3_BUCKET || !S3_CREDENTIALS_DIR)
    throw new Error('S3_ENDPOINT, S3_BUCKET and S3_CREDENTIALS_DIR are not set: start the infrastructure');
  return {
    EXPORT_S3_ENDPOINT: S3_ENDPOINT,
    EXPORT_S3_REGION: S3_REGION ?? 'us-east-1',
    EXPORT_S3_BUCKET: S3_BUCKET,
    EXPORT_S3_PREFIX: `privacy-export-test/${randomName()}/`,
    EXPORT_S3_FORCE_PATH_STYLE: true,
    EXPORT_S3_CREDENTIALS_DIR: S3_CREDENTIALS_DIR,
    EXPORT_S3_SSE: 'AES256' as const,
  };
}

/** Every entry of a ZIP, by path, with its bytes: the archive opened as a person's unzip tool would. */
function unzip(zip: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    fromBuffer(zip, { lazyEntries: true }, (error, file: ZipFile | undefined) => {
      if (error || !file) {
        reject(error ?? new Error('no zip'));
        return;
      }
      const entries = new Map<string, Buffer>();
      file.on('entry', (entry: Entry) => {
        file.openReadStream(entry, (streamError, stream) => {
          if (streamError) {
            reject(streamError);
            return;
          }
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', reject);
          stream.on('end', () => {
            entries.set(entry.fileName, Buffer.concat(chunks));
            file.readEntry();
          });
        });
      });
      file.on('end', () => resolve(entries));
      file.on('error', reject);
      file.readEntry();
    });
  });
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('the export store: one encrypted ZIP with a README from the data inventory', () => {
  const { log } = captureLogger('export-assembly-test');
  const settings = s3Settings();
  const inventory = loadInventory();
  let store: ObjectStore | undefined;
  let keys: { identity: string; recipient: string } | undefined;
  const canary = `canary meal ${randomUUID()}`;

  const ready = () => {
    if (!store || !keys) throw new Error('beforeAll did not finish');
    return { store, keys };
  };

  const assembly = () => {
    const { store: s, keys: k } = ready();
    return createExportAssembly(
      { ...settings, PRIVACY_EXPORT_RECIPIENT: [k.recipient], PRIVACY_EXPORT_IDENTITY_DIR: '/unused' },
      log,
      { store: s, identities: [k.identity] },
    );
  };

  /** Writes a part as a participant would (encrypted to the recipient) and returns its answer entry. */
  async function writePart(
    requestId: string,
    service: string,
    name: string,
    content: string,
  ): Promise<ExportPartFile> {
    const { store: s, keys: k } = ready();
    const key = `${exportPartPrefix(requestId)}${service}/${name}.age`;
    await s.put(key, await encryptForRecipients(content, [k.recipient]));
    return {
      name,
      key,
      bytes: Buffer.byteLength(content),
      sha256: createHash('sha256').update(content).digest('hex'),
    };
  }

  /** A sample export: auth's JSON and a CSV, tracking's meals, and a field the inventory does not know. */
  async function sampleParts(requestId: string, subjectId: string) {
    const users = [{ id: subjectId, email: 'person@example.test', display_name: 'Pat', role: 'client' }];
    const sessions = [
      { id: randomUUID(), ip: '203.0.113.9', user_agent: 'Firefox', created_at: new Date(0) },
    ];
    const meals = [
      {
        id: randomUUID(),
        client_id: subjectId,
        eaten_at: '2026-01-01T08:00:00Z',
        description: canary,
        calories: 420,
      },
    ];
    const contents = {
      'auth/auth.json': JSON.stringify({ users, sessions }, null, 2),
      'auth/sessions.csv': toCsv(['id', 'ip', 'user_agent', 'created_at'], sessions),
      'tracking/meal.csv': toCsv(['id', 'client_id', 'eaten_at', 'description', 'calories'], meals),
      'tracking/tracking.json': JSON.stringify({
        meal: meals,
        daily_summary: [{ day_utc: '2026-01-01', meals: 1, calories: 420 }],
        scratch: [{ total_kcal: 420 }],
      }),
    };
    const files = {
      auth: [
        await writePart(requestId, 'auth', 'auth.json', contents['auth/auth.json']),
        await writePart(requestId, 'auth', 'sessions.csv', contents['auth/sessions.csv']),
      ],
      tracking: [
        await writePart(requestId, 'tracking', 'meal.csv', contents['tracking/meal.csv']),
        await writePart(requestId, 'tracking', 'tracking.json', contents['tracking/tracking.json']),
      ],
    };
    return { files, contents };
  }

  beforeAll(async () => {
    store = createObjectStore(settings);
    keys = await generateExportKeyPair();
  });

  afterAll(async () => {
    if (store) {
      await store.remove(...(await store.list('')));
      store.close();
    }
  });

  it('builds one ZIP of every part and a README naming every file and field with the inventory’s words, stores it encrypted and deletes the parts', async () => {
    const { store: s, keys: k } = ready();
    const requestId = randomUUID();
    const subjectId = randomUUID();
    const { files, contents } = await sampleParts(requestId, subjectId);

    const { objectKey, sizeBytes } = await assembly().assemble({ requestId, subjectId, files });
    expect(objectKey).toBe(exportObjectKey(requestId));
    // Only the ZIP is left under the request's prefix, and it is ciphertext.
    expect(await s.list(exportPartPrefix(requestId))).toEqual([objectKey]);
    const stored = Buffer.from(await s.get(objectKey));
    expect(stored.toString('latin1')).not.toContain('person@example.test');
    const stranger = await generateExportKeyPair();
    await expect(decryptWithIdentities(stored, [stranger.identity])).rejects.toThrow();

    // The download is the ZIP itself, of the size the request will show.
    const zip = await collect(await assembly().openDownload(objectKey));
    expect(zip.byteLength).toBe(sizeBytes);
    expect(Buffer.from(await decryptWithIdentities(stored, [k.identity]))).toEqual(zip);
    const entries = await unzip(zip);
    expect([...entries.keys()].sort()).toEqual(['README.md', ...Object.keys(contents)].sort());
    for (const [name, content] of Object.entries(contents))
      expect(entries.get(name)?.toString('utf8')).toBe(content);

    const readme = entries.get('README.md')?.toString('utf8') ?? '';
    for (const name of Object.keys(contents)) expect(readme).toContain(`\`${name}\``);
    // Every field of every file, described as the inventory describes its column (not a hand-written list).
    const row = (service: string, table: string, field: string) => {
      const column = inventoryTables(inventory, service)[table]?.columns[field];
      const line = readme.split('\n').find((text, index, all) => {
        const section = all
          .slice(0, index)
          .reverse()
          .find((heading) => heading.startsWith('### '));
        return section === `### ${table}` && text.startsWith(`| \`${field}\` |`);
      });
      return { column, line };
    };
    for (const [service, table, fields] of [
      ['auth', 'users', ['id', 'email', 'display_name', 'role']],
      ['auth', 'sessions', ['id', 'ip', 'user_agent', 'created_at']],
      ['tracking', 'meal', ['id', 'client_id', 'eaten_at', 'description', 'calories']],
    ] as const) {
      const entry = inventoryTables(inventory, service)[table];
      expect(readme).toContain(entry?.purpose);
      expect(readme).toContain(entry?.retention);
      for (const field of fields) {
        const { column, line } = row(service, table, field);
        expect(column).toBeDefined();
        expect(line).toBeDefined();
        if (column) expect(line).not.toContain('not described');
        if (column && columnClass(column) === 'health') expect(line).toContain('health data');
      }
    }
    // What the inventory does not describe is still explained, as such.
    expect(row('tracking', 'scratch', 'total_kcal').line).toContain('not described in the data inventory');
    // A list computed for the export is described from the inventory's exportViews.
    const view = inventory.exportViews?.tracking?.daily_summary;
    expect(view).toBeDefined();
    expect(readme).toContain(view?.purpose);
    for (const field of ['day_utc', 'meals', 'calories'])
      expect(row('tracking', 'daily_summary', field).line).toContain('health data');
    // Every table the inventory exports is named: a participant's table in no file holds nothing about them.
    for (const [service, tables] of Object.entries(inventory.databases))
      for (const [table, entry] of Object.entries(tables))
        if (entry.export)
          expect(`${service}: ${readme.includes(`\`${table}\``) ? 'named' : 'missing'}`).toBe(
            `${service}: named`,
          );
    expect(readme).toMatch(/## ai-inference\n\n- Nothing about you in: `ai_usage`\./);
    // The README never repeats the data itself.
    expect(readme).not.toContain(canary);
    expect(readme).not.toContain('person@example.test');
  }, 60_000);

  it('refuses a part that was altered, or that lies outside its service’s folder, and keeps the parts', async () => {
    const { store: s, keys: k } = ready();
    const requestId = randomUUID();
    const subjectId = randomUUID();
    const { files } = await sampleParts(requestId, subjectId);
    const [first, ...rest] = files.tracking;
    if (!first) throw new Error('no sample part');

    // Another file under the same key: a valid age file, but not the bytes tracking reported.
    await s.put(first.key, await encryptForRecipients('something else', [k.recipient]));
    await expect(assembly().assemble({ requestId, subjectId, files })).rejects.toThrow(
      new ExportAssemblyError('tracking/meal.csv is not the file tracking wrote (size or SHA-256)'),
    );
    // auth pointing at tracking's part.
    await expect(
      assembly().assemble({
        requestId,
        subjectId,
        files: { auth: [{ ...first, name: 'meal.csv' }], tracking: rest },
      }),
    ).rejects.toThrow(ExportAssemblyError);
    expect(await s.list(exportPartPrefix(requestId))).toHaveLength(4);
    expect(await s.list(exportObjectKey(requestId))).toEqual([]);
  }, 60_000);

  it('a second assemble after a crash returns the stored ZIP; remove() deletes it and whatever was left', async () => {
    const { store: s } = ready();
    const requestId = randomUUID();
    const subjectId = randomUUID();
    const { files } = await sampleParts(requestId, subjectId);
    const first = await assembly().assemble({ requestId, subjectId, files });
    // The coordinator died before it marked the export ready: the parts are gone, the ZIP is there.
    expect(await assembly().assemble({ requestId, subjectId, files })).toEqual(first);

    await s.put(`${exportPartPrefix(requestId)}billing/late.json.age`, 'x');
    await assembly().remove(first.objectKey);
    expect(await s.list(exportPartPrefix(requestId))).toEqual([]);
    await expect(assembly().openDownload(first.objectKey)).rejects.toMatchObject({ notFound: true });
    await expect(assembly().openDownload('exports/../secret')).rejects.toThrow(ExportAssemblyError);
    expect(ObjectStoreError).toBeDefined();
  }, 60_000);

  it('a download of a stored export that was cut short or altered fails instead of ending as a shorter file', async () => {
    const { store: s } = ready();
    const requestId = randomUUID();
    const { files } = await sampleParts(requestId, randomUUID());
    const { objectKey } = await assembly().assemble({ requestId, subjectId: randomUUID(), files });
    const whole = Buffer.from(await s.get(objectKey));

    await s.put(objectKey, whole.subarray(0, whole.byteLength - 20));
    await expect(collect(await assembly().openDownload(objectKey))).rejects.toThrow();

    const flipped = Buffer.from(whole);
    flipped[flipped.byteLength - 40] = (flipped[flipped.byteLength - 40] ?? 0) ^ 0x01;
    await s.put(objectKey, flipped);
    await expect(collect(await assembly().openDownload(objectKey))).rejects.toThrow();
  }, 60_000);

  it('refuses to write a ZIP to a recipient whose identity the service does not hold, before touching the parts', async () => {
    const { store: s, keys: k } = ready();
    const requestId = randomUUID();
    const { files } = await sampleParts(requestId, randomUUID());
    const elsewhere = await generateExportKeyPair();
    const misconfigured = createExportAssembly(
      {
        ...settings,
        PRIVACY_EXPORT_RECIPIENT: [elsewhere.recipient],
        PRIVACY_EXPORT_IDENTITY_DIR: '/unused',
      },
      log,
      { store: s, identities: [k.identity] },
    );
    await expect(misconfigured.assemble({ requestId, subjectId: randomUUID(), files })).rejects.toThrow(
      /PRIVACY_EXPORT_RECIPIENT names a recipient whose identity is not in PRIVACY_EXPORT_IDENTITY_DIR/,
    );
    expect(await s.list(exportPartPrefix(requestId))).toHaveLength(4);
  }, 60_000);

  it('an export of someone the platform holds nothing about is a README that says so', async () => {
    const requestId = randomUUID();
    const { sizeBytes, objectKey } = await assembly().assemble({
      requestId,
      subjectId: randomUUID(),
      files: {},
    });
    const entries = await unzip(await collect(await assembly().openDownload(objectKey)));
    expect([...entries.keys()]).toEqual(['README.md']);
    expect(entries.get('README.md')?.toString('utf8')).toContain(
      'The platform holds no personal data about you.',
    );
    expect(sizeBytes).toBeGreaterThan(0);
  }, 60_000);
});
