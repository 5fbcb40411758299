// The estimate evaluation harness (eval/README.md):
//   npm run eval:estimates -- --provider <anthropic|qwen|offline> --file <csv> [--limit N] [--concurrency N]
// Runs every meal of the CSV (meal_description,carb,protein,fat,energy) through the production
// path (the provider adapter, validation, plausibility checks, the one retry), and prints the
// energy and carbohydrate errors, the failure rate and the latency. Provider settings come from
// the same variables the service reads (ANTHROPIC_API_KEY, QWEN_BASE_URL, ...).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { createLogger, createMetrics, loadConfig } from '@tracking/kit';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';

import { ALWAYS, providerSettings, requireProviderSettings } from '../src/config';
import { createInference } from '../src/inference';
import { createProviders } from '../src/providers';
import { PROVIDER_NAMES } from '../src/providers/provider';

const rowSchema = z.object({
  meal_description: z.string().min(1).max(2000),
  carb: z.coerce.number().min(0),
  protein: z.coerce.number().min(0),
  fat: z.coerce.number().min(0),
  energy: z.coerce.number().min(0),
});
type Row = z.infer<typeof rowSchema>;

interface Result {
  row: Row;
  ms: number;
  estimate?: { calories: number; carbsG: number };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const share = (count: number, total: number) => (total === 0 ? Number.NaN : (100 * count) / total);

/** The figures the issue asks for; errors over the meals that got an estimate. */
export function summarise(results: Result[]) {
  const answered = results.filter((result) => result.estimate);
  const energyErrors = answered.map((result) =>
    Math.abs((result.estimate?.calories ?? 0) - result.row.energy),
  );
  const carbErrors = answered.map((result) => Math.abs((result.estimate?.carbsG ?? 0) - result.row.carb));
  const latencies = results.map((result) => result.ms).sort((a, b) => a - b);
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
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      provider: { type: 'string' },
      file: { type: 'string' },
      limit: { type: 'string' },
      concurrency: { type: 'string', default: '4' },
    },
  });
  const provider = z.enum(PROVIDER_NAMES).parse(values.provider);
  if (!values.file) throw new Error('--file <csv> is required');
  const settings = loadConfig(providerSettings.superRefine(requireProviderSettings, ALWAYS), {
    ...process.env,
    AI_PROVIDERS: provider,
  });
  const records = parse(readFileSync(values.file, 'utf8'), {
    columns: true,
    skip_empty_lines: true,
    trim: true,
  });
  const rows = z
    .array(rowSchema)
    .parse(records)
    .slice(0, values.limit ? Number(values.limit) : undefined);

  const [configured] = createProviders(settings);
  if (!configured) throw new Error('no provider');
  const inference = createInference({
    providers: [configured],
    budget: {
      reserve: () => Promise.resolve('reserved' as const),
      spend: () => Promise.resolve(),
      purge: () => Promise.resolve(0),
    },
    log: createLogger({ service: 'eval', level: 'silent' }),
    metrics: createMetrics(),
    // Never open the circuit: every meal gets its own chance.
    breaker: { errorPercent: 100, minCalls: Number.MAX_SAFE_INTEGER, windowMs: 60_000, resetMs: 1_000 },
    callDeadlineMs: settings.AI_TIMEOUT_MS * (settings.AI_MAX_RETRIES + 1) + 10_000,
  });
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
  await Promise.all(Array.from({ length: Math.max(1, Number(values.concurrency)) }, worker));
  inference.close();

  const summary = summarise(results);
  const fixed = (value: number, digits = 1) => (Number.isNaN(value) ? 'n/a' : value.toFixed(digits));
  const lines = [
    `provider: ${provider} (${configured.model})`,
    `meals: ${String(summary.meals)}`,
    `failures: ${String(summary.failures)} (${fixed(share(summary.failures, summary.meals))} %)`,
    `energy MAE: ${fixed(summary.energyMae)} kcal`,
    `carbohydrate MAE: ${fixed(summary.carbMae)} g`,
    `within ±20 % energy: ${fixed(summary.within20PercentEnergy)} %`,
    `within ±7.5 g carbohydrate: ${fixed(summary.within7_5gCarbs)} %`,
    `latency p50: ${fixed(summary.p50Ms)} ms`,
    `latency p95: ${fixed(summary.p95Ms)} ms`,
  ];
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
