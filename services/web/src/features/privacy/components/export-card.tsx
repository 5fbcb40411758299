import { Card } from '../../../components/ui/page';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { Loading, Notice } from '../../../components/ui/status';
import { formatDate, formatDateTime } from '../../../lib/dates';
import { useDownloadExport } from '../api/download-export';
import { useExport } from '../api/get-export';
import { useLatestExport } from '../api/list-exports';
import { useRequestExport } from '../api/request-export';
import { ConfirmIdentityForm } from './confirm-identity-form';
import { formatBytes } from './format';

/**
 * "Export my data": ask for a copy, watch the services answer, then download the ZIP while it
 * is kept (7 days). The export's id lives in the address (?export=<id>), which is also where
 * the mail that it is ready points, so a reload or the mail's link opens the same export.
 * Without it, the card shows the latest export the person asked for: coming back without the
 * mail, they still find it.
 */
export function ExportCard({
  exportId,
  withCode,
  onStarted,
}: {
  exportId: string | undefined;
  withCode: boolean;
  onStarted: (requestId: string) => void;
}) {
  const latest = useLatestExport(!exportId);
  const shownId = exportId ?? latest.data?.id;
  const current = useExport(shownId);
  const start = useRequestExport();
  const download = useDownloadExport();
  const request = current.data;

  const startForm = (intro: string) => (
    <ConfirmIdentityForm
      label="Export my data"
      withCode={withCode}
      submitLabel="Export my data"
      pending={start.isPending}
      error={start.error}
      onConfirm={(values, done) =>
        start.mutate(values, {
          onSuccess: (started) => {
            done();
            onStarted(started.id);
          },
          onError: done,
        })
      }
    >
      <p>{intro}</p>
    </ConfirmIdentityForm>
  );

  return (
    <Card title="Export my data">
      {!exportId && latest.isPending ? (
        <Loading label="Looking for your last export…" minHeight="6rem" />
      ) : !shownId ? (
        startForm(
          'A copy of everything we hold about you, from every part of the service, in one ZIP file: JSON for ' +
            'each part, CSV for every list (meals, metrics, sessions…), and a README that explains each file. ' +
            'It is usually ready within minutes; we also send you a mail. You can download it for 7 days.',
        )
      ) : current.isPending ? (
        <Loading label="Checking your export…" minHeight="6rem" />
      ) : current.isError ? (
        <>
          <ProblemAlert error={current.error} title="We could not find that export" />
          {startForm('You can ask for a new one.')}
        </>
      ) : request?.state === 'ready' ? (
        <ConfirmIdentityForm
          label="Download my export"
          withCode={withCode}
          submitLabel="Download"
          pending={download.isPending}
          error={download.error}
          onConfirm={(values, done) =>
            download.mutate({ ...values, requestId: request.id }, { onSuccess: () => done(), onError: done })
          }
        >
          <Notice tone="success">
            Your export is ready
            {request.sizeBytes !== null ? <> ({formatBytes(request.sizeBytes)})</> : null}. You can download
            it until <strong>{formatDateTime(request.expiresAt)}</strong>; after that it is deleted.
          </Notice>
          {download.isSuccess ? <Notice tone="success">Saved as {download.data.name}.</Notice> : null}
          <p>Enter your password again to download it.</p>
        </ConfirmIdentityForm>
      ) : request?.state === 'expired' || request?.state === 'failed' ? (
        startForm(
          request.state === 'expired'
            ? `Your export of ${formatDate(request.requestedAt)} has expired and was deleted. You can ask for a new one.`
            : 'Your last export could not be finished. We have been told; you can ask for a new one.',
        )
      ) : request ? (
        <div role="status" aria-live="polite">
          <p>
            <strong>Preparing your export…</strong> asked for on {formatDateTime(request.requestedAt)}.{' '}
            {request.steps.filter((step) => step.state === 'completed').length} of {request.steps.length}{' '}
            parts of the service have sent their data. This page updates by itself, and we send you a mail
            when it is ready.
          </p>
        </div>
      ) : null}
    </Card>
  );
}
