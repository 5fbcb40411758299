import { zodResolver } from '@hookform/resolvers/zod';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useForm } from 'react-hook-form';
import { useSearchParams } from 'react-router';

import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/page';
import { EmptyState, Loading, Notice } from '../../../components/ui/status';
import { TextField } from '../../../components/ui/text-field';
import { ApiError } from '../../../lib/api-client';
import { formatDateTime } from '../../../lib/dates';
import { applyServerErrors } from '../../../lib/form';
import {
  openSupportAccessInputSchema,
  useOpenSupportAccess,
  type OpenSupportAccessForm,
  type OpenSupportAccessInput,
} from '../api/open-support-access';
import { useSupportGrants } from '../api/list-support-grants';
import { useSupportMeals } from '../api/list-support-meals';
import { adminKeys } from '../api/keys';
import { AdminProblem } from './admin-problem';
import { useNow } from './use-now';

function GrantForm() {
  const [, setParams] = useSearchParams();
  const open = useOpenSupportAccess();
  const form = useForm<OpenSupportAccessForm, unknown, OpenSupportAccessInput>({
    resolver: zodResolver(openSupportAccessInputSchema),
    defaultValues: { clientId: '', reason: '', minutes: '15' },
  });
  const submit = form.handleSubmit((input) =>
    open.mutate(input, {
      onSuccess: (grant) => setParams({ client: grant.clientId }),
      onError: (error) => applyServerErrors(error, form.setError, ['reason', 'minutes', 'clientId']),
    }),
  );
  return (
    <form className="form" onSubmit={(event) => void submit(event)} noValidate>
      <TextField control={form.control} name="clientId" label="Client's user id" isRequired />
      <TextField
        control={form.control}
        name="reason"
        label="Reason"
        description="The support ticket and why you need to read this client's logs (at least 10 characters). It is kept in the audit log."
        isRequired
      />
      <TextField
        control={form.control}
        name="minutes"
        label="Minutes (1 to 60)"
        inputMode="numeric"
        isRequired
      />
      <Button type="submit" isDisabled={open.isPending}>
        Open support access
      </Button>
      <AdminProblem error={open.error} title="Support access was not opened" />
    </form>
  );
}

/** The client's meals through the grant; a 404 means the grant has ended, and says so. */
function SupportReads({ clientId }: { clientId: string }) {
  const now = useNow();
  const queryClient = useQueryClient();
  const grants = useSupportGrants();
  const grant = grants.data?.find((g) => g.clientId === clientId && Date.parse(g.expiresAt) > now);
  const expired = !grant;
  const meals = useSupportMeals(expired ? undefined : clientId);
  const ended = meals.error instanceof ApiError && meals.error.status === 404;

  // Tracking says the grant is over before this browser's clock did: read the list again.
  useEffect(() => {
    if (ended) void queryClient.invalidateQueries({ queryKey: adminKeys.supportGrants });
  }, [ended, queryClient]);

  if (grants.isPending) return <Loading minHeight="8rem" label="Reading your open support grants…" />;
  if (grants.isError) return <AdminProblem error={grants.error} />;

  if (expired || ended)
    return (
      <Notice tone="warning">
        Your support access to client <code className="mono">{clientId}</code> has ended. Nothing of theirs is
        shown; open a new grant with a reason to read again.
      </Notice>
    );
  if (meals.isPending) return <Loading minHeight="8rem" label="Reading the client's meals…" />;
  if (meals.isError) return <AdminProblem error={meals.error} />;
  return (
    <div className="stack">
      <p className="muted">
        Until {formatDateTime(grant.expiresAt)}. Reason: {grant.reason}. This read is in the audit log.
      </p>
      {meals.data.items.length === 0 ? (
        <EmptyState title="This client has logged no meals" />
      ) : (
        <ul className="admin-meals" aria-label="The client's meals">
          {meals.data.items.map((meal) => (
            <li key={meal.mealId}>
              {formatDateTime(meal.eatenAt)} · {meal.mealType}: {meal.description}
            </li>
          ))}
        </ul>
      )}
      <Button variant="quiet" onPress={() => void meals.refetch()} isDisabled={meals.isFetching}>
        Read again
      </Button>
    </div>
  );
}

/** Break-glass: open time-boxed, audited read access to one client, and read under it. */
export function SupportAccess() {
  const [params] = useSearchParams();
  const clientId = params.get('client') ?? undefined;
  return (
    <div className="stack admin-support">
      <Card title="Open support access">
        <p className="muted">
          For one client, for at most 60 minutes, for you alone. Opening it and every read under it are
          recorded in the audit log with your reason.
        </p>
        <GrantForm />
      </Card>
      {clientId ? (
        <Card title="The client's meals">
          <SupportReads key={clientId} clientId={clientId} />
        </Card>
      ) : null}
    </div>
  );
}
