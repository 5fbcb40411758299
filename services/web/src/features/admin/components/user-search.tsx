import { useSearchParams } from 'react-router';

import { UserCard } from './user-card';
import { UserFinder } from './user-finder';

/** Find an account by id or the start of its email; the query lives in the address (?q=). */
export function UserSearch() {
  const [params, setParams] = useSearchParams();
  return (
    <UserFinder
      q={params.get('q') ?? ''}
      onSearch={(q) => setParams({ q })}
      submitLabel="Search"
      renderUser={(user) => <UserCard user={user} />}
    />
  );
}
