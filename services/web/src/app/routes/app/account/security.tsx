import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';

import { AccountNav } from '../../../../components/layouts/account-nav';
import { Button } from '../../../../components/ui/button';
import { Card, Page } from '../../../../components/ui/page';
import { ProblemAlert } from '../../../../components/ui/problem-alert';
import { Loading, Notice } from '../../../../components/ui/status';
import { meQueryKey, useMe } from '../../../../features/account/api/get-me';
import { SignInAlerts } from '../../../../features/account/components/sign-in-alerts';
import { DisableTotp, RegenerateRecoveryCodes } from '../../../../features/mfa/components/manage-totp';
import { RecoveryCodes } from '../../../../features/mfa/components/recovery-codes';
import { TotpEnrolment } from '../../../../features/mfa/components/totp-enrolment';

export function Component() {
  const me = useMe();
  const queryClient = useQueryClient();
  // The codes of a just-finished enrolment, shown until acknowledged (they are never shown again).
  const [newCodes, setNewCodes] = useState<string[] | undefined>();

  let body;
  if (newCodes) {
    body = (
      <Card title="Two-step sign-in is on">
        <p>Other devices were signed out.</p>
        <RecoveryCodes codes={newCodes} />
        <Button
          onPress={() => {
            setNewCodes(undefined);
            void queryClient.invalidateQueries({ queryKey: meQueryKey });
          }}
        >
          I have saved my codes
        </Button>
      </Card>
    );
  } else if (me.isPending) {
    body = <Loading minHeight="12rem" />;
  } else if (me.isError) {
    body = <ProblemAlert error={me.error} />;
  } else if (me.data.mfaEnabled) {
    body = (
      <>
        <Notice tone="success">
          Two-step sign-in is on: signing in needs a code from your authenticator app.
        </Notice>
        <RegenerateRecoveryCodes codesLeft={me.data.recoveryCodesLeft} />
        <DisableTotp required={me.data.mfaRequired} />
      </>
    );
  } else {
    body = (
      <>
        {me.data.mfaRequired ? (
          <Notice tone="warning">
            Your account requires two-step sign-in: paid plans and trainer and admin accounts need it. Set it
            up to continue.
          </Notice>
        ) : null}
        <Card title="Set up two-step sign-in">
          <TotpEnrolment onEnrolled={setNewCodes} />
        </Card>
      </>
    );
  }

  return (
    <Page title="Two-step sign-in">
      <AccountNav />
      {body}
      {/* The security notices mailed to the owner link here ("review your account's security"). */}
      <SignInAlerts />
    </Page>
  );
}
