import { useMutation, useQueryClient } from '@tanstack/react-query';

import { ApiError, api, markSigningOut, unwrap } from '../../../lib/api-client';
import { csrfStore } from '../../../lib/session-store';

/** Ends this session on the server; a session that had already ended counts as signed out. */
export async function logout(): Promise<void> {
  markSigningOut();
  try {
    await unwrap(api.POST('/api/v1/auth/logout'));
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) throw error;
  } finally {
    csrfStore.clear();
  }
}

export function useLogout() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: logout,
    onSettled: () => {
      queryClient.clear();
    },
  });
}
