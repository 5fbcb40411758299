import { Navigate } from 'react-router';

import { useSession } from '../../../features/auth/api/get-session';

/** The start page: a client's day, or the account for trainers and admins until their consoles exist. */
export function Component() {
  const session = useSession();
  return <Navigate to={session.data?.role === 'client' ? '/today' : '/account'} replace />;
}
