import { zodResolver } from '@hookform/resolvers/zod';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { Form } from 'react-aria-components';

import { Button } from '../../../components/ui/button';
import { Notice } from '../../../components/ui/status';
import { TextField } from '../../../components/ui/text-field';
import { formatDateTime } from '../../../lib/dates';
import type { UserSummary } from '../api/find-users';
import {
  erasureReasonSchema,
  useStartUserDeletion,
  useStartUserExport,
  type ErasureReasonInput,
} from '../api/privacy-requests';
import { AdminProblem } from './admin-problem';
import { UserFinder } from './user-finder';

/** One found user, with the two rights an admin may start for them on a verified request by mail. */
function PrivacyActions({ user }: { user: UserSummary }) {
  const startExport = useStartUserExport();
  const startDeletion = useStartUserDeletion();
  const form = useForm<ErasureReasonInput>({
    resolver: zodResolver(erasureReasonSchema),
    defaultValues: { reason: '' },
  });
  const name = user.displayName || user.email;
  const submit = form.handleSubmit(({ reason }) =>
    startDeletion.mutate({ userId: user.userId, reason }, { onSuccess: () => form.reset() }),
  );
  return (
    <div className="stack">
      <p>
        <strong>{name}</strong> ({user.email}), <code className="mono">{user.userId}</code>
      </p>
      <div className="row">
        <Button
          variant="secondary"
          isDisabled={startExport.isPending}
          onPress={() => startExport.mutate({ userId: user.userId })}
        >
          Start a data export for {name}
        </Button>
      </div>
      {startExport.isSuccess ? (
        <Notice tone="success">
          Export {startExport.data.state}: {name} gets a mail when it is ready and downloads it with their own
          password.
        </Notice>
      ) : null}
      {startExport.isError ? (
        <AdminProblem error={startExport.error} title="The export did not start" />
      ) : null}
      <Form className="form" onSubmit={(event) => void submit(event)} aria-label={`Delete ${name}'s account`}>
        <TextField
          control={form.control}
          name="reason"
          label="Why (recorded in the audit log)"
          description="For a verified request by mail, e.g. “verified request by mail, ticket 1234”."
          isRequired
        />
        <Button type="submit" variant="danger" isDisabled={startDeletion.isPending}>
          Schedule the deletion of {name}’s account
        </Button>
      </Form>
      {startDeletion.isSuccess ? (
        <Notice tone="success">
          Deletion {startDeletion.data.state}
          {startDeletion.data.scheduledFor ? `, runs ${formatDateTime(startDeletion.data.scheduledFor)}` : ''}
          . They can still cancel it from their account until then.
        </Notice>
      ) : null}
      {startDeletion.isError ? (
        <AdminProblem error={startDeletion.error} title="The deletion was not scheduled" />
      ) : null}
    </div>
  );
}

/** Find the user as on the Users screen, then start an export or a deletion for them. */
export function PrivacyStart() {
  const [q, setQ] = useState('');
  return (
    <UserFinder
      q={q}
      onSearch={setQ}
      submitLabel="Find"
      renderUser={(user) => <PrivacyActions user={user} />}
    />
  );
}
