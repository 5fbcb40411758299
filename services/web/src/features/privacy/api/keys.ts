/** The privacy page's query keys. */
export const privacyKeys = {
  all: ['privacy'] as const,
  latest: ['privacy', 'exports', 'latest'] as const,
  export: (requestId: string) => ['privacy', 'export', requestId] as const,
  deletion: ['privacy', 'deletion'] as const,
};
