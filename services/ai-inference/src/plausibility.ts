import type { EstimateItem } from '@tracking/contracts';

import { estimateOutputSchema, reviewOutputSchema } from './prompts';
import { describeMeal, namesFood } from './providers/offline-foods';

/** A meal estimate that passed every check, rounded to what tracking stores. */
export interface MealEstimate {
  calories: number;
  proteinG: number;
  carbsG: number;
  fatG: number;
  items: EstimateItem[];
  confidence: 'low' | 'medium' | 'high';
}

export interface Review {
  summary: string;
  suggestions: string[];
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * The bounds a single meal's estimate must fall within. Providers reject numeric bounds in
 * schemas, so they are checked here, after the answer arrives. An answer outside them is
 * implausible: it is retried once and otherwise reported as failed, never stored, and never
 * clamped into range (a 50,000 kcal lunch clamped to 6,000 would still be a wrong number
 * presented as right). What is adjusted is presentation only: rounding, trimming item names.
 */
export const LIMITS = {
  mealCalories: 6_000,
  macroGrams: 600,
  items: 30,
  itemGrams: 3_000,
  itemCalories: 5_000,
  itemName: 120,
} as const;

/**
 * How far an answer may stray from what the description itself says, read with the offline
 * food table. A food weighed or measured in the text ("a tablespoon of olive oil", "150 g
 * rice") may weigh at most 4x (+15 g) that in the answer, and at least a quarter (-15 g): 300 g
 * of oil for a tablespoon is a quantity bound to the wrong food, not a different opinion. When
 * the table reads every word of the description, the meal's energy must lie within [half the
 * least - 300 kcal, twice the most + 300 kcal] the named foods give: weighed or measured
 * amounts as stated, counted or assumed ones anywhere from a quarter to 4x the table's reading
 * (what "a pizza" or "half a pizza" weighs is a matter of opinion; what "150 g" weighs is not).
 */
export const DESCRIBED = {
  itemWeightFactor: 4,
  itemWeightSlackGrams: 15,
  unmeasured: [0.25, 4],
  energyFactor: 2,
  energySlackKcal: 300,
} as const;

const round1 = (value: number) => Math.round(value * 10) / 10;

type Problem = Extract<Checked<never>, { ok: false }>;

/** Holds an answer to its description; null when nothing is out of line. */
function checkAgainstDescription(
  description: string,
  items: readonly { name: string; grams: number }[],
  calories: number,
): Problem | null {
  const described = describeMeal(description);
  // A food read as no grams at all ("toast 0") says nothing to hold an answer to.
  const foods = described.foods.filter((food) => food.grams > 0);
  const { itemWeightFactor: factor, itemWeightSlackGrams: slack } = DESCRIBED;
  for (const food of foods.filter((named) => named.measured)) {
    const grams = items
      .filter((item) => namesFood(item.name, food.name))
      .reduce((sum, item) => sum + item.grams, 0);
    if (grams > food.grams * factor + slack || (grams > 0 && grams < food.grams / factor - slack)) {
      return { ok: false, problem: 'item_weight_implausible' };
    }
  }
  if (described.ignored.length > 0 || foods.length < described.foods.length || foods.length === 0)
    return null;
  const [low, high] = DESCRIBED.unmeasured;
  const least = foods.reduce((sum, food) => sum + (food.measured ? food.kcal : food.kcal * low), 0);
  const most = foods.reduce((sum, food) => sum + (food.measured ? food.kcal : food.kcal * high), 0);
  const { energyFactor, energySlackKcal } = DESCRIBED;
  if (calories > most * energyFactor + energySlackKcal || calories < least / energyFactor - energySlackKcal) {
    return { ok: false, problem: 'energy_outside_described_range' };
  }
  return null;
}

/**
 * Checks an answer; with the meal's description, also against what the description says. The
 * problem names a reason only: the description never goes into it (it is logged).
 */
export function checkEstimate(output: unknown, description?: string): Checked<MealEstimate> {
  const parsed = estimateOutputSchema.safeParse(output);
  if (!parsed.success) return { ok: false, problem: 'shape' };
  const answer = parsed.data;
  const numbers = [
    answer.calories,
    answer.proteinG,
    answer.carbsG,
    answer.fatG,
    ...answer.items.flatMap((item) => [item.grams, item.calories]),
  ];
  if (!numbers.every((value) => Number.isFinite(value) && value >= 0)) {
    return { ok: false, problem: 'negative_or_not_finite' };
  }
  if (answer.items.length === 0 || answer.items.length > LIMITS.items)
    return { ok: false, problem: 'item_count' };
  if (answer.calories > LIMITS.mealCalories) return { ok: false, problem: 'meal_calories' };
  if ([answer.proteinG, answer.carbsG, answer.fatG].some((grams) => grams > LIMITS.macroGrams)) {
    return { ok: false, problem: 'macro_grams' };
  }
  const items = answer.items.map((item) => ({
    name: item.name.trim().slice(0, LIMITS.itemName),
    grams: round1(item.grams),
    calories: Math.round(item.calories),
  }));
  if (
    items.some(
      (item) => item.name === '' || item.grams > LIMITS.itemGrams || item.calories > LIMITS.itemCalories,
    )
  ) {
    return { ok: false, problem: 'item_values' };
  }
  // Macronutrient energy (Atwater: 4 kcal/g protein and carbohydrate, 9 kcal/g fat) cannot
  // exceed the total by much; it may fall short of it (alcohol, fibre, rounding), within reason.
  const macroEnergy = 4 * (answer.proteinG + answer.carbsG) + 9 * answer.fatG;
  if (macroEnergy > answer.calories * 1.25 + 50 || macroEnergy < answer.calories * 0.25 - 50) {
    return { ok: false, problem: 'macros_disagree_with_energy' };
  }
  const itemEnergy = items.reduce((sum, item) => sum + item.calories, 0);
  if (Math.abs(itemEnergy - answer.calories) > Math.max(50, answer.calories * 0.15)) {
    return { ok: false, problem: 'items_disagree_with_total' };
  }
  if (description !== undefined) {
    const problem = checkAgainstDescription(description, answer.items, answer.calories);
    if (problem !== null) return problem;
  }
  return {
    ok: true,
    value: {
      calories: Math.round(answer.calories),
      proteinG: round1(answer.proteinG),
      carbsG: round1(answer.carbsG),
      fatG: round1(answer.fatG),
      items,
      confidence: answer.confidence,
    },
  };
}

export const REVIEW_LIMITS = { summary: [40, 1_500], suggestion: [10, 400], suggestions: [2, 3] } as const;

/** A review needs a real summary and two or three real suggestions; a fourth is dropped. */
export function checkReview(output: unknown): Checked<Review> {
  const parsed = reviewOutputSchema.safeParse(output);
  if (!parsed.success) return { ok: false, problem: 'shape' };
  const summary = parsed.data.summary.trim();
  const suggestions = parsed.data.suggestions.map((text) => text.trim()).filter(Boolean);
  const [minSummary, maxSummary] = REVIEW_LIMITS.summary;
  if (summary.length < minSummary || summary.length > maxSummary)
    return { ok: false, problem: 'summary_length' };
  if (suggestions.length < REVIEW_LIMITS.suggestions[0]) return { ok: false, problem: 'too_few_suggestions' };
  const [minSuggestion, maxSuggestion] = REVIEW_LIMITS.suggestion;
  const kept = suggestions.slice(0, REVIEW_LIMITS.suggestions[1]);
  if (kept.some((text) => text.length < minSuggestion || text.length > maxSuggestion)) {
    return { ok: false, problem: 'suggestion_length' };
  }
  return { ok: true, value: { summary, suggestions: kept } };
}

/** The review as tracking stores and shows it: the summary, then the suggestions as a list. */
export function reviewText(review: Review): string {
  return [review.summary, '', ...review.suggestions.map((text) => `- ${text}`)].join('\n');
}
