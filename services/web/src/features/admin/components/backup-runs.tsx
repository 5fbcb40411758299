import { Button } from '../../../components/ui/button';
import { EmptyState, Loading } from '../../../components/ui/status';
import { formatDateTime } from '../../../lib/dates';
import { useBackupOverview } from '../api/list-backups';
import { AdminProblem } from './admin-problem';

/** Seconds as an operator reads a recovery time or point: "42 s", "1 h 5 min", "3 d 4 h". */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${String(Math.round(seconds * 10) / 10)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${String(minutes)} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48)
    return minutes % 60 ? `${String(hours)} h ${String(minutes % 60)} min` : `${String(hours)} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${String(days)} d ${String(hours % 24)} h` : `${String(days)} d`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${String(bytes)} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

/** A measured time against its target: the miss is said in words, not by colour alone. */
function Measured({ seconds, met }: { seconds: number | null; met: boolean }) {
  if (seconds === null) return <span className="missed">no backup restored</span>;
  return met ? (
    <>{formatSeconds(seconds)}</>
  ) : (
    <>
      {formatSeconds(seconds)} <span className="missed">· missed target</span>
    </>
  );
}

/**
 * The backup service's newest backups and restore drills (GET /admin/backups): each drill's RTO
 * (time to a restored, verified database) and RPO (age of the backup it restored) against the
 * targets, and an honest "none yet" when nothing has run.
 */
export function BackupRuns() {
  const overview = useBackupOverview();
  if (overview.isPending) return <Loading minHeight="8rem" label="Reading backups and drills…" />;
  if (overview.isError)
    return <AdminProblem error={overview.error} title="Backups and drills could not be read" />;
  const { targets, backups, drills } = overview.data;
  return (
    <div className="stack admin-backups">
      <p>
        Targets: recovery time (RTO) within {formatSeconds(targets.rtoSeconds)}, recovery point (RPO) within{' '}
        {formatSeconds(targets.rpoSeconds)}.
      </p>
      <section aria-labelledby="drills-heading" className="stack">
        <h3 id="drills-heading">Restore drills</h3>
        {drills.length === 0 ? (
          <EmptyState title="No restore drills yet">
            Nothing shows the backups restore until a drill has run (the weekly drill, or RunDrill).
          </EmptyState>
        ) : (
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Restore drills">
            <table className="table admin-audit">
              <thead>
                <tr>
                  <th scope="col">Finished</th>
                  <th scope="col">Database</th>
                  <th scope="col">Result</th>
                  <th scope="col">RTO</th>
                  <th scope="col">RPO</th>
                </tr>
              </thead>
              <tbody>
                {drills.map((drill) => (
                  <tr key={drill.drillId}>
                    <td className="num">{formatDateTime(drill.finishedAt)}</td>
                    <td>{drill.database}</td>
                    <td>{drill.ok ? 'Passed' : <span className="missed">Failed: {drill.error}</span>}</td>
                    <td className="num">
                      <Measured seconds={drill.rtoSeconds} met={drill.rtoMet} />
                    </td>
                    <td className="num">
                      <Measured seconds={drill.rpoSeconds} met={drill.rpoMet} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section aria-labelledby="backups-heading" className="stack">
        <h3 id="backups-heading">Backup runs</h3>
        {backups.length === 0 ? (
          <EmptyState title="No backup runs yet">The daily backup has not written one.</EmptyState>
        ) : (
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Backup runs">
            <table className="table admin-audit">
              <thead>
                <tr>
                  <th scope="col">Finished</th>
                  <th scope="col">Database</th>
                  <th scope="col">Size</th>
                  <th scope="col">Schema</th>
                  <th scope="col">Backup id</th>
                </tr>
              </thead>
              <tbody>
                {backups.map((backup) => (
                  <tr key={backup.backupId}>
                    <td className="num">{formatDateTime(backup.finishedAt)}</td>
                    <td>{backup.database}</td>
                    <td className="num">{formatBytes(backup.bytes)}</td>
                    <td>{backup.schemaVersion ?? '—'}</td>
                    <td>
                      <code className="mono">{backup.backupId}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <Button variant="quiet" onPress={() => void overview.refetch()} isDisabled={overview.isFetching}>
        Refresh backups and drills
      </Button>
    </div>
  );
}
