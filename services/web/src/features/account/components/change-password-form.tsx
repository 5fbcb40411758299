import { zodResolver } from '@hookform/resolvers/zod';
import { useForm, useWatch } from 'react-hook-form';
import { Form } from 'react-aria-components';

import { Button } from '../../../components/ui/button';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { Notice } from '../../../components/ui/status';
import { TextField } from '../../../components/ui/text-field';
import { applyServerErrors } from '../../../lib/form';
import { PasswordStrength } from '../../auth/components/password-strength';
import {
  changePasswordInputSchema,
  useChangePassword,
  type ChangePasswordInput,
} from '../api/change-password';

export function ChangePasswordForm({ context }: { context: string[] }) {
  const change = useChangePassword();
  const form = useForm<ChangePasswordInput>({
    resolver: zodResolver(changePasswordInputSchema),
    defaultValues: { currentPassword: '', newPassword: '' },
  });
  const password = useWatch({ control: form.control, name: 'newPassword' });
  const submit = form.handleSubmit((values) =>
    change.mutate(values, {
      onSuccess: () => form.reset(),
      onError: (error) => applyServerErrors(error, form.setError, ['currentPassword', 'newPassword']),
    }),
  );
  return (
    <Form className="form" onSubmit={(event) => void submit(event)} aria-label="Change password">
      {change.isSuccess ? (
        <Notice tone="success">
          Password changed.{' '}
          {change.data.sessionsRevoked > 0
            ? `${change.data.sessionsRevoked} other ${change.data.sessionsRevoked === 1 ? 'session was' : 'sessions were'} signed out.`
            : null}
        </Notice>
      ) : null}
      {change.isError ? <ProblemAlert error={change.error} /> : null}
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
        name="newPassword"
        label="New password"
        type="password"
        autoComplete="new-password"
        isRequired
        description={<PasswordStrength password={password} context={context} />}
      />
      <Button type="submit" variant="secondary" isDisabled={change.isPending}>
        Change password
      </Button>
    </Form>
  );
}
