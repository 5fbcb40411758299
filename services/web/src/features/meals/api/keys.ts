/** Query keys of the meals feature, so every mutation invalidates what it changed. */
export const mealKeys = {
  all: ['meals'] as const,
  day: (day: string, timeZone: string) => ['meals', 'day', day, timeZone] as const,
  history: () => ['meals', 'history'] as const,
  one: (mealId: string) => ['meals', 'one', mealId] as const,
  summary: (day: string, timeZone: string) => ['meals', 'summary', day, timeZone] as const,
};
