import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/page';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { Loading, Notice } from '../../../components/ui/status';
import { formatDate, formatDateTime } from '../../../lib/dates';
import { useCancelDeletion, useDeletion, useRequestDeletion } from '../api/account-deletion';
import { ConfirmIdentityForm } from './confirm-identity-form';

/**
 * "Delete my account": what it erases and what it keeps (docs/privacy.md, data-inventory.yaml),
 * the 7-day cooling-off, then the date it runs and a way to keep the account until then.
 */
export function DeletionCard({ withCode }: { withCode: boolean }) {
  const deletion = useDeletion();
  const schedule = useRequestDeletion();
  const cancel = useCancelDeletion();
  const request = deletion.data?.request ?? null;

  return (
    <Card title="Delete my account">
      {deletion.isPending ? (
        <Loading minHeight="6rem" />
      ) : deletion.isError ? (
        <ProblemAlert error={deletion.error} />
      ) : request?.state === 'scheduled' ? (
        <div className="form">
          <Notice tone="warning">
            Your account will be deleted on <strong>{formatDateTime(request.scheduledFor)}</strong>. Until
            then you can keep using it, and you can cancel the deletion.
          </Notice>
          {cancel.isError ? <ProblemAlert error={cancel.error} /> : null}
          <Button
            variant="secondary"
            isDisabled={cancel.isPending}
            onPress={() => {
              cancel.mutate();
            }}
          >
            Cancel the deletion and keep my account
          </Button>
        </div>
      ) : request?.state === 'erasing' ? (
        <Notice tone="warning">
          Your account is being deleted now, from every part of the service. It can no longer be stopped; we
          send a last mail when it is done.
        </Notice>
      ) : (
        <ConfirmIdentityForm
          label="Delete my account"
          withCode={withCode}
          submitLabel="Delete my account in 7 days"
          variant="danger"
          pending={schedule.isPending}
          error={schedule.error}
          onConfirm={(values, done) => schedule.mutate(values, { onSuccess: () => done(), onError: done })}
        >
          {request?.state === 'cancelled' ? (
            <Notice>
              You cancelled the deletion on {formatDate(request.finishedAt)}. Your account stays.
            </Notice>
          ) : null}
          <p>
            <strong>Nothing is deleted for 7 days.</strong> We mail you when you ask, and you can cancel here
            at any time in those 7 days. You may want to export your data first.
          </p>
          <p>Then, across every part of the service, we erase:</p>
          <ul>
            <li>your account: email address, name, password, two-step sign-in, sessions and devices;</li>
            <li>
              everything you logged: meals, body metrics and goals, and your trainer links, comments and
              reviews;
            </li>
            <li>what the meal estimator kept about you;</li>
            <li>
              your subscription, which is cancelled, and your customer record at Stripe, which is deleted.
            </li>
          </ul>
          <p>What we keep, and why:</p>
          <ul>
            <li>
              the security audit log, which nobody can edit, keeps its entries so it still proves what
              happened; your IP address and browser in it are encrypted under your own key, and that key is
              destroyed;
            </li>
            <li>
              a record that you asked and when each part erased you, with no data of yours: the proof that we
              did;
            </li>
            <li>
              encrypted backups age out within about 12 months; if one is ever restored, your deletion is
              applied to it again before it is used.
            </li>
          </ul>
        </ConfirmIdentityForm>
      )}
    </Card>
  );
}
