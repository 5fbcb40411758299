import { zodResolver } from '@hookform/resolvers/zod';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { Form } from 'react-aria-components';

import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/page';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { Notice } from '../../../components/ui/status';
import { TextField } from '../../../components/ui/text-field';
import { applyServerErrors } from '../../../lib/form';
import { disableTotpInputSchema, useDisableTotp, type DisableTotpInput } from '../api/disable-totp';
import {
  regenerateRecoveryCodesInputSchema,
  useRegenerateRecoveryCodes,
  type RegenerateRecoveryCodesInput,
} from '../api/regenerate-recovery-codes';
import { RecoveryCodes } from './recovery-codes';

/** Both need the password and a current code: a stolen session alone cannot weaken the account. */
function ConfirmFields({ form }: { form: ReturnType<typeof useForm<RegenerateRecoveryCodesInput>> }) {
  return (
    <>
      <TextField
        control={form.control}
        name="currentPassword"
        label="Current password"
        type="password"
        autoComplete="current-password"
        isRequired
      />
      <TextField
        control={form.control}
        name="code"
        label="Code from the app"
        inputMode="numeric"
        autoComplete="one-time-code"
        isRequired
      />
    </>
  );
}

export function RegenerateRecoveryCodes({ codesLeft }: { codesLeft: number }) {
  const regenerate = useRegenerateRecoveryCodes();
  const [codes, setCodes] = useState<string[] | undefined>();
  const form = useForm<RegenerateRecoveryCodesInput>({
    resolver: zodResolver(regenerateRecoveryCodesInputSchema),
    defaultValues: { currentPassword: '', code: '' },
  });
  const submit = form.handleSubmit((values) =>
    regenerate.mutate(values, {
      onSuccess: (result) => {
        form.reset();
        setCodes(result.recoveryCodes);
      },
      onError: (error) => applyServerErrors(error, form.setError, ['currentPassword', 'code']),
    }),
  );
  return (
    <Card title="Recovery codes">
      {codes ? (
        <RecoveryCodes codes={codes} />
      ) : (
        <Form className="form" onSubmit={(event) => void submit(event)} aria-label="New recovery codes">
          <p>
            You have <strong className="num">{codesLeft}</strong> unused recovery{' '}
            {codesLeft === 1 ? 'code' : 'codes'}. New codes replace all of them.
          </p>
          {regenerate.isError ? <ProblemAlert error={regenerate.error} /> : null}
          <ConfirmFields form={form} />
          <Button type="submit" variant="secondary" isDisabled={regenerate.isPending}>
            Get new codes
          </Button>
        </Form>
      )}
    </Card>
  );
}

export function DisableTotp({ required }: { required: boolean }) {
  const disable = useDisableTotp();
  const form = useForm<DisableTotpInput>({
    resolver: zodResolver(disableTotpInputSchema),
    defaultValues: { currentPassword: '', code: '' },
  });
  const submit = form.handleSubmit((values) =>
    disable.mutate(values, {
      onError: (error) => applyServerErrors(error, form.setError, ['currentPassword', 'code']),
    }),
  );
  return (
    <Card title="Turn off two-step sign-in">
      {required ? (
        <Notice>Your role requires two-step sign-in, so it cannot be turned off.</Notice>
      ) : (
        <Form
          className="form"
          onSubmit={(event) => void submit(event)}
          aria-label="Turn off two-step sign-in"
        >
          <p>Without it, your password alone signs in to your account.</p>
          {disable.isError ? <ProblemAlert error={disable.error} /> : null}
          <ConfirmFields form={form} />
          <Button type="submit" variant="danger" isDisabled={disable.isPending}>
            Turn off
          </Button>
        </Form>
      )}
    </Card>
  );
}
