import { Link, Navigate, useSearchParams } from 'react-router';

import { Page } from '../../../components/ui/page';
import { Loading, Notice } from '../../../components/ui/status';
import { useSession } from '../../../features/auth/api/get-session';
import { MfaStepForm } from '../../../features/auth/components/mfa-step-form';
import { SignInForm } from '../../../features/auth/components/sign-in-form';
import { safeNext } from '../../../lib/safe-next';

export function Component() {
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const session = useSession();

  if (session.isPending) return <Loading />;
  const mfa = session.data?.mfa;
  // Signed in: straight to where the person was going. Both sign-in steps refresh the session,
  // so this one redirect serves the password step, the code step and a visit while signed in.
  if (session.data && mfa !== 'pending') {
    // `/` is the start page, which sends each role to its own (routes/app/home.tsx).
    return <Navigate to={mfa === 'enrolment_required' ? '/account/security' : next} replace />;
  }

  if (mfa === 'pending') {
    return (
      <Page title="Two-step sign-in" intro="Your account is protected with an authenticator app.">
        <MfaStepForm />
      </Page>
    );
  }

  return (
    <Page title="Sign in">
      {params.get('expired') ? (
        <Notice tone="warning">Your session has ended. Sign in again to continue.</Notice>
      ) : null}
      {params.get('reset') ? (
        <Notice tone="success">Your password has been changed. Sign in with it now.</Notice>
      ) : null}
      {/* Signing in refreshes the session, which decides what comes next: the code step or `next`. */}
      <SignInForm />
      <p>
        <Link to="/forgot-password">Forgot your password?</Link>
      </p>
      <p>
        {/* `next` goes along, so a person who came from an invitation link gets back to it. */}
        New here?{' '}
        <Link to={next === '/' ? '/sign-up' : `/sign-up?next=${encodeURIComponent(next)}`}>
          Create an account
        </Link>
      </p>
    </Page>
  );
}
