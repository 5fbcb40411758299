// The estimate evaluation harness (eval/README.md):
//   npm run eval:estimates -- --provider <anthropic|qwen|offline> --file <csv> [--out <csv>] [--limit N] [--concurrency N]
//   npm run eval:estimates -- --compare <before.csv> <after.csv>
// Runs every meal of the CSV (meal_description,carb,protein,fat,energy) through the production
// path (the provider adapter, validation, plausibility checks, the one retry), prints the energy
// and carbohydrate errors, the failure rate, the latency and the 10 worst meals, and writes one
// row per meal (description, reference, estimate, error, items) to --out. --compare reads two
// such files (before and after a change, or two providers) and prints what moved.
// Provider settings come from the same variables the service reads (ANTHROPIC_API_KEY, ...).
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { createLogger, createMetrics, loadConfig } from '@tracking/kit';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';

import { ALWAYS, providerSettings, requireProviderSettings } from '../src/config';
import { createInference, type Inference } from '../src/inference';
import { createProviders } from '../src/providers';
import { offlineProvider } from '../src/providers/offline';
import { PROVIDER_NAMES, type Provider } from '../src/providers/provider';

const rowSchema = z.object({
  meal_description: z.string().min(1).max(2000),
  carb: z.coerce.number().min(0),
  protein: z.coerce.number().min(0),
  fat: z.coerce.number().min(0),
  energy: z.coerce.number().min(0),
});
export type Row = z.infer<typeof rowSchema>;

export interface Result {
  row: Row;
  ms: number;
  estimate?: {
    calories: number;
    carbsG: number;
    items: readonly { name: string; grams: number; calories: number }[];
  };
}

/** An evaluation CSV: the set's meals with their reference values. */
export function readMeals(file: string): Row[] {
  const records = parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true, trim: true });
  return z.array(rowSchema).parse(records);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const share = (count: number, total: number) => (total === 0 ? Number.NaN : (100 * count) / total);

/**
 * How many times off the estimate is, in whichever direction: 2 for half or double the
 * reference energy, Infinity for no estimate at all (a failure is as bad as it gets).
 */
export function timesOff(estimate: number | undefined, reference: number): number {
  if (estimate === undefined) return Number.POSITIVE_INFINITY;
  const low = Math.max(Math.min(estimate, reference), 1);
  return Math.max(estimate, reference, 1) / low;
}

/** The figures the issue asks for; errors over the meals that got an estimate. */
export function summarise(results: Result[]) {
  const answered = results.filter((result) => result.estimate);
  const energyErrors = answered.map((result) =>
    Math.abs((result.estimate?.calories ?? 0) - result.row.energy),
  );
  const carbErrors = answered.map((result) => Math.abs((result.estimate?.carbsG ?? 0) - result.row.carb));
  const latencies = results.map((result) => result.ms).sort((a, b) => a - b);
  // Over the answered meals: a meal with no estimate is counted in failures, not here.
  const off = answered.map((result) => timesOff(result.estimate?.calories, result.row.energy));
  return {
    meals: results.length,
    failures: results.length - answered.length,
    energyMae: mean(energyErrors),
    carbMae: mean(carbErrors),
    within20PercentEnergy: share(
      answered.filter(
        (result) => Math.abs((result.estimate?.calories ?? 0) - result.row.energy) <= 0.2 * result.row.energy,
      ).length,
      answered.length,
    ),
    within7_5gCarbs: share(carbErrors.filter((error) => error <= 7.5).length, answered.length),
    worstTimesOff: off.length === 0 ? Number.NaN : Math.max(...off),
    offBy2x: off.filter((value) => value > 2).length,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
  };
}

/** An inference that never opens its circuit and never runs out of budget: every meal gets its chance. */
export function evaluationInference(provider: Provider, callDeadlineMs = 60_000): Inference {
  return createInference({
    providers: [provider],
    budget: {
      reserve: () => Promise.resolve('reserved' as const),
      spend: () => Promise.resolve(),
      purge: () => Promise.resolve(0),
    },
    log: createLogger({ service: 'eval', level: 'silent' }),
    metrics: createMetrics(),
    breaker: { errorPercent: 100, minCalls: Number.MAX_SAFE_INTEGER, windowMs: 60_000, resetMs: 1_000 },
    callDeadlineMs,
  });
}

/** Runs every meal through the inference, `concurrency` at a time, in the CSV's order. */
export async function runMeals(inference: Inference, rows: Row[], concurrency = 1): Promise<Result[]> {
  const results: Result[] = [];
  let next = 0;
  const tenant = '00000000-0000-4000-8000-000000000000';
  const worker = async () => {
    for (let index = next++; index < rows.length; index = next++) {
      const row = rows[index];
      if (!row) continue;
      const started = performance.now();
      const outcome = await inference.estimateMeal(tenant, row.meal_description, 'team');
      results[index] = {
        row,
        ms: performance.now() - started,
        ...(outcome.ok ? { estimate: outcome.value } : {}),
      };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return results;
}

/** Runs a set with the offline estimator, by the production path and with no network. */
export async function runOffline(rows: Row[]): Promise<Result[]> {
  const inference = evaluationInference(offlineProvider());
  try {
    return await runMeals(inference, rows);
  } finally {
    inference.close();
  }
}

// ------------------------------------------------------------------------------- per-meal output

export const PER_MEAL_COLUMNS = [
  'meal_description',
  'reference_kcal',
  'estimate_kcal',
  'error_kcal',
  'error_percent',
  'times_off',
  'reference_carb',
  'estimate_carb',
  'items',
] as const;

const perMealSchema = z.object({
  meal_description: z.string(),
  reference_kcal: z.coerce.number(),
  estimate_kcal: z.string(),
  error_kcal: z.string(),
  error_percent: z.string(),
  times_off: z.string(),
  reference_carb: z.coerce.number(),
  estimate_carb: z.string(),
  items: z.string(),
});
type PerMeal = z.infer<typeof perMealSchema>;

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function perMeal(result: Result): PerMeal {
  const { row, estimate } = result;
  const kcal = estimate?.calories;
  return {
    meal_description: row.meal_description,
    reference_kcal: row.energy,
    estimate_kcal: kcal === undefined ? '' : String(kcal),
    error_kcal: kcal === undefined ? '' : String(kcal - row.energy),
    error_percent: kcal === undefined ? '' : ((100 * (kcal - row.energy)) / row.energy).toFixed(1),
    times_off: kcal === undefined ? 'failed' : timesOff(kcal, row.energy).toFixed(2),
    reference_carb: row.carb,
    estimate_carb: estimate === undefined ? '' : String(estimate.carbsG),
    items: (estimate?.items ?? [])
      .map((item) => `${item.name} ${item.grams} g ${item.calories} kcal`)
      .join('; '),
  };
}

/** One CSV row per meal, in the set's order. */
export function perMealCsv(results: Result[]): string {
  const lines = results.map((result) => {
    const meal = perMeal(result);
    return PER_MEAL_COLUMNS.map((column) => csvField(meal[column])).join(',');
  });
  return `${[PER_MEAL_COLUMNS.join(','), ...lines].join('\n')}\n`;
}

const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const signed = (value: number) => `${value > 0 ? '+' : ''}${String(Math.round(value))}`;

function worstLines(meals: PerMeal[], count = 10): string[] {
  const off = (meal: PerMeal) => (meal.times_off === 'failed' ? Infinity : Number(meal.times_off));
  return [...meals]
    .sort((a, b) => off(b) - off(a))
    .slice(0, count)
    .map((meal) =>
      meal.times_off === 'failed'
        ? `  failed      ref ${String(meal.reference_kcal)} kcal  ${meal.meal_description}`
        : `  ${meal.times_off.padStart(5)}x  ${signed(Number(meal.error_kcal)).padStart(6)} kcal  ref ${String(
            meal.reference_kcal,
          )} kcal  ${meal.meal_description}`,
    );
}

export function report(label: string, results: Result[]): string[] {
  const summary = summarise(results);
  return [
    `provider: ${label}`,
    `meals: ${String(summary.meals)}`,
    `failures: ${String(summary.failures)} (${fixed(share(summary.failures, summary.meals))} %)`,
    `energy MAE: ${fixed(summary.energyMae)} kcal`,
    `carbohydrate MAE: ${fixed(summary.carbMae)} g`,
    `within ±20 % energy: ${fixed(summary.within20PercentEnergy)} %`,
    `within ±7.5 g carbohydrate: ${fixed(summary.within7_5gCarbs)} %`,
    `off by more than 2x: ${String(summary.offBy2x)}`,
    `worst answered: ${fixed(summary.worstTimesOff, 2)}x`,
    `latency p50: ${fixed(summary.p50Ms)} ms`,
    `latency p95: ${fixed(summary.p95Ms)} ms`,
    'worst 10 (times off, error, reference, meal):',
    ...worstLines(results.map(perMeal)),
  ];
}

// ------------------------------------------------------------------------------- comparing two runs

function readPerMeal(file: string): PerMeal[] {
  const records = parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true });
  return z.array(perMealSchema).parse(records);
}

function figures(meals: PerMeal[]) {
  const answered = meals.filter((meal) => meal.estimate_kcal !== '');
  const off = answered.map((meal) => Number(meal.times_off));
  return {
    meals: meals.length,
    failures: meals.length - answered.length,
    energyMae: mean(answered.map((meal) => Math.abs(Number(meal.error_kcal)))),
    within20: share(
      answered.filter((meal) => Math.abs(Number(meal.error_percent)) <= 20).length,
      answered.length,
    ),
    offBy2x: off.filter((value) => value > 2).length,
    worst: off.length === 0 ? Number.NaN : Math.max(...off),
  };
}

/** Two runs side by side: the summary figures, then the meals whose error moved most. */
export function compare(before: PerMeal[], after: PerMeal[], count = 10): string[] {
  const a = figures(before);
  const b = figures(after);
  const row = (name: string, x: string, y: string) => `${name.padEnd(26)}${x.padStart(10)}${y.padStart(10)}`;
  const lines = [
    row('', 'before', 'after'),
    row('meals', String(a.meals), String(b.meals)),
    row('failures', String(a.failures), String(b.failures)),
    row('energy MAE (kcal)', fixed(a.energyMae), fixed(b.energyMae)),
    row('within ±20 % energy (%)', fixed(a.within20), fixed(b.within20)),
    row('off by more than 2x', String(a.offBy2x), String(b.offBy2x)),
    row('worst answered (times off)', fixed(a.worst, 2), fixed(b.worst, 2)),
  ];
  const earlier = new Map(before.map((meal) => [meal.meal_description, meal]));
  const error = (meal: PerMeal | undefined) =>
    meal === undefined || meal.error_kcal === '' ? Infinity : Math.abs(Number(meal.error_kcal));
  const moved = after
    .map((meal) => ({ meal, was: earlier.get(meal.meal_description) }))
    .filter(({ was }) => was !== undefined)
    .map(({ meal, was }) => ({ meal, was, change: error(meal) - error(was) }))
    .filter(({ change }) => change !== 0 && !Number.isNaN(change));
  const better = moved.filter(({ change }) => change < 0).length;
  const worse = moved.filter(({ change }) => change > 0).length;
  lines.push(
    `meals better: ${String(better)}, worse: ${String(worse)}, unchanged: ${String(after.length - better - worse)}`,
  );
  lines.push(`most changed (kcal before -> after, reference, meal):`);
  const shown = (meal: PerMeal | undefined) => (meal?.estimate_kcal ? meal.estimate_kcal : 'failed');
  for (const { meal, was } of [...moved]
    .sort(
      (x, y) =>
        Math.abs(y.change === -Infinity ? 1e9 : y.change) - Math.abs(x.change === -Infinity ? 1e9 : x.change),
    )
    .slice(0, count)) {
    lines.push(
      `  ${shown(was).padStart(6)} -> ${shown(meal).padStart(6)}  ref ${String(meal.reference_kcal)}  ${meal.meal_description}`,
    );
  }
  return lines;
}

// ------------------------------------------------------------------------------- the command

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      provider: { type: 'string' },
      file: { type: 'string' },
      out: { type: 'string' },
      compare: { type: 'boolean', default: false },
      limit: { type: 'string' },
      concurrency: { type: 'string', default: '4' },
    },
  });
  if (values.compare) {
    const [before, after] = positionals;
    if (before === undefined || after === undefined) throw new Error('--compare <before.csv> <after.csv>');
    process.stdout.write(`${compare(readPerMeal(before), readPerMeal(after)).join('\n')}\n`);
    return;
  }
  const provider = z.enum(PROVIDER_NAMES).parse(values.provider);
  if (!values.file) throw new Error('--file <csv> is required');
  const settings = loadConfig(providerSettings.superRefine(requireProviderSettings, ALWAYS), {
    ...process.env,
    AI_PROVIDERS: provider,
  });
  const rows = readMeals(values.file).slice(0, values.limit ? Number(values.limit) : undefined);

  const [configured] = createProviders(settings);
  if (!configured) throw new Error('no provider');
  const inference = evaluationInference(
    configured,
    settings.AI_TIMEOUT_MS * (settings.AI_MAX_RETRIES + 1) + 10_000,
  );
  const results = await runMeals(inference, rows, Number(values.concurrency));
  inference.close();

  if (values.out) writeFileSync(values.out, perMealCsv(results));
  const lines = report(`${provider} (${configured.model})`, results);
  if (values.out) lines.push(`per-meal results: ${values.out}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `eval:estimates failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}
