import { zodResolver } from '@hookform/resolvers/zod';
import { useForm } from 'react-hook-form';
import { Form } from 'react-aria-components';
import { Link } from 'react-router';

import { Button } from '../../../components/ui/button';
import { Page } from '../../../components/ui/page';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { Notice } from '../../../components/ui/status';
import { TextField } from '../../../components/ui/text-field';
import {
  requestPasswordResetInputSchema,
  useRequestPasswordReset,
  type RequestPasswordResetInput,
} from '../../../features/auth/api/request-password-reset';
import { applyServerErrors } from '../../../lib/form';

export function Component() {
  const request = useRequestPasswordReset();
  const form = useForm<RequestPasswordResetInput>({
    resolver: zodResolver(requestPasswordResetInputSchema),
    defaultValues: { email: '' },
  });
  const submit = form.handleSubmit((values) =>
    request.mutate(values, { onError: (error) => applyServerErrors(error, form.setError, ['email']) }),
  );

  return (
    <Page title="Forgot your password" intro="We will email you a link to choose a new one.">
      {request.isSuccess ? (
        <Notice tone="success">
          If an account uses that address, a link is on its way. It works once, within an hour.
        </Notice>
      ) : (
        <Form className="form" onSubmit={(event) => void submit(event)} aria-label="Reset password">
          {request.isError ? <ProblemAlert error={request.error} /> : null}
          <TextField
            control={form.control}
            name="email"
            label="Email"
            type="email"
            autoComplete="email"
            isRequired
          />
          <Button type="submit" isDisabled={request.isPending}>
            Send link
          </Button>
        </Form>
      )}
      <p>
        <Link to="/sign-in">Back to sign in</Link>
      </p>
    </Page>
  );
}
