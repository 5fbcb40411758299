import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { parse } from 'csv-parse/sync';

import {
  makeTestCertificate,
  startFakeProvider,
  type FakeProvider,
  type FakeRequest,
} from './fake-providers';

const SERVICE = path.join(__dirname, '..');
const CSV = path.join(SERVICE, 'eval', 'meals.csv');

interface Reference {
  meal_description: string;
  carb: string;
  protein: string;
  fat: string;
  energy: string;
}

const references = new Map(
  parse<Reference>(readFileSync(CSV, 'utf8'), { columns: true, skip_empty_lines: true, trim: true }).map(
    (row) => [row.meal_description, row],
  ),
);

/** A "model" that knows the reference answer for every meal of the CSV. */
function oracle(request: FakeRequest): unknown {
  const row = references.get(request.input);
  if (!row) return {};
  return {
    items: [{ name: 'meal', grams: 300, calories: Math.round(Number(row.energy)) }],
    calories: Math.round(Number(row.energy)),
    proteinG: Number(row.protein),
    carbsG: Number(row.carb),
    fatG: Number(row.fat),
    confidence: 'high',
  };
}

describe('npm run eval:estimates', () => {
  let fake: FakeProvider;
  let dir: string;
  let caFile: string;

  beforeAll(async () => {
    const tls = makeTestCertificate();
    dir = mkdtempSync(path.join(tmpdir(), 'eval-'));
    caFile = path.join(dir, 'ca.pem');
    writeFileSync(caFile, tls.ca);
    fake = await startFakeProvider({ kind: 'anthropic', tls, answer: oracle });
  });

  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (provider: string) => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(SERVICE, 'eval', 'estimates.ts'),
        '--provider',
        provider,
        '--file',
        CSV,
        '--concurrency',
        '1',
      ],
      {
        env: {
          PATH: process.env.PATH,
          ANTHROPIC_BASE_URL: fake.url,
          ANTHROPIC_API_KEY: fake.apiKey,
          ANTHROPIC_MODEL: 'claude-eval-model',
          AI_PROVIDER_CA_FILE: caFile,
          AI_MAX_RETRIES: '0',
        },
      },
    );
    return Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((line) => line.split(/: (.*)/s).slice(0, 2)),
    ) as Record<string, string>;
  };

  it('measures a provider against the reference values, failures included', async () => {
    // Three meals get a refusal; with no retries configured each becomes a failure.
    fake.enqueue({ status: 400 }, { status: 400 }, { status: 400 });
    const report = await run('anthropic');
    expect(report).toMatchObject({
      provider: 'anthropic (claude-eval-model)',
      meals: String(references.size),
      'within ±20 % energy': '100.0 %',
      'within ±7.5 g carbohydrate': '100.0 %',
      'carbohydrate MAE': '0.0 g',
    });
    // The oracle rounds energy to whole kcal, as every estimate is stored.
    expect(Number.parseFloat(report['energy MAE'] ?? '')).toBeLessThanOrEqual(0.5);
    expect(report.failures).toMatch(/^3 \(/);
    expect(report['latency p50']).toMatch(/^\d+\.\d ms$/);
    expect(report['latency p95']).toMatch(/^\d+\.\d ms$/);
    expect(fake.requests).toHaveLength(references.size);
  });

  it('runs the offline estimator with no network at all', async () => {
    const report = await run('offline');
    expect(report.provider).toBe('offline (offline-table-v1)');
    expect(Number.parseFloat(report['energy MAE'] ?? '')).toBeGreaterThan(0);
  });
});
