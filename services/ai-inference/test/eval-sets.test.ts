import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { parse } from 'csv-parse/sync';

import { perMealCsv, readMeals, runOffline, timesOff, type Row } from '../eval/estimates';
import { checkEstimate } from '../src/plausibility';
import { estimateFromTable } from '../src/providers/offline-foods';

const EVAL = path.join(__dirname, '..', 'eval');
const SETS = {
  'tuning (meals.csv)': 'meals.csv',
  'held-out part A': 'held-out.csv',
  'held-out part B': 'held-out-b.csv',
} as const;

/** References recomputed from the per-item breakdown: grams x per-100 g value, summed. */
function fromItems(file: string): Map<number, { kcal: number; carb: number; protein: number; fat: number }> {
  const items = parse<Record<string, string>>(readFileSync(path.join(EVAL, file), 'utf8'), { columns: true });
  const meals = new Map<number, { kcal: number; carb: number; protein: number; fat: number }>();
  for (const item of items) {
    const meal = Number(item.meal);
    const grams = Number(item.grams) / 100;
    const sum = meals.get(meal) ?? { kcal: 0, carb: 0, protein: 0, fat: 0 };
    sum.kcal += grams * Number(item.kcal_100g);
    sum.carb += grams * Number(item.carb_100g);
    sum.protein += grams * Number(item.protein_100g);
    sum.fat += grams * Number(item.fat_100g);
    meals.set(meal, sum);
  }
  return meals;
}

describe('the evaluation sets', () => {
  test.each([
    ['held-out.csv', 'held-out-items.csv'],
    ['held-out-b.csv', 'held-out-b-items.csv'],
  ])('every reference of %s is the sum of its FDC items', (set, items) => {
    const rows = readMeals(path.join(EVAL, set));
    const sums = fromItems(items);
    expect(sums.size).toBe(rows.length);
    rows.forEach((row: Row, index) => {
      const sum = sums.get(index + 1);
      // Rounded to whole kcal and 0.1 g when written.
      expect({ meal: row.meal_description, off: Math.abs(row.energy - (sum?.kcal ?? -1)) <= 0.5 }).toEqual({
        meal: row.meal_description,
        off: true,
      });
      expect(Math.abs(row.carb - (sum?.carb ?? 0))).toBeLessThanOrEqual(0.051);
    });
  });

  test.each([
    ['held-out.csv', 'held-out-items.csv'],
    ['held-out-b.csv', 'held-out-b-items.csv'],
  ])('the description checks accept the reference answers of %s, and 30 %% off either way', (set, file) => {
    // An answer that is right, or 30 % off, is never refused for disagreeing with its text.
    const rows = readMeals(path.join(EVAL, set));
    const items = parse<Record<string, string>>(readFileSync(path.join(EVAL, file), 'utf8'), {
      columns: true,
    });
    for (const scale of [1, 0.7, 1.3]) {
      const refused = rows.flatMap((row, index) => {
        const answer = items
          .filter((item) => Number(item.meal) === index + 1 && Number(item.grams) > 0)
          .map((item) => ({
            name: item.fdc_description ?? '',
            grams: Number(item.grams) * scale,
            calories: Math.round((Number(item.grams) * Number(item.kcal_100g) * scale) / 100),
          }));
        const checked = checkEstimate(
          {
            items: answer,
            calories: answer.reduce((sum, item) => sum + item.calories, 0),
            proteinG: row.protein * scale,
            carbsG: row.carb * scale,
            fatG: row.fat * scale,
            confidence: 'medium',
          },
          row.meal_description,
        );
        return checked.ok ? [] : [`${checked.problem}: ${row.meal_description}`];
      });
      expect(refused).toEqual([]);
    }
  });

  test('no meal of the held-out parts is a copy of a tuning meal', () => {
    const tuning = new Set(
      readMeals(path.join(EVAL, 'meals.csv')).map((row) => row.meal_description.toLowerCase()),
    );
    for (const file of ['held-out.csv', 'held-out-b.csv']) {
      for (const row of readMeals(path.join(EVAL, file)))
        expect(tuning.has(row.meal_description.toLowerCase())).toBe(false);
    }
  });

  test.each(Object.entries(SETS))(
    '%s: the offline estimator is never off by more than 2x in energy',
    async (_name, file) => {
      const results = await runOffline(readMeals(path.join(EVAL, file)));
      const gross = results
        .filter((result) => result.estimate !== undefined)
        .map((result) => ({
          meal: result.row.meal_description,
          reference: result.row.energy,
          estimate: result.estimate?.calories,
          timesOff: timesOff(result.estimate?.calories, result.row.energy),
        }))
        .filter((meal) => meal.timesOff > 2);
      expect(gross).toEqual([]);
      // A meal goes unanswered only when its text names no food the table knows: an answer
      // the plausibility checks refused would be a different, and worse, failure.
      const unanswered = results.filter((result) => result.estimate === undefined);
      for (const result of unanswered) expect(estimateFromTable(result.row.meal_description)).toBeNull();
      expect(unanswered.length).toBeLessThanOrEqual(1);
    },
  );
});

describe('npm run eval:estimates, per meal and compared', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'eval-sets-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const harness = async (...args: string[]) => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', path.join(EVAL, 'estimates.ts'), ...args],
      { env: { PATH: process.env.PATH } },
    );
    return stdout;
  };

  test('writes one CSV row per meal, prints the 10 worst, and compares two runs', async () => {
    const out = path.join(dir, 'offline.csv');
    const stdout = await harness(
      '--provider',
      'offline',
      '--file',
      path.join(EVAL, 'held-out-b.csv'),
      '--out',
      out,
      '--concurrency',
      '1',
    );
    const meals = readMeals(path.join(EVAL, 'held-out-b.csv'));
    const rows = parse<Record<string, string>>(readFileSync(out, 'utf8'), { columns: true });
    expect(rows).toHaveLength(meals.length);
    expect(Object.keys(rows[0] ?? {})).toEqual([
      'meal_description',
      'reference_kcal',
      'estimate_kcal',
      'error_kcal',
      'error_percent',
      'times_off',
      'reference_carb',
      'estimate_carb',
      'items',
    ]);
    const answered = rows.find((row) => row.estimate_kcal !== '');
    expect(Number(answered?.error_kcal)).toBe(
      Number(answered?.estimate_kcal) - Number(answered?.reference_kcal),
    );
    expect(answered?.items).toMatch(/ g \d+ kcal/);

    const lines = stdout.split('\n');
    const worst = lines.indexOf('worst 10 (times off, error, reference, meal):');
    expect(worst).toBeGreaterThan(0);
    expect(lines.slice(worst + 1).filter((line) => line.startsWith('  '))).toHaveLength(10);

    // The same run compared with itself moves nothing; with a worse run, the worse meals show.
    const worse = path.join(dir, 'worse.csv');
    const results = await runOffline(meals);
    const spoilt = results.findIndex((result) => result.estimate !== undefined);
    writeFileSync(
      worse,
      perMealCsv(
        results.map((result, index) =>
          index === spoilt && result.estimate
            ? { ...result, estimate: { ...result.estimate, calories: result.row.energy * 3 } }
            : result,
        ),
      ),
    );
    const same = await harness('--compare', out, out);
    expect(same).toMatch(/meals better: 0, worse: 0/);
    const compared = await harness('--compare', out, worse);
    expect(compared).toMatch(/^\s+before\s+after$/m);
    expect(compared).toMatch(/meals better: 0, worse: 1/);
  });
});
