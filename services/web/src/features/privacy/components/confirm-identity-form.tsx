import { zodResolver } from '@hookform/resolvers/zod';
import type { ReactNode } from 'react';
import { useForm } from 'react-hook-form';
import { Form } from 'react-aria-components';

import { Button } from '../../../components/ui/button';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { TextField } from '../../../components/ui/text-field';
import { applyServerErrors } from '../../../lib/form';
import { confirmIdentitySchema, type ConfirmIdentityInput } from '../api/confirm-identity';

/**
 * The password, and the code from the app when the account has two-step sign-in: what every
 * export, download and deletion asks for again, so a session left open is not enough.
 */
export function ConfirmIdentityForm({
  label,
  withCode,
  submitLabel,
  variant = 'primary',
  pending,
  error,
  onConfirm,
  children,
}: {
  label: string;
  withCode: boolean;
  submitLabel: string;
  variant?: 'primary' | 'secondary' | 'danger';
  pending: boolean;
  error: unknown;
  onConfirm: (values: ConfirmIdentityInput, done: (failure?: unknown) => void) => void;
  children?: ReactNode;
}) {
  const form = useForm<ConfirmIdentityInput>({
    resolver: zodResolver(confirmIdentitySchema(withCode)),
    defaultValues: { currentPassword: '', code: '' },
  });
  const submit = form.handleSubmit((values) =>
    onConfirm(values, (failure) => {
      if (failure === undefined) form.reset();
      else applyServerErrors(failure, form.setError, ['currentPassword', 'code']);
    }),
  );
  return (
    <Form className="form" onSubmit={(event) => void submit(event)} aria-label={label}>
      {children}
      {error ? <ProblemAlert error={error} /> : null}
      <TextField
        control={form.control}
        name="currentPassword"
        label="Your password"
        type="password"
        autoComplete="current-password"
        isRequired
      />
      {withCode ? (
        <TextField
          control={form.control}
          name="code"
          label="Code from your authenticator app"
          inputMode="numeric"
          autoComplete="one-time-code"
          isRequired
        />
      ) : null}
      <Button type="submit" variant={variant} isDisabled={pending}>
        {submitLabel}
      </Button>
    </Form>
  );
}
