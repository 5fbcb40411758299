import { Link, useNavigate } from 'react-router';

import { Page } from '../../../components/ui/page';
import { Notice } from '../../../components/ui/status';
import { ResetPasswordForm } from '../../../features/auth/components/new-password-form';
import { useFragmentToken } from '../../../lib/fragment-token';

/** The mailed link `/reset-password#token=…`. */
export function Component() {
  const token = useFragmentToken();
  const navigate = useNavigate();
  return (
    <Page title="Choose a new password">
      {token ? (
        <ResetPasswordForm
          token={token}
          onDone={() => void navigate('/sign-in?reset=1', { replace: true })}
        />
      ) : (
        <Notice tone="warning">
          This link is incomplete. Open the link from the email again, or{' '}
          <Link to="/forgot-password">ask for a new one</Link>.
        </Notice>
      )}
    </Page>
  );
}
