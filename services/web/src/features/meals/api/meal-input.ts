import { z } from 'zod';

import type { components } from '../../../lib/api-client';

export type Meal = components['schemas']['Meal'];
export type MealType = Meal['mealType'];

/** The API's meal types (services/tracking/src/meals.ts, MEAL_TYPES), with the words people read. */
export const MEAL_TYPES = {
  breakfast: 'Breakfast',
  lunch: 'Lunch',
  dinner: 'Dinner',
  snack: 'Snack',
  drink: 'Drink',
  other: 'Other',
} as const satisfies Record<MealType, string>;

const mealTypes = Object.keys(MEAL_TYPES) as [MealType, ...MealType[]];

/**
 * What the meal form holds: the tracking service's rules (a type, a time not in the future,
 * 1 to 2000 characters of text), with the time as the form's local date and time.
 */
export const mealFormSchema = z.object({
  mealType: z.enum(mealTypes, { message: 'Choose the kind of meal.' }),
  eatenAt: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, 'Enter the date and time you ate.'),
  description: z.string().trim().min(1, 'Describe the meal.').max(2000, 'Keep it under 2000 characters.'),
});
export type MealForm = z.infer<typeof mealFormSchema>;

/** A meal as the API takes it. */
export const mealBodySchema = z.object({
  mealType: z.enum(mealTypes),
  eatenAt: z.iso.datetime({ offset: true }),
  description: z.string().trim().min(1).max(2000),
  photoRef: z.string().max(200).default(''),
});
export type MealBody = z.input<typeof mealBodySchema>;
