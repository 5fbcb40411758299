import { Link, useSearchParams } from 'react-router';

import { AccountNav } from '../../../../components/layouts/account-nav';
import { Page } from '../../../../components/ui/page';
import { ProblemAlert } from '../../../../components/ui/problem-alert';
import { Loading } from '../../../../components/ui/status';
import { useMe } from '../../../../features/account/api/get-me';
import { DeletionCard } from '../../../../features/privacy/components/deletion-card';
import { ExportCard } from '../../../../features/privacy/components/export-card';

const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A person's privacy rights (#22): export everything, or delete the account. The mails about an
 * export link here with ?export=<id>, and the deletion mail links here to cancel.
 */
export function Component() {
  const me = useMe();
  const [search, setSearch] = useSearchParams();
  const asked = search.get('export') ?? '';
  const exportId = REQUEST_ID.test(asked) ? asked.toLowerCase() : undefined;
  return (
    <Page
      title="Privacy"
      intro={
        <>
          Your copy of your data, and the deletion of your account. What we hold and why is on the{' '}
          <Link to="/privacy">privacy page</Link>.
        </>
      }
    >
      <AccountNav />
      {me.isPending ? (
        <Loading minHeight="12rem" />
      ) : me.isError ? (
        <ProblemAlert error={me.error} />
      ) : (
        <>
          <ExportCard
            exportId={exportId}
            withCode={me.data.mfaEnabled}
            onStarted={(requestId) => setSearch({ export: requestId }, { replace: true })}
          />
          <DeletionCard withCode={me.data.mfaEnabled} />
        </>
      )}
    </Page>
  );
}
