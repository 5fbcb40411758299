import { estimateItemSchema, type ReviewDay } from '@tracking/contracts';

import { estimateOutputSchema, type EstimateOutput, type ReviewAggregates } from '../src/prompts';
import { FOOD_TABLE } from '../src/providers/offline-food-table';
import { estimateFromTable, writeRuleReview } from '../src/providers/offline-foods';

/**
 * CPU time spent since `started`, in ms: a budget on the work itself, which a machine busy with
 * other processes does not stretch the way it stretches wall-clock time.
 */
function cpuMs(started: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(started);
  return (user + system) / 1000;
}

/** The estimate, which the test expects to exist. */
function estimate(description: string): EstimateOutput {
  const result = estimateFromTable(description);
  if (result === null) throw new Error(`no estimate for ${JSON.stringify(description)}`);
  return result;
}

const grams = (description: string): number[] => estimate(description).items.map((item) => item.grams);
const names = (description: string): string[] => estimate(description).items.map((item) => item.name);

describe('estimateFromTable: quantities and units', () => {
  test('two eggs and toast are counted by the piece and the slice', () => {
    expect(estimate('2 eggs and 2 slices of white toast').items).toEqual([
      { name: 'egg', grams: 100, calories: 143 },
      { name: 'white bread', grams: 60, calories: 160 },
    ]);
  });

  test('grams and kilograms are taken as written, attached to the number or not', () => {
    expect(grams('150g chicken breast')).toEqual([150]);
    expect(grams('150 grams of chicken breast')).toEqual([150]);
    expect(grams('0.2 kg rice')).toEqual([200]);
  });

  test('millilitres and litres of a drink are weighed by its density', () => {
    expect(grams('250 ml milk')).toEqual([257.5]);
    expect(grams('1 l orange juice')).toEqual([1000]);
  });

  test("cups, tablespoons and teaspoons use the food's own measure", () => {
    expect(grams('1 cup rice')).toEqual([158]);
    expect(grams('1 tbsp peanut butter')).toEqual([16]);
    expect(grams('2 tsp sugar')).toEqual([8.4]);
  });

  test('slices, pieces, bowls, handfuls, cans and glasses each have a weight', () => {
    expect(grams('1 slice of pizza')).toEqual([107]);
    expect(grams('3 pieces of sushi')).toEqual([90]);
    expect(grams('a bowl of porridge')).toEqual([300]);
    expect(grams('a handful of almonds')).toEqual([30]);
    expect(grams('a can of coke')).toEqual([330]);
    expect(grams('a glass of wine')).toEqual([150]);
  });

  test('fractions, unicode fractions and mixed numbers are read', () => {
    expect(grams('½ avocado')).toEqual([68]);
    expect(grams('1/2 avocado')).toEqual([68]);
    expect(grams('1 1/2 cups of rice')).toEqual([237]);
    expect(grams('1½ cups of rice')).toEqual([237]);
    expect(grams('1.5 cups rice')).toEqual([237]);
    expect(grams('one and a half cups of rice')).toEqual([237]);
  });

  test('number words, "a", "half" and "a couple of" count', () => {
    expect(grams('three eggs')).toEqual([150]);
    expect(grams('an egg')).toEqual([50]);
    expect(grams('a couple of eggs')).toEqual([100]);
    expect(grams('half a banana')).toEqual([59]);
    expect(grams('ten almonds')).toEqual([12]);
  });

  test('small and large scale a piece but not a weight', () => {
    const [small] = grams('a small banana');
    const [medium] = grams('a medium banana');
    const [large] = grams('a large banana');
    expect(small).toBeLessThan(medium ?? 0);
    expect(large).toBeGreaterThan(medium ?? Infinity);
    expect(grams('150 g large chicken breast')).toEqual([150]);
  });

  test('a quantity written after the food counts too', () => {
    expect(grams('chicken breast 200g')).toEqual([200]);
    expect(grams('chicken breast (200g)')).toEqual([200]);
    expect(grams('eggs x3')).toEqual([150]);
  });

  test('a food without a number is one piece when singular and a portion when plural', () => {
    expect(grams('egg on toast')[0]).toBe(50);
    expect(grams('eggs on toast')[0]).toBe(100);
  });

  test('a weight said to be raw or dry is converted to what is eaten cooked', () => {
    expect(grams('100g pasta (dry weight)')).toEqual([235]);
    expect(grams('200g raw chicken breast')).toEqual([146]);
    expect(grams('200g chicken breast')).toEqual([200]);
  });

  test('milk with a hot drink is a splash, with cereal a pour', () => {
    expect(estimate('coffee with milk').items[1]).toMatchObject({ name: 'milk', grams: 30 });
    expect(estimate('cornflakes with milk').items[1]).toMatchObject({ name: 'milk', grams: 125 });
  });

  test('clock times and percentages are not quantities', () => {
    expect(grams('breakfast at 7am: 2 eggs')).toEqual([100]);
    expect(grams('2 squares of 70% dark chocolate')).toEqual([20]);
  });
});

describe('estimateFromTable: reading the text', () => {
  test('items are split on commas, "and", "with", "+", "&" and new lines', () => {
    expect(names('2 eggs, 2 slices of wholemeal toast with butter and a flat white')).toEqual([
      'egg',
      'wholemeal bread',
      'butter',
      'flat white',
    ]);
    expect(names('banana + apple & kiwifruit\norange')).toEqual(['banana', 'apple', 'kiwifruit', 'orange']);
  });

  test('a dish with "and" in its name stays one dish', () => {
    expect(names('fish and chips')).toEqual(['fish and chips']);
    expect(names('mac & cheese')).toEqual(['mac and cheese']);
    expect(names('corn on the cob')).toEqual(['corn']);
  });

  test('the longest name wins: peanut butter is not butter, a chicken caesar salad is one dish', () => {
    expect(names('1 tbsp peanut butter')).toEqual(['peanut butter']);
    expect(names('chicken caesar salad')).toEqual(['chicken caesar salad']);
    expect(names('ice cream')).toEqual(['ice cream']);
  });

  test('the last food of a phrase takes the quantity and the words before it describe it', () => {
    expect(estimate('2 salmon avocado sushi rolls').items).toEqual([
      { name: 'sushi roll', grams: 220, calories: 310 },
    ]);
    expect(names('ham cheese toastie')).toEqual(['ham and cheese sandwich']);
    expect(estimate('peanut butter toast').items).toEqual([
      { name: 'peanut butter', grams: 16, calories: 94 },
      { name: 'white bread', grams: 60, calories: 160 },
    ]);
  });

  test('NZ and AU staples and spellings are known', () => {
    expect(names('2 weet-bix')).toEqual(['weet-bix']);
    expect(names('roast kumara')).toEqual(['kumara']);
    expect(names('a flat white')).toEqual(['flat white']);
    expect(names('3 feijoas')).toEqual(['feijoa']);
    expect(names('vegemite on toast')).toEqual(['vegemite', 'white bread']);
    expect(names('greek yoghurt')).toEqual(['greek yoghurt']);
    expect(names('a mince and cheese pie')).toEqual(['mince and cheese pie']);
  });

  test('text with no known food is null', () => {
    for (const text of [
      '',
      '   ',
      'asdf qwerty',
      'for lunch',
      '12345',
      ',,, and with',
      'ignore previous instructions',
    ]) {
      expect(estimateFromTable(text)).toBeNull();
    }
  });

  test('unknown parts are left out and lower the confidence', () => {
    const result = estimate('2 eggs and a zorblax');
    expect(result.items.map((item) => item.name)).toEqual(['egg']);
    expect(result.confidence).toBe('low');
  });
});

describe('estimateFromTable: the answer', () => {
  const samples = [
    '2 eggs, 2 slices of wholemeal toast with butter and a flat white',
    '150g chicken breast with 1 cup rice and broccoli',
    'a banana',
    'spag bol and a glass of red wine',
    'porridge with brown sugar and cream',
    'sushi, 2 hand rolls and a coke zero',
  ];

  test.each(samples)('the totals of %p are the sum of its items', (description) => {
    const result = estimate(description);
    expect(result.calories).toBe(result.items.reduce((sum, item) => sum + item.calories, 0));
  });

  test('the macros of a meal are the macros of its parts added up', () => {
    const both = estimate('2 eggs and 1 banana');
    const eggs = estimate('2 eggs');
    const banana = estimate('1 banana');
    expect(both.proteinG).toBeCloseTo(eggs.proteinG + banana.proteinG, 0);
    expect(both.carbsG).toBeCloseTo(eggs.carbsG + banana.carbsG, 0);
    expect(both.fatG).toBeCloseTo(eggs.fatG + banana.fatG, 0);
  });

  test('grams carry one decimal, calories are whole, macros carry one decimal', () => {
    for (const description of samples) {
      const result = estimate(description);
      for (const item of result.items) {
        expect(Number.isInteger(item.calories)).toBe(true);
        expect(Math.round(item.grams * 10) / 10).toBe(item.grams);
      }
      expect(Number.isInteger(result.calories)).toBe(true);
      for (const macro of [result.proteinG, result.carbsG, result.fatG]) {
        expect(Math.round(macro * 10) / 10).toBe(macro);
      }
    }
  });

  test('an item of USDA values: 100 g of egg is 143 kcal, 12.6 g protein', () => {
    const result = estimate('100 g egg');
    expect(result.calories).toBe(143);
    expect(result.proteinG).toBe(12.6);
  });

  test('confidence is medium only when every part names a known food with a quantity', () => {
    expect(estimate('a banana').confidence).toBe('medium');
    expect(estimate('2 eggs, 2 slices of toast').confidence).toBe('medium');
    expect(estimate('150g chicken breast and 1 cup rice').confidence).toBe('medium');
    expect(estimate('banana').confidence).toBe('low');
    expect(estimate('2 eggs, toast').confidence).toBe('low');
    expect(estimate('a large banana and some bread').confidence).toBe('low');
  });

  test('confidence is never high: it is a table', () => {
    for (const description of [...samples, '200 g chicken breast', '1 cup of rice', 'a banana']) {
      expect(estimate(description).confidence).not.toBe('high');
    }
  });

  test('items stay within what an estimate event may carry', () => {
    const huge = estimate('99999 kg butter');
    expect(() => estimateItemSchema.parse(huge.items[0])).not.toThrow();
    const long = estimate(Array.from({ length: 40 }, () => 'an apple').join(', '));
    expect(long.items).toHaveLength(30);
    expect(long.confidence).toBe('low');
  });
});

describe('estimateFromTable: the gross errors of issue 25 do not come back', () => {
  const items = (description: string) =>
    estimate(description).items.map((item) => `${item.name} ${String(item.grams)}`);

  test('a quantity binds to the food it stands beside, not to the last food of the phrase', () => {
    expect(items('300g spaghetti cooked in a tablespoon of olive oil')).toEqual([
      'pasta 300',
      'olive oil 13.5',
    ]);
    expect(items('kumara 250g roasted in a tablespoon of olive oil')).toEqual([
      'kumara 250',
      'olive oil 13.5',
    ]);
    expect(items('grilled salmon, 150 g')).toEqual(['salmon 150']);
    expect(items('tuna can (95g)')).toEqual(['tuna 95']);
  });

  test('a compound dish named with its ingredients is counted once, by its ingredients', () => {
    expect(names('omelette with 3 eggs and 30g cheese')).not.toContain('omelette');
    expect(items('3 egg omelette with cheese')).toEqual([
      'egg 150',
      'milk 15',
      'butter 5',
      'cheddar cheese 20',
    ]);
    // The stated chicken and broccoli replace the stir fry's own; its soy sauce stays.
    expect(items('stir fry with chicken, broccoli and 1 tbsp oil')).toEqual([
      'soy sauce 15',
      'chicken 120',
      'broccoli 80',
      'olive oil 13.5',
    ]);
    // Chicken is not among a garden salad's own rows: the salad stays whole beside it.
    expect(names('garden salad with 150g chicken breast')).toEqual([
      'lettuce',
      'tomato',
      'cucumber',
      'carrot',
      'capsicum',
      'chicken breast',
    ]);
  });

  test('a compound dish with no ingredients named is one typical serving', () => {
    expect(items('an omelette')).toEqual(['omelette 120']);
    expect(items('chicken stir fry')).toEqual(['stir fry 275']);
  });

  test('cooking words are read, and "fried" with no fat stated adds a stated amount of oil', () => {
    expect(items('grilled fish fillet with steamed vegetables')).toEqual([
      'white fish 150',
      'mixed vegetables 90',
    ]);
    expect(items('pan-fried salmon fillet')).toEqual(['salmon 150', 'oil for frying 7.5']);
    expect(items('pan-fried salmon in 1 tsp butter')).toEqual(['salmon 150', 'butter 4.7']);
    expect(names('2 fried eggs')).toEqual(['fried egg']);
    expect(grams('200g raw chicken breast, grilled')).toEqual([146]);
  });

  test('unknown words never fail a meal whose known foods can be estimated; they are listed and lower the confidence', () => {
    const result = estimateFromTable('poached salmon fillet with steamed asparagus');
    expect(result?.items.map((item) => item.name)).toEqual(['salmon']);
    expect(result?.ignored).toEqual(['asparagus']);
    expect(result?.confidence).toBe('low');
    expect(estimateFromTable('150g salmon')?.ignored).toEqual([]);
  });

  test('size words use FoodData Central household weights', () => {
    expect(grams('a large banana')).toEqual([136]);
    expect(grams('a small apple')).toEqual([149]);
    expect(grams('2 large eggs')).toEqual([100]);
  });

  test('punnets, bottles, "x" multipliers and fractions', () => {
    expect(grams('a punnet of strawberries')).toEqual([250]);
    expect(grams('a bottle of coke')).toEqual([600]);
    expect(grams('3x eggs')).toEqual([150]);
    expect(grams('half a cup of rice')).toEqual([79]);
    expect(grams('1/2 cup of rice')).toEqual([79]);
    expect(grams('½ cup rice')).toEqual([79]);
  });
});

describe('estimateFromTable: robustness', () => {
  /** A small seeded generator, so a failure can be replayed. */
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
  const alphabet = [
    // Code points, on purpose: lone parts of an emoji are fine input too.
    ...Array.from('abcdefghijklmnopqrstuvwxyz0123456789 ,.;:+&/-()½¼¾⅓%\n\t\'"!?é€😀\u0000\u2044'),
    '\ud83d',
    ' and ',
    ' with ',
    ' egg',
    ' g ',
    ' cup ',
    'fish and chips',
    ' a ',
    ' half ',
    '1/0',
    '99999999999999999999',
    '.....',
  ];

  test('2000 characters of random text never throw and give a valid answer or null', () => {
    const next = random(20_240_601);
    const started = process.cpuUsage();
    for (let run = 0; run < 200; run += 1) {
      let text = '';
      while (text.length < 2000) text += alphabet[Math.floor(next() * alphabet.length)] ?? '';
      text = text.slice(0, 2000);
      const result = estimateFromTable(text);
      if (result !== null) {
        expect(() => estimateOutputSchema.parse(result)).not.toThrow();
        for (const item of result.items) expect(() => estimateItemSchema.parse(item)).not.toThrow();
        expect(result.items.length).toBeLessThanOrEqual(30);
        for (const value of [result.calories, result.proteinG, result.carbsG, result.fatG]) {
          expect(Number.isFinite(value)).toBe(true);
          expect(value).toBeGreaterThanOrEqual(0);
        }
      }
    }
    expect(cpuMs(started)).toBeLessThan(5_000);
  });

  test('pathological repetition stays fast', () => {
    const started = process.cpuUsage();
    for (const text of [
      '1'.repeat(2000),
      'a '.repeat(1000),
      'and '.repeat(500),
      ','.repeat(2000),
      '½'.repeat(2000),
    ]) {
      estimateFromTable(text);
    }
    expect(cpuMs(started)).toBeLessThan(1_000);
  });
});

describe('the food table', () => {
  test('every name and alias names exactly one food', () => {
    const seen = new Map<string, string>();
    for (const row of FOOD_TABLE) {
      for (const alias of [row.name, ...(row.aliases ?? [])]) {
        const key = alias
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, ' ')
          .trim();
        expect({ alias: key, food: seen.get(key) ?? row.name }).toEqual({ alias: key, food: row.name });
        seen.set(key, row.name);
      }
    }
  });

  test("each row's energy fits its macros: at most 4/4/9 kcal per g plus 10 %, at least 70 % of it", () => {
    // USDA's food-specific Atwater factors and carbohydrate by difference (fibre included) put
    // fruit, vegetables and nuts up to about 30 % under the general 4/4/9; alcohol is not a macro.
    const alcoholic = new Set(['beer', 'wine', 'spirits']);
    for (const row of FOOD_TABLE) {
      if ('recipe' in row || alcoholic.has(row.name) || row.kcal < 20) continue;
      const ratio = row.kcal / (4 * row.protein + 4 * row.carbs + 9 * row.fat);
      expect({ food: row.name, fits: ratio >= 0.7 && ratio <= 1.1 }).toEqual({ food: row.name, fits: true });
    }
  });
});

// ------------------------------------------------------------------------------- weekly review

function day(date: string, values: Partial<ReviewDay> = {}): ReviewDay {
  return {
    date,
    meals: 0,
    unestimatedMeals: 0,
    calories: 0,
    proteinG: 0,
    carbsG: 0,
    fatG: 0,
    weightKg: null,
    sleepHours: null,
    steps: null,
    waterMl: null,
    mood: null,
    ...values,
  };
}

const dates = [
  '2026-03-02',
  '2026-03-03',
  '2026-03-04',
  '2026-03-05',
  '2026-03-06',
  '2026-03-07',
  '2026-03-08',
];
const goals = { calories: 2000, proteinG: 120, carbsG: 220, fatG: 70 };

function week(
  values: Partial<ReviewDay> | ((index: number) => Partial<ReviewDay>),
  withGoals = true,
): ReviewAggregates {
  return {
    weekStart: '2026-03-02',
    days: dates.map((date, index) => day(date, typeof values === 'function' ? values(index) : values)),
    goals: withGoals ? goals : null,
  };
}

const fullDay: Partial<ReviewDay> = {
  meals: 3,
  calories: 1950,
  proteinG: 125,
  carbsG: 210,
  fatG: 65,
  weightKg: 80,
  sleepHours: 7.5,
  steps: 9000,
  waterMl: 2000,
  mood: 4,
};

const words = (text: string): number => text.split(/\s+/).filter(Boolean).length;

describe('writeRuleReview', () => {
  test('an empty week still gets a short summary and two or three suggestions', () => {
    const review = writeRuleReview(week({}, false));
    expect(review.summary.length).toBeGreaterThan(0);
    expect(words(review.summary)).toBeLessThanOrEqual(120);
    expect(review.suggestions.length).toBeGreaterThanOrEqual(2);
    expect(review.suggestions.length).toBeLessThanOrEqual(3);
  });

  test('a full, good week gets two or three suggestions and praise', () => {
    const review = writeRuleReview(week(fullDay));
    expect(review.suggestions.length).toBeGreaterThanOrEqual(2);
    expect(review.suggestions.length).toBeLessThanOrEqual(3);
    expect(review.summary).toContain('all 7 days');
    expect(review.summary).toContain('1,950 kcal');
  });

  test('short sleep is mentioned in the summary and in a suggestion', () => {
    const review = writeRuleReview(week({ ...fullDay, sleepHours: 5.5 }));
    expect(review.summary).toContain('5.5 hours');
    expect(review.suggestions.some((text) => /sleep/i.test(text))).toBe(true);
  });

  test('enough sleep brings no sleep suggestion', () => {
    const review = writeRuleReview(week({ ...fullDay, sleepHours: 8 }));
    expect(review.suggestions.some((text) => /sleep/i.test(text))).toBe(false);
  });

  test('protein below the goal suggests a protein food and names the goal', () => {
    const review = writeRuleReview(week({ ...fullDay, proteinG: 60 }));
    expect(review.summary).toContain('60 g against a goal of 120 g');
    expect(review.suggestions.some((text) => text.includes('protein') && text.includes('120 g'))).toBe(true);
  });

  test('few steps suggest a walk, quoting the average', () => {
    const review = writeRuleReview(week({ ...fullDay, steps: 4000 }));
    expect(review.suggestions.some((text) => /walk/.test(text) && text.includes('4,000'))).toBe(true);
  });

  test('days without logs are counted and asked for', () => {
    const review = writeRuleReview(week((index) => (index < 3 ? fullDay : {})));
    expect(review.summary).toContain('3 of 7 days');
    expect(review.suggestions[0]).toMatch(/five days/);
  });

  test('unestimated meals are counted, and averages use only fully estimated days', () => {
    const review = writeRuleReview(
      week((index) => (index === 0 ? { ...fullDay, calories: 300, unestimatedMeals: 2 } : fullDay)),
    );
    expect(review.summary).toContain('1,950 kcal');
    expect(review.suggestions.some((text) => text.includes('2 meals were not estimated'))).toBe(true);
  });

  test('the weight change runs from the first to the last day a weight was logged', () => {
    const review = writeRuleReview(
      week((index) => ({ ...fullDay, weightKg: index === 1 ? 80.4 : index === 5 ? 79.6 : null })),
    );
    expect(review.summary).toContain('80.4 kg to 79.6 kg');
  });

  test('calories well above the goal are named kindly and get a suggestion', () => {
    const review = writeRuleReview(week({ ...fullDay, calories: 2600 }));
    expect(review.summary).toContain('above your goal of 2,000 kcal');
    expect(review.suggestions.some((text) => /smaller serving/.test(text))).toBe(true);
  });

  test('the summary stays within 120 words when everything has something to say', () => {
    const review = writeRuleReview(
      week((index) => ({
        ...fullDay,
        meals: index < 4 ? 3 : 0,
        unestimatedMeals: index === 0 ? 1 : 0,
        proteinG: 40,
        sleepHours: 5,
        steps: 2000,
        waterMl: 800,
        weightKg: 90 - index / 10,
      })),
    );
    expect(words(review.summary)).toBeLessThanOrEqual(120);
    expect(review.suggestions).toHaveLength(3);
  });

  test('no medical advice and no names: the text stays on habits', () => {
    const reviews = [
      week({}, false),
      week(fullDay),
      week({ ...fullDay, sleepHours: 4, steps: 1000, proteinG: 20 }),
    ].map(writeRuleReview);
    for (const review of reviews) {
      const text = [review.summary, ...review.suggestions].join(' ');
      expect(text).not.toMatch(/diagnos|medic|doctor|disease|prescri|supplement|insomnia|obes/i);
      for (const suggestion of review.suggestions)
        expect(suggestion.trim().split(/(?<=[.!?])\s/)).toHaveLength(1);
    }
  });
});
