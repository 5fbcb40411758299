/**
 * The trainer console's query keys. Everything about one client sits under `client(id)`, so a
 * 404 (the link ended, or it never was) drops all of it at once: no stale screen of their data.
 */
export const trainerConsoleKeys = {
  all: ['trainer'] as const,
  links: ['trainer', 'links'] as const,
  client: (clientId: string) => ['trainer', 'client', clientId] as const,
  overview: (clientId: string) => ['trainer', 'client', clientId, 'overview'] as const,
  meals: (clientId: string, days: number, timeZone: string) =>
    ['trainer', 'client', clientId, 'meals', days, timeZone] as const,
  metrics: (clientId: string, days: number) => ['trainer', 'client', clientId, 'metrics', days] as const,
  goals: (clientId: string) => ['trainer', 'client', clientId, 'goals'] as const,
  comments: (clientId: string) => ['trainer', 'client', clientId, 'comments'] as const,
  reviews: (clientId: string) => ['trainer', 'client', clientId, 'reviews'] as const,
};
