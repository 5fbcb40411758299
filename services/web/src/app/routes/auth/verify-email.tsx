import { useEffect, useRef } from 'react';
import { Link } from 'react-router';

import { Page } from '../../../components/ui/page';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { Loading, Notice } from '../../../components/ui/status';
import { useVerifyEmail } from '../../../features/auth/api/verify-email';
import { useFragmentToken } from '../../../lib/fragment-token';

/** The mailed link `/verify-email#token=…`: confirms the address as soon as it opens. */
export function Component() {
  const token = useFragmentToken();
  const verify = useVerifyEmail();
  const sent = useRef(false);

  useEffect(() => {
    // Once per page: the token is single-use, and React may run effects twice in development.
    if (!token || sent.current) return;
    sent.current = true;
    verify.mutate({ token });
  }, [token, verify]);

  return (
    <Page title="Confirm your email">
      {!token ? (
        <Notice tone="warning">
          This link is incomplete. Open the link from the email again, or copy all of it into the address bar.
        </Notice>
      ) : verify.isSuccess ? (
        <>
          <Notice tone="success">
            <strong>{verify.data.email}</strong> is confirmed.
          </Notice>
          <p>
            <Link to="/sign-in">Sign in</Link>
          </p>
        </>
      ) : verify.isError ? (
        <>
          <ProblemAlert error={verify.error} title="We could not confirm this address" />
          <p>Links expire after 24 hours and work once. Sign in to ask for a new one.</p>
        </>
      ) : (
        <Loading label="Confirming your address…" />
      )}
    </Page>
  );
}
