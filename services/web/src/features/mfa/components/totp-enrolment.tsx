import { zodResolver } from '@hookform/resolvers/zod';
import { useForm } from 'react-hook-form';
import { Form } from 'react-aria-components';

import { Button } from '../../../components/ui/button';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { TextField } from '../../../components/ui/text-field';
import { applyServerErrors } from '../../../lib/form';
import {
  beginTotpEnrolmentInputSchema,
  secretOf,
  useBeginTotpEnrolment,
  type BeginTotpEnrolmentInput,
} from '../api/begin-totp-enrolment';
import {
  confirmTotpEnrolmentInputSchema,
  useConfirmTotpEnrolment,
  type ConfirmTotpEnrolmentInput,
} from '../api/confirm-totp-enrolment';

/**
 * Turning on TOTP: the password, then the QR code and key, then a first code. The recovery
 * codes that come back go to `onEnrolled`, which shows them once.
 */
export function TotpEnrolment({ onEnrolled }: { onEnrolled: (recoveryCodes: string[]) => void }) {
  const begin = useBeginTotpEnrolment();
  const confirm = useConfirmTotpEnrolment();

  const passwordForm = useForm<BeginTotpEnrolmentInput>({
    resolver: zodResolver(beginTotpEnrolmentInputSchema),
    defaultValues: { currentPassword: '' },
  });
  const codeForm = useForm<ConfirmTotpEnrolmentInput>({
    resolver: zodResolver(confirmTotpEnrolmentInputSchema),
    defaultValues: { code: '' },
  });

  if (begin.data) {
    const secret = secretOf(begin.data.otpauthUri);
    const submit = codeForm.handleSubmit((values) =>
      confirm.mutate(values, {
        onSuccess: (result) => onEnrolled(result.recoveryCodes),
        onError: (error) => applyServerErrors(error, codeForm.setError, ['code']),
      }),
    );
    return (
      <div className="stack">
        <ol className="steps">
          <li>
            Scan this code with an authenticator app (such as 1Password, Google Authenticator or Microsoft
            Authenticator).
            <div>
              <img className="qr" src={begin.data.qrCodeDataUrl} alt="QR code for your authenticator app" />
            </div>
          </li>
          <li>
            Or type this key into the app:
            <p className="secret" data-testid="totp-secret">
              {secret.replace(/(.{4})/g, '$1 ').trim()}
            </p>
          </li>
          <li>Enter the 6-digit code the app shows.</li>
        </ol>
        <Form className="form" onSubmit={(event) => void submit(event)} aria-label="Confirm two-step sign-in">
          {confirm.isError ? <ProblemAlert error={confirm.error} /> : null}
          <TextField
            control={codeForm.control}
            name="code"
            label="Code from the app"
            inputMode="numeric"
            autoComplete="one-time-code"
            isRequired
          />
          <Button type="submit" isDisabled={confirm.isPending}>
            Turn on
          </Button>
        </Form>
      </div>
    );
  }

  const submit = passwordForm.handleSubmit((values) =>
    begin.mutate(values, {
      onError: (error) => applyServerErrors(error, passwordForm.setError, ['currentPassword']),
    }),
  );
  return (
    <Form className="form" onSubmit={(event) => void submit(event)} aria-label="Set up two-step sign-in">
      <p>Protect your account with a code from an authenticator app each time you sign in.</p>
      {begin.isError ? <ProblemAlert error={begin.error} /> : null}
      <TextField
        control={passwordForm.control}
        name="currentPassword"
        label="Current password"
        type="password"
        autoComplete="current-password"
        isRequired
      />
      <Button type="submit" isDisabled={begin.isPending}>
        Set up
      </Button>
    </Form>
  );
}
