import { zodResolver } from '@hookform/resolvers/zod';
import { useForm } from 'react-hook-form';
import { Link } from 'react-router';

import { Button } from '../../../components/ui/button';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { Notice } from '../../../components/ui/status';
import { TextField } from '../../../components/ui/text-field';
import { ApiError } from '../../../lib/api-client';
import { applyServerErrors } from '../../../lib/form';
import { inviteClientInputSchema, useInviteClient, type InviteClientInput } from '../api/invite-client';

/**
 * Invite a client by email. The invitation waits for them under that address once it is
 * verified, on their Trainers page; a bigger plan is the way past the client limit (412).
 */
export function InviteForm() {
  const invite = useInviteClient();
  const form = useForm<InviteClientInput>({
    resolver: zodResolver(inviteClientInputSchema),
    defaultValues: { email: '' },
  });

  const submit = form.handleSubmit((values) =>
    invite.mutate(values, {
      onSuccess: () => form.reset({ email: '' }),
      onError: (error) => applyServerErrors(error, form.setError, ['email']),
    }),
  );
  const overLimit = invite.error instanceof ApiError && invite.error.status === 412;

  return (
    <form className="form" aria-label="Invite a client" onSubmit={(event) => void submit(event)} noValidate>
      <TextField
        control={form.control}
        name="email"
        label="Client’s email"
        type="email"
        autoComplete="off"
        description="They see the invitation on their Trainers page once this address is verified."
        isRequired
      />
      {invite.isSuccess ? (
        <Notice tone="success">Invitation sent to {invite.data.invitedEmail}.</Notice>
      ) : null}
      {invite.isError ? (
        <>
          <ProblemAlert error={invite.error} title="The invitation was not sent" />
          {overLimit ? (
            <p>
              <Link to="/billing">See the plans</Link> for more clients.
            </p>
          ) : null}
        </>
      ) : null}
      <div className="row">
        <Button type="submit" isDisabled={invite.isPending}>
          {invite.isPending ? 'Inviting…' : 'Invite'}
        </Button>
      </div>
    </form>
  );
}
