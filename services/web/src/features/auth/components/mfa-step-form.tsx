import { zodResolver } from '@hookform/resolvers/zod';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { Form } from 'react-aria-components';
import { z } from 'zod';

import { Button } from '../../../components/ui/button';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { TextField } from '../../../components/ui/text-field';
import { recoveryCodeSchema, totpCodeSchema, useVerifyMfa } from '../api/verify-mfa';

const codeForm = z.object({ code: totpCodeSchema });
const recoveryForm = z.object({ recoveryCode: recoveryCodeSchema });

/** The second step: a code from the authenticator app, or one of the recovery codes instead. */
export function MfaStepForm({ onVerified }: { onVerified?: () => void }) {
  const [useRecovery, setUseRecovery] = useState(false);
  const verify = useVerifyMfa();
  const totp = useForm({ resolver: zodResolver(codeForm), defaultValues: { code: '' } });
  const recovery = useForm({ resolver: zodResolver(recoveryForm), defaultValues: { recoveryCode: '' } });

  const submitCode = totp.handleSubmit((values) => verify.mutate(values, { onSuccess: onVerified }));
  const submitRecovery = recovery.handleSubmit((values) => verify.mutate(values, { onSuccess: onVerified }));

  return (
    <div className="stack">
      {verify.isError ? <ProblemAlert error={verify.error} /> : null}
      {useRecovery ? (
        <Form
          className="form"
          onSubmit={(event) => void submitRecovery(event)}
          aria-label="Sign in with a recovery code"
        >
          <TextField
            control={recovery.control}
            name="recoveryCode"
            label="Recovery code"
            description="One of the codes you saved when you turned on two-step sign-in. Each works once."
            autoComplete="off"
            autoFocus
            isRequired
          />
          <Button type="submit" isDisabled={verify.isPending}>
            Verify
          </Button>
        </Form>
      ) : (
        <Form
          className="form"
          onSubmit={(event) => void submitCode(event)}
          aria-label="Sign in with a code from your app"
        >
          <TextField
            control={totp.control}
            name="code"
            label="Authentication code"
            description="The 6-digit code your authenticator app shows now."
            inputMode="numeric"
            autoComplete="one-time-code"
            autoFocus
            isRequired
          />
          <Button type="submit" isDisabled={verify.isPending}>
            Verify
          </Button>
        </Form>
      )}
      <Button
        variant="quiet"
        onPress={() => {
          verify.reset();
          setUseRecovery(!useRecovery);
        }}
      >
        {useRecovery ? 'Use a code from your app instead' : 'Use a recovery code instead'}
      </Button>
    </div>
  );
}
