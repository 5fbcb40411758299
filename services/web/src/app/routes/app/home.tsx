import { Navigate } from 'react-router';

import { useSession } from '../../../features/auth/api/get-session';

const START: Record<string, string> = { client: '/today', trainer: '/clients', admin: '/admin/users' };

/** The start page: a client's day, a trainer's clients, an admin's console. */
export function Component() {
  const session = useSession();
  return <Navigate to={START[session.data?.role ?? ''] ?? '/account'} replace />;
}
