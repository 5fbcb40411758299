import { Link } from 'react-router';

import { Button } from '../../../components/ui/button';
import { Page } from '../../../components/ui/page';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { Notice } from '../../../components/ui/status';
import { useReportEmailChange } from '../../../features/auth/api/report-email-change';
import { useFragmentToken } from '../../../lib/fragment-token';

/**
 * The "this wasn't me" link `/report-email-change#token=…` from a notice to an account's old
 * address. Unlike verification it waits for a press: locking an account is not something a
 * mail scanner opening the link should do.
 */
export function Component() {
  const token = useFragmentToken();
  const report = useReportEmailChange();

  return (
    <Page title="Report an email change">
      {!token ? (
        <Notice tone="warning">
          This link is incomplete. Open the link from the email again, or copy all of it into the address bar.
        </Notice>
      ) : report.isSuccess ? (
        <>
          <Notice tone="success">
            {report.data.emailRestored
              ? 'Your account’s email address is this one again. '
              : 'The email change is cancelled. '}
            Everyone signed in to your account has been signed out, and the password no longer works.
          </Notice>
          <p>
            Whoever asked for the change knew your password. Choose a new one now: we will send the link to
            this address.
          </p>
          <p>
            <Link to="/forgot-password">Reset your password</Link>
          </p>
        </>
      ) : (
        <>
          <p>
            If you did not ask to change your account’s email address, someone else knows your password.
            Locking the account cancels the change (or undoes it), signs everyone out and stops the password
            working until you choose a new one through this address.
          </p>
          {report.isError ? (
            <>
              <ProblemAlert error={report.error} title="We could not lock the account" />
              <p>
                The link works once and for seven days. If it has run out,{' '}
                <Link to="/forgot-password">reset your password</Link> straight away.
              </p>
            </>
          ) : null}
          <Button variant="danger" isDisabled={report.isPending} onPress={() => report.mutate({ token })}>
            This wasn’t me: lock my account
          </Button>
        </>
      )}
    </Page>
  );
}
