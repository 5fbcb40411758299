/** The admin console's query keys: one root, so a role change can drop every cached admin read at once. */
export const adminKeys = {
  all: ['admin'] as const,
  users: (query: string) => ['admin', 'users', query] as const,
  audit: (filters: object, cursor: string | undefined) => ['admin', 'audit', filters, cursor ?? ''] as const,
  securityEvents: ['admin', 'security-events'] as const,
  subscription: (userId: string) => ['admin', 'users', userId, 'subscription'] as const,
  supportGrants: ['admin', 'support-grants'] as const,
  supportMeals: (clientId: string) => ['admin', 'support', clientId, 'meals'] as const,
  activity: ['admin', 'activity'] as const,
  backups: ['admin', 'backups'] as const,
};
