import { zodResolver } from '@hookform/resolvers/zod';
import type { ReactNode } from 'react';
import { useForm } from 'react-hook-form';

import { Button } from '../../../components/ui/button';
import { EmptyState, Loading } from '../../../components/ui/status';
import { TextField } from '../../../components/ui/text-field';
import { findUsersInputSchema, useFindUsers, type FindUsersInput, type UserSummary } from '../api/find-users';
import { AdminProblem } from './admin-problem';

/**
 * Find an account by id or the start of its email, and show each match as its screen needs
 * (the Users screen's card, the privacy screen's actions). Where the query lives is the
 * caller's: the address on one screen, the page's state on another.
 */
export function UserFinder({
  q,
  onSearch,
  submitLabel,
  renderUser,
}: {
  q: string;
  onSearch: (q: string) => void;
  submitLabel: string;
  renderUser: (user: UserSummary) => ReactNode;
}) {
  const form = useForm<FindUsersInput>({ resolver: zodResolver(findUsersInputSchema), defaultValues: { q } });
  const users = useFindUsers(q);
  const submit = form.handleSubmit(({ q: next }) => onSearch(next));
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
        <Button type="submit">{submitLabel}</Button>
      </form>
      {!q ? null : users.isPending ? (
        <Loading minHeight="6rem" label="Searching…" />
      ) : users.isError ? (
        <AdminProblem error={users.error} title="The search failed" />
      ) : users.data.items.length === 0 ? (
        <EmptyState title={`No account matches “${q}”`} />
      ) : (
        <ul className="admin-users" aria-label="Matching accounts">
          {users.data.items.map((user) => (
            <li key={user.userId}>{renderUser(user)}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
