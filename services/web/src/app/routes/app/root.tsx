import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Navigate, Outlet, useLocation, useNavigate } from 'react-router';

import { AppShell } from '../../../components/layouts/app-shell';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { Loading } from '../../../components/ui/status';
import { sessionQueryKey, useSession } from '../../../features/auth/api/get-session';
import { onSessionExpired } from '../../../lib/api-client';
import { signInPath } from '../../../lib/safe-next';

/**
 * The signed-in part of the app. Without a session, or when the session ends while someone
 * is using it (idle timeout, revoked elsewhere), it goes to the sign-in page, which comes back
 * here afterwards.
 */
export function AppRoot() {
  const session = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const here = `${location.pathname}${location.search}`;

  useEffect(
    () =>
      onSessionExpired(() => {
        queryClient.clear();
        queryClient.setQueryData(sessionQueryKey, null);
        void navigate(`${signInPath(here)}&expired=1`, { replace: true });
      }),
    [queryClient, navigate, here],
  );

  if (session.isPending) return <Loading label="Checking your session…" />;
  if (session.isError)
    return (
      <main id="main" className="public-main">
        <ProblemAlert error={session.error} title="We could not check your session" />
      </main>
    );
  if (!session.data) return <Navigate to={signInPath(here)} replace />;
  // A password-only session of an account with TOTP: finish signing in first.
  if (session.data.mfa === 'pending') return <Navigate to={signInPath(here)} replace />;
  if (session.data.mfa === 'enrolment_required' && location.pathname !== '/account/security')
    return <Navigate to="/account/security" replace />;

  return (
    <AppShell session={session.data}>
      <Outlet />
    </AppShell>
  );
}
