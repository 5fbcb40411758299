import { zodResolver } from '@hookform/resolvers/zod';
import { useForm, useWatch } from 'react-hook-form';
import { Form } from 'react-aria-components';

import { Button } from '../../../components/ui/button';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { TextField } from '../../../components/ui/text-field';
import { applyServerErrors } from '../../../lib/form';
import { registerInputSchema, useRegister, type RegisterInput } from '../api/register';
import { PasswordStrength } from './password-strength';

export function SignUpForm({ onRegistered }: { onRegistered: (email: string) => void }) {
  const register = useRegister();
  const form = useForm<RegisterInput>({
    resolver: zodResolver(registerInputSchema),
    defaultValues: { displayName: '', email: '', password: '' },
  });
  const [password, email, displayName] = useWatch({
    control: form.control,
    name: ['password', 'email', 'displayName'],
  });
  const submit = form.handleSubmit((values) =>
    register.mutate(values, {
      onSuccess: () => onRegistered(values.email),
      onError: (error) => applyServerErrors(error, form.setError, ['displayName', 'email', 'password']),
    }),
  );

  return (
    <Form className="form" onSubmit={(event) => void submit(event)} aria-label="Create an account">
      {register.isError ? <ProblemAlert error={register.error} /> : null}
      <TextField control={form.control} name="displayName" label="Your name" autoComplete="name" isRequired />
      <TextField
        control={form.control}
        name="email"
        label="Email"
        type="email"
        autoComplete="email"
        isRequired
      />
      <TextField
        control={form.control}
        name="password"
        label="Password"
        type="password"
        autoComplete="new-password"
        isRequired
        description={<PasswordStrength password={password} context={[email, displayName]} />}
      />
      <Button type="submit" isDisabled={register.isPending}>
        {register.isPending ? 'Creating your account…' : 'Create account'}
      </Button>
    </Form>
  );
}
