import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';

import { Page } from '../../../components/ui/page';
import { Notice } from '../../../components/ui/status';
import { SignUpForm } from '../../../features/auth/components/sign-up-form';
import { safeNext, signInPath } from '../../../lib/safe-next';

export function Component() {
  const [sentTo, setSentTo] = useState<string | undefined>();
  // Where the person was going (an invitation link, say), carried on to sign-in.
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const signIn = next === '/' ? '/sign-in' : signInPath(next);
  if (sentTo) {
    return (
      <Page title="Check your email">
        <Notice tone="success">
          We sent a link to <strong>{sentTo}</strong>. Open it within 24 hours to confirm your address, then
          sign in.
        </Notice>
        <p>
          <Link to={signIn}>Go to sign in</Link>
        </p>
      </Page>
    );
  }
  return (
    <Page
      title="Create an account"
      intro="Log meals and body measurements, and share them with your trainer."
    >
      <SignUpForm onRegistered={setSentTo} />
      <p>
        Already have an account? <Link to={signIn}>Sign in</Link>
      </p>
      <p className="muted">
        Meal descriptions may be processed by an AI provider to estimate energy and nutrients. See{' '}
        <Link to="/privacy">privacy</Link>.
      </p>
    </Page>
  );
}
