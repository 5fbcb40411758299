import { zodResolver } from '@hookform/resolvers/zod';
import { useForm, useWatch } from 'react-hook-form';
import { Form } from 'react-aria-components';
import { z } from 'zod';

import { Button } from '../../../components/ui/button';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { TextField } from '../../../components/ui/text-field';
import { applyServerErrors } from '../../../lib/form';
import { useResetPassword } from '../api/reset-password';
import { newPasswordSchema } from '../password-policy';
import { PasswordStrength } from './password-strength';

const formSchema = z
  .object({ newPassword: newPasswordSchema, confirm: z.string() })
  .refine((values) => values.newPassword === values.confirm, {
    path: ['confirm'],
    message: 'The two passwords differ.',
  });

/** The reset link's form: a new password, twice. */
export function ResetPasswordForm({ token, onDone }: { token: string; onDone: () => void }) {
  const reset = useResetPassword();
  const form = useForm({
    resolver: zodResolver(formSchema),
    defaultValues: { newPassword: '', confirm: '' },
  });
  const password = useWatch({ control: form.control, name: 'newPassword' });
  const submit = form.handleSubmit(({ newPassword }) =>
    reset.mutate(
      { token, newPassword },
      {
        onSuccess: onDone,
        onError: (error) => applyServerErrors(error, form.setError, ['newPassword']),
      },
    ),
  );

  return (
    <Form className="form" onSubmit={(event) => void submit(event)} aria-label="New password">
      {reset.isError ? <ProblemAlert error={reset.error} /> : null}
      <TextField
        control={form.control}
        name="newPassword"
        label="New password"
        type="password"
        autoComplete="new-password"
        isRequired
        description={<PasswordStrength password={password} context={[]} />}
      />
      <TextField
        control={form.control}
        name="confirm"
        label="New password again"
        type="password"
        autoComplete="new-password"
        isRequired
      />
      <Button type="submit" isDisabled={reset.isPending}>
        Set new password
      </Button>
    </Form>
  );
}
