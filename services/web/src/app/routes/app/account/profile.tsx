import { AccountNav } from '../../../../components/layouts/account-nav';
import { Card, Page } from '../../../../components/ui/page';
import { ProblemAlert } from '../../../../components/ui/problem-alert';
import { Loading } from '../../../../components/ui/status';
import { useMe } from '../../../../features/account/api/get-me';
import { ChangeEmailForm } from '../../../../features/account/components/change-email-form';
import { ChangePasswordForm } from '../../../../features/account/components/change-password-form';

const ROLE = { client: 'Client', trainer: 'Trainer', admin: 'Administrator' } as const;

export function Component() {
  const me = useMe();
  return (
    <Page title="Account">
      <AccountNav />
      <Card title="Profile">
        {me.isPending ? (
          <Loading minHeight="6rem" />
        ) : me.isError ? (
          <ProblemAlert error={me.error} />
        ) : (
          <dl className="facts">
            <dt>Name</dt>
            <dd>{me.data.displayName}</dd>
            <dt>Email</dt>
            <dd>
              {me.data.email}{' '}
              {me.data.emailVerified ? (
                <span className="badge badge-ok">confirmed</span>
              ) : (
                <span className="badge badge-warn">not confirmed</span>
              )}
            </dd>
            <dt>Role</dt>
            <dd>{ROLE[me.data.role]}</dd>
            <dt>Two-step sign-in</dt>
            <dd>{me.data.mfaEnabled ? 'On' : 'Off'}</dd>
          </dl>
        )}
      </Card>
      <Card title="Change email">
        <ChangeEmailForm />
      </Card>
      <Card title="Change password">
        <ChangePasswordForm context={me.data ? [me.data.email, me.data.displayName] : []} />
      </Card>
    </Page>
  );
}
