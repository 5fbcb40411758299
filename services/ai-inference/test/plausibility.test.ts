import { checkEstimate, checkReview, reviewText } from '../src/plausibility';

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
