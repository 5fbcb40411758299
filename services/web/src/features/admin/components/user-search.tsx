import { zodResolver } from '@hookform/resolvers/zod';
import { useForm } from 'react-hook-form';
import { useSearchParams } from 'react-router';

import { Button } from '../../../components/ui/button';
import { EmptyState, Loading } from '../../../components/ui/status';
import { TextField } from '../../../components/ui/text-field';
import { findUsersInputSchema, useFindUsers, type FindUsersInput } from '../api/find-users';
import { AdminProblem } from './admin-problem';
import { UserCard } from './user-card';

/** Find an account by id or the start of its email; the query lives in the address (?q=). */
export function UserSearch() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const form = useForm<FindUsersInput>({ resolver: zodResolver(findUsersInputSchema), defaultValues: { q } });
  const users = useFindUsers(q);

  const submit = form.handleSubmit(({ q: next }) => setParams({ q: next }));

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
        <Button type="submit">Search</Button>
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
            <li key={user.userId}>
              <UserCard user={user} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
