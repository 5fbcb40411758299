import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link, useLocation } from 'react-router';

import { ProblemAlert } from '../../../components/ui/problem-alert';
import { env } from '../../../config/env';
import { ApiError } from '../../../lib/api-client';
import { signInPath } from '../../../lib/safe-next';
import { sessionQueryKey } from '../../auth/api/get-session';

/**
 * An admin call's failure in words. A 403 `mfa_required` says why and leads to enrolment or to
 * signing in again with the code; any 403 re-reads the session, so a role taken away since the
 * page loaded shows as such on this very action instead of a screen that still looks usable.
 */
export function AdminProblem({ error, title }: { error: unknown; title?: string }) {
  const queryClient = useQueryClient();
  const location = useLocation();
  const apiError = error instanceof ApiError ? error : undefined;
  const forbidden = apiError?.status === 403;

  useEffect(() => {
    if (forbidden) void queryClient.invalidateQueries({ queryKey: sessionQueryKey });
  }, [forbidden, queryClient]);

  if (!error) return null;
  if (apiError?.code === 'mfa_required') {
    const enrol = apiError.fieldErrors.next !== 'verify_mfa';
    return (
      <div className="alert alert-warning" role="alert">
        <strong className="alert-title">This needs a verified two-step sign-in</strong>
        <p>
          {enrol
            ? 'Admin actions need two-step sign-in (an authenticator app), and this account has not set it up yet.'
            : 'Admin actions need a session that has passed two-step sign-in; this one has not.'}
        </p>
        <p>
          {enrol ? (
            <Link to="/account/security">Set up two-step sign-in</Link>
          ) : (
            <Link to={signInPath(`${location.pathname}${location.search}`)}>
              Sign in again with your code
            </Link>
          )}
        </p>
        {apiError.correlationId ? (
          <p className="alert-meta">
            If you contact support ({env.supportEmail}), quote reference{' '}
            <code className="mono">{apiError.correlationId}</code>.
          </p>
        ) : null}
      </div>
    );
  }
  return <ProblemAlert error={error} title={title} />;
}
