import { Writable } from 'node:stream';

import { createLogger, createMetrics } from '@tracking/kit';

import { createInference } from '../src/inference';
import { checkEstimate, checkReview, reviewText } from '../src/plausibility';
import type { Provider } from '../src/providers/provider';

const good = {
  items: [
    { name: 'boiled egg', grams: 100, calories: 155 },
    { name: 'wholemeal toast', grams: 60, calories: 148 },
  ],
  calories: 303,
  proteinG: 20.5,
  carbsG: 25,
  fatG: 12.9,
  confidence: 'medium',
};

describe('a meal estimate is checked before anyone sees it', () => {
  it('passes a plausible estimate, rounded to what tracking stores', () => {
    const checked = checkEstimate({ ...good, proteinG: 20.54, items: [...good.items] });
    expect(checked).toEqual({
      ok: true,
      value: expect.objectContaining({ calories: 303, proteinG: 20.5 }) as unknown,
    });
  });

  it.each([
    ['a missing field', { ...good, fatG: undefined }, 'shape'],
    ['a string where a number belongs', { ...good, calories: '303' }, 'shape'],
    ['an unknown confidence', { ...good, confidence: 'certain' }, 'shape'],
    ['a negative amount', { ...good, carbsG: -5 }, 'negative_or_not_finite'],
    ['no items', { ...good, items: [] }, 'item_count'],
    ['a 50,000 kcal meal', { ...good, calories: 50_000 }, 'meal_calories'],
    ['900 g of fat', { ...good, fatG: 900, calories: 5_000 }, 'macro_grams'],
    ['an 8 kg item', { ...good, items: [{ name: 'rice', grams: 8_000, calories: 303 }] }, 'item_values'],
    ['macros worth twice the energy', { ...good, proteinG: 60, carbsG: 60 }, 'macros_disagree_with_energy'],
    [
      'energy with no macros behind it',
      {
        ...good,
        proteinG: 0,
        carbsG: 0,
        fatG: 0,
        calories: 900,
        items: [{ name: 'x', grams: 1, calories: 900 }],
      },
      'macros_disagree_with_energy',
    ],
    [
      'items that do not add up to the total',
      { ...good, items: [{ name: 'egg', grams: 50, calories: 70 }] },
      'items_disagree_with_total',
    ],
  ])('refuses %s', (_name, output, problem) => {
    expect(checkEstimate(output)).toEqual({ ok: false, problem });
  });

  it('refuses an answer that is not an object at all', () => {
    expect(checkEstimate('303 kcal')).toEqual({ ok: false, problem: 'shape' });
    expect(checkEstimate(null)).toEqual({ ok: false, problem: 'shape' });
  });

  it('allows energy beyond the macros for a drink with alcohol', () => {
    const wine = {
      items: [{ name: 'glass of red wine', grams: 150, calories: 125 }],
      calories: 125,
      proteinG: 0.1,
      carbsG: 3.8,
      fatG: 0,
      confidence: 'medium',
    };
    expect(checkEstimate(wine).ok).toBe(true);
  });

  it('trims item names to 120 characters rather than refusing them', () => {
    const checked = checkEstimate({
      ...good,
      items: [{ ...good.items[0], name: `  ${'a'.repeat(300)} ` }, good.items[1]],
    });
    expect(checked.ok && checked.value.items[0]?.name).toBe('a'.repeat(120));
  });
});

describe('a review is checked before it is stored', () => {
  const summary = 'You logged six of seven days and your protein was close to your goal on most of them.';

  it('keeps two or three suggestions, and drops a fourth', () => {
    const checked = checkReview({
      summary,
      suggestions: ['Walk after dinner.', 'Add yoghurt at breakfast.', 'Sleep by 11.', 'Drink water.'],
    });
    expect(checked.ok && checked.value.suggestions).toHaveLength(3);
  });

  it.each([
    ['one suggestion', { summary, suggestions: ['Walk more each day.'] }, 'too_few_suggestions'],
    [
      'an empty summary',
      { summary: ' ', suggestions: ['Walk more each day.', 'Sleep more each night.'] },
      'summary_length',
    ],
    [
      'a suggestion of one word',
      { summary, suggestions: ['Walk.', 'Sleep more each night.'] },
      'suggestion_length',
    ],
    ['prose instead of JSON', 'Great week!', 'shape'],
  ])('refuses %s', (_name, output, problem) => {
    expect(checkReview(output)).toEqual({ ok: false, problem });
  });

  it('is stored as the summary followed by the suggestions as a list', () => {
    expect(reviewText({ summary, suggestions: ['Walk after dinner.', 'Sleep by 11.'] })).toBe(
      `${summary}\n\n- Walk after dinner.\n- Sleep by 11.`,
    );
  });
});

describe('an estimate is held to what its description says', () => {
  const MEAL = '300g spaghetti cooked in a tablespoon of olive oil';
  const sound = {
    items: [
      { name: 'spaghetti, cooked', grams: 300, calories: 474 },
      { name: 'extra virgin olive oil', grams: 13.5, calories: 119 },
    ],
    calories: 593,
    proteinG: 17.4,
    carbsG: 92.6,
    fatG: 16.3,
    confidence: 'medium',
  };
  const oilBoundToThePasta = {
    items: [
      { name: 'spaghetti, cooked', grams: 220, calories: 348 },
      { name: 'olive oil', grams: 300, calories: 2652 },
    ],
    calories: 3000,
    proteinG: 12.8,
    carbsG: 67.9,
    fatG: 302,
    confidence: 'medium',
  };

  it('passes an answer that agrees with the stated quantities', () => {
    expect(checkEstimate(sound, MEAL)).toMatchObject({ ok: true });
  });

  it('rejects 300 g of oil for "a tablespoon", whatever the totals say', () => {
    expect(checkEstimate(oilBoundToThePasta)).toMatchObject({ ok: true });
    expect(checkEstimate(oilBoundToThePasta, MEAL)).toEqual({
      ok: false,
      problem: 'item_weight_implausible',
    });
  });

  it('rejects energy far outside what the named foods can give', () => {
    const thrice = {
      ...sound,
      items: [
        { name: 'spaghetti, cooked', grams: 300, calories: 1700 },
        { name: 'olive oil', grams: 13.5, calories: 119 },
      ],
      calories: 1819,
      carbsG: 380,
      proteinG: 40,
      fatG: 16,
    };
    expect(checkEstimate(thrice, MEAL)).toEqual({ ok: false, problem: 'energy_outside_described_range' });
    const tooLittle = {
      items: [{ name: 'sliced fruit', grams: 20, calories: 18 }],
      calories: 18,
      proteinG: 0.2,
      carbsG: 4.5,
      fatG: 0.1,
      confidence: 'low',
    };
    expect(checkEstimate(tooLittle, '500 g rice and 200 g chicken breast')).toEqual({
      ok: false,
      problem: 'energy_outside_described_range',
    });
  });

  it('holds an answer to nothing when the text reads as nothing ("toast 0")', () => {
    const meal = {
      items: [{ name: 'toast 0', grams: 350, calories: 520 }],
      calories: 520,
      proteinG: 30,
      carbsG: 55,
      fatG: 18,
      confidence: 'medium',
    };
    expect(checkEstimate(meal, 'toast 0')).toMatchObject({ ok: true });
    expect(checkEstimate(meal, 'toast 1')).toMatchObject({ ok: true });
  });

  it('leaves room for opinion on what a counted or unstated serving weighs', () => {
    // The table reads "half a pizza" as half of one of its pieces (a slice); a provider that
    // reads half of a whole pizza is not refused for it.
    const halfAPizza = {
      items: [{ name: 'cheese pizza', grams: 430, calories: 1144 }],
      calories: 1144,
      proteinG: 49,
      carbsG: 143,
      fatG: 42,
      confidence: 'medium',
    };
    expect(checkEstimate(halfAPizza, 'half a pizza')).toMatchObject({ ok: true });
  });

  it('leaves the energy of a meal with words the table does not know to the provider', () => {
    const dahl = {
      items: [{ name: 'dal makhani', grams: 350, calories: 520 }],
      calories: 520,
      proteinG: 20,
      carbsG: 50,
      fatG: 26,
      confidence: 'medium',
    };
    expect(checkEstimate(dahl, 'dal makhani with a roti')).toMatchObject({ ok: true });
  });
});

describe('a plausibility rejection in the logs', () => {
  const CANARY = 'CANARY-25b1-in-the-meal';

  it('names its reason and never the meal text', async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        }
        done();
      },
    });
    const provider: Provider = {
      name: 'anthropic',
      model: 'claude-test-model',
      complete: () =>
        Promise.resolve({
          output: {
            ...{
              items: [
                { name: `${CANARY} spaghetti`, grams: 220, calories: 348 },
                { name: 'olive oil', grams: 300, calories: 2652 },
              ],
              calories: 3000,
              proteinG: 12.8,
              carbsG: 67.9,
              fatG: 302,
              confidence: 'medium',
            },
          },
          model: 'claude-test-model',
          inputTokens: 10,
          outputTokens: 10,
        }),
    };
    const inference = createInference({
      providers: [provider],
      budget: {
        reserve: () => Promise.resolve('reserved' as const),
        spend: () => Promise.resolve(),
        purge: () => Promise.resolve(0),
      },
      log: createLogger({ service: 'test', stream }),
      metrics: createMetrics(),
      breaker: { errorPercent: 100, minCalls: 1_000, windowMs: 60_000, resetMs: 1_000 },
      callDeadlineMs: 5_000,
    });
    const outcome = await inference.estimateMeal(
      '00000000-0000-4000-8000-000000000000',
      `300g spaghetti cooked in a tablespoon of olive oil ${CANARY}`,
      'team',
    );
    inference.close();
    expect(outcome).toMatchObject({ ok: false, reason: 'invalid_output' });
    await new Promise((resolve) => setImmediate(resolve));
    const requests = lines.filter((line) => line.event === 'ai.request');
    expect(requests).toHaveLength(2);
    for (const request of requests) {
      expect(request).toMatchObject({ outcome: 'invalid_output', problem: 'item_weight_implausible' });
    }
    expect(JSON.stringify(lines)).not.toContain(CANARY);
    expect(JSON.stringify(lines)).not.toContain('spaghetti');
  });
});
