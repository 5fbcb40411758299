import { FOOD_TABLE, type FoodRow } from '../src/providers/offline-food-table';
import { estimateFromTable } from '../src/providers/offline-foods';

/**
 * Generated meals: random foods from the table, each with its grams stated, written in varied
 * ways. Whatever the phrasing, the estimate must be the sum of the stated parts. The generator
 * is seeded, so a failure names its seed and meal and replays exactly.
 */

/** mulberry32: small, seeded, and the same on every machine. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rows = new Map(FOOD_TABLE.map((row) => [row.name, row]));

/** kcal per gram of a row, a recipe's from its parts. */
function kcalPerGram(row: FoodRow): number {
  if (!('recipe' in row)) return row.kcal / 100;
  let kcal = 0;
  let grams = 0;
  for (const [name, amount] of row.recipe) {
    const part = rows.get(name);
    if (part === undefined || 'recipe' in part) throw new Error(`recipe ${row.name}: no row ${name}`);
    kcal += (part.kcal * amount) / 100;
    grams += amount;
  }
  return kcal / grams;
}

interface Candidate {
  row: FoodRow;
  written: string;
}

/**
 * Every way the table writes a food (its name and aliases) that reads back as that food alone
 * with a weight. Compound dishes are left out: "a stir fry with 100 g chicken" is by design not
 * the sum of its parts, since the stated chicken replaces the dish's own.
 */
const candidates: Candidate[] = FOOD_TABLE.filter(
  (row) => !('takes' in row && row.takes !== undefined) && kcalPerGram(row) > 0,
).flatMap((row) =>
  [row.name, ...(row.aliases ?? [])]
    .filter((written) => {
      const single = estimateFromTable(`100 g ${written}`);
      return single?.items.length === 1 && single.items[0]?.name === row.name;
    })
    .map((written) => ({ row, written })),
);

type Phrase = (food: string, grams: number) => { text: string; grams: number };
const PHRASES: Phrase[] = [
  (food, grams) => ({ text: `${grams}g ${food}`, grams }),
  (food, grams) => ({ text: `${grams} g of ${food}`, grams }),
  (food, grams) => ({ text: `${grams} grams ${food}`, grams }),
  (food, grams) => ({ text: `${food} ${grams}g`, grams }),
  (food, grams) => ({ text: `${food} (${grams} grams)`, grams }),
  (food, grams) => ({ text: `about ${grams}gm ${food}`, grams }),
  (food, grams) => ({ text: `${(grams / 1000).toFixed(3)} kg ${food}`, grams }),
  (food, grams) => ({ text: `2 x ${grams}g ${food}`, grams: 2 * grams }),
  (food, grams) => ({ text: `${food}, ${grams} g`, grams }),
];
const JOINERS = [', ', ' and ', ' with ', ' + ', '\n', '; ', ' & ', ', then '];
const OPENERS = ['', 'lunch: ', 'I had ', 'Dinner - ', 'ate '];

interface Meal {
  text: string;
  expected: number;
  parts: number;
}

function generate(next: () => number): Meal {
  const pick = <T>(list: readonly T[]): T => {
    const value = list[Math.floor(next() * list.length)];
    if (value === undefined) throw new Error('empty list');
    return value;
  };
  const count = 1 + Math.floor(next() * 4);
  const texts: string[] = [];
  let expected = 0;
  for (let i = 0; i < count; i++) {
    const { row, written } = pick(candidates);
    const grams = 10 + Math.floor(next() * 39) * 10;
    const phrase = pick(PHRASES)(written, grams);
    texts.push(phrase.text);
    expected += phrase.grams * kcalPerGram(row);
  }
  let text = pick(OPENERS) + (texts[0] ?? '');
  for (const part of texts.slice(1)) text += pick(JOINERS) + part;
  return { text, expected, parts: count };
}

describe('estimateFromTable on generated meals with stated grams', () => {
  test('the table offers enough ways to write its foods to make the test mean something', () => {
    expect(new Set(candidates.map((candidate) => candidate.row.name)).size).toBeGreaterThan(120);
  });

  test('the estimate is the sum of the stated parts within 5 % (plus rounding), whatever the phrasing', () => {
    const seed = 25_2026;
    const next = random(seed);
    const failures: string[] = [];
    for (let run = 0; run < 500; run++) {
      const meal = generate(next);
      const estimate = estimateFromTable(meal.text);
      const calories = estimate?.calories ?? 0;
      // Each item's energy is rounded to a whole kcal: half a kcal each either way.
      const allowed = meal.expected * 0.05 + meal.parts * 0.5;
      if (Math.abs(calories - meal.expected) > allowed) {
        failures.push(
          `seed ${String(seed)} run ${String(run)}: ${JSON.stringify(meal.text)} expected ${meal.expected.toFixed(
            0,
          )} kcal, got ${String(calories)} (${(estimate?.items ?? []).map((item) => `${item.name} ${String(item.grams)} g`).join('; ')})`,
        );
      }
    }
    expect(failures).toEqual([]);
  });

  test('a generated meal that the test would call wrong is caught', () => {
    // The check itself must be able to fail: double one part and it no longer matches.
    const meal = generate(random(7));
    const doubled = `${meal.text}, ${meal.text}`;
    const calories = estimateFromTable(doubled)?.calories ?? 0;
    expect(Math.abs(calories - meal.expected)).toBeGreaterThan(meal.expected * 0.05 + meal.parts * 0.5);
  });
});
