import { zodResolver } from '@hookform/resolvers/zod';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { Form } from 'react-aria-components';

import { Button } from '../../../components/ui/button';
import { EmptyState, Loading, Notice } from '../../../components/ui/status';
import { TextField } from '../../../components/ui/text-field';
import { formatDateTime } from '../../../lib/dates';
import { findUsersInputSchema, useFindUsers, type FindUsersInput, type UserSummary } from '../api/find-users';
import {
  erasureReasonSchema,
  useStartUserDeletion,
  useStartUserExport,
  type ErasureReasonInput,
} from '../api/privacy-requests';
import { AdminProblem } from './admin-problem';

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
  const form = useForm<FindUsersInput>({
    resolver: zodResolver(findUsersInputSchema),
    defaultValues: { q: '' },
  });
  const users = useFindUsers(q);
  const submit = form.handleSubmit(({ q: next }) => setQ(next));
  return (
    <div className="stack">
      <form className="form admin-search" onSubmit={(event) => void submit(event)} noValidate role="search">
        <TextField
          control={form.control}
          name="q"
          label="Email or user id"
          type="search"
          description="The start of an email address (at least 3 characters), or a user id."
          isRequired
        />
        <Button type="submit">Find</Button>
      </form>
      {!q ? null : users.isPending ? (
        <Loading minHeight="4rem" label="Searching…" />
      ) : users.isError ? (
        <AdminProblem error={users.error} title="The search failed" />
      ) : users.data.items.length === 0 ? (
        <EmptyState title={`No account matches “${q}”`} />
      ) : (
        <ul className="admin-users" aria-label="Matching accounts">
          {users.data.items.map((user) => (
            <li key={user.userId}>
              <PrivacyActions user={user} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
