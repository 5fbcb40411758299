import { zodResolver } from '@hookform/resolvers/zod';
import { useForm } from 'react-hook-form';
import { Form } from 'react-aria-components';

import { Button } from '../../../components/ui/button';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { Notice } from '../../../components/ui/status';
import { TextField } from '../../../components/ui/text-field';
import { applyServerErrors } from '../../../lib/form';
import { changeEmailInputSchema, useChangeEmail, type ChangeEmailInput } from '../api/change-email';

export function ChangeEmailForm() {
  const change = useChangeEmail();
  const form = useForm<ChangeEmailInput>({
    resolver: zodResolver(changeEmailInputSchema),
    defaultValues: { newEmail: '', currentPassword: '' },
  });
  const submit = form.handleSubmit((values) =>
    change.mutate(values, {
      onSuccess: () => form.reset(),
      onError: (error) => applyServerErrors(error, form.setError, ['newEmail', 'currentPassword']),
    }),
  );
  return (
    <Form className="form" onSubmit={(event) => void submit(event)} aria-label="Change email">
      {change.isSuccess ? (
        <Notice tone="success">
          We sent a link to the new address. Your email changes when you open it.
        </Notice>
      ) : null}
      {change.isError ? <ProblemAlert error={change.error} /> : null}
      <TextField
        control={form.control}
        name="newEmail"
        label="New email"
        type="email"
        autoComplete="email"
        isRequired
      />
      <TextField
        control={form.control}
        name="currentPassword"
        label="Current password"
        type="password"
        autoComplete="current-password"
        isRequired
      />
      <Button type="submit" variant="secondary" isDisabled={change.isPending}>
        Change email
      </Button>
    </Form>
  );
}
