import { zodResolver } from '@hookform/resolvers/zod';
import { useForm } from 'react-hook-form';
import { Form } from 'react-aria-components';

import { Button } from '../../../components/ui/button';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { TextField } from '../../../components/ui/text-field';
import { applyServerErrors } from '../../../lib/form';
import { loginInputSchema, useLogin, type LoginInput } from '../api/login';

type LoginResult = Awaited<ReturnType<ReturnType<typeof useLogin>['mutateAsync']>>;

export function SignInForm({ onSignedIn }: { onSignedIn?: (result: LoginResult) => void }) {
  const login = useLogin();
  const form = useForm<LoginInput>({
    resolver: zodResolver(loginInputSchema),
    defaultValues: { email: '', password: '' },
  });
  const submit = form.handleSubmit((values) =>
    login.mutate(values, {
      onSuccess: onSignedIn,
      onError: (error) => applyServerErrors(error, form.setError, ['email', 'password']),
    }),
  );

  return (
    <Form className="form" onSubmit={(event) => void submit(event)} aria-label="Sign in">
      {login.isError ? <ProblemAlert error={login.error} /> : null}
      <TextField
        control={form.control}
        name="email"
        label="Email"
        type="email"
        autoComplete="username"
        isRequired
      />
      <TextField
        control={form.control}
        name="password"
        label="Password"
        type="password"
        autoComplete="current-password"
        isRequired
      />
      <Button type="submit" isDisabled={login.isPending}>
        {login.isPending ? 'Signing in…' : 'Sign in'}
      </Button>
    </Form>
  );
}
