import { type Dashboard, type ValueMapping } from './model';
import { sel, sumBy } from './promql';
import {
  barGauge,
  dashboard,
  highlight,
  instanceVariable,
  stat,
  table,
  thresholds,
  timeseries,
} from './panels';

// Backups and restore drills

/** Value 1 shows as `one` in green, 0 as `zero` in red. */
export function passMapping(zero: string, one: string): ValueMapping[] {
  return [
    {
      type: 'value',
      options: { '0': { text: zero, color: 'red', index: 0 }, '1': { text: one, color: 'green', index: 1 } },
    },
  ];
}

export function backupsDashboard(): Dashboard {
  const on = ['job="backup"', 'instance=~"$instance"'];
  // Every replica reports the same numbers, read from the bucket and the backup database: max,
  // never sum, per database.
  const perDb = (metric: string, ...matchers: string[]) =>
    `max by (db) (${sel(metric, [...on, ...matchers])})`;
  const runs = (window: string) =>
    `max by (db, kind, outcome) (increase(${sel('backup_runs_total', on)}[${window}]))`;
  const DAY = 86_400;
  return dashboard({
    uid: 'tracking-backups',
    title: 'Tracking / Backups',
    description:
      'Encrypted logical backups of every database and their restore drills: how old the newest backup is, the recovery point (RPO), drill results and their duration (RTO), sizes and runs. The backup service reports every database of its sources file, whichever process ran the backup.',
    tags: ['backup'],
    variables: [instanceVariable('backup')],
    sections: [
      {
        title: 'Recovery point',
        cells: [
          barGauge({
            title: 'Since the last successful backup',
            description:
              'Time since the newest successful backup of each database finished. Backups run daily at 02:17 UTC: orange after 26 h (BackupStale fires), red after 48 h. A database never backed up has no bar; it is counted on the right.',
            unit: 's',
            query: {
              expr: `time() - (${perDb('backup_last_success_timestamp_seconds')} > 0)`,
              legend: '{{db}}',
            },
            thresholds: thresholds('green', ['orange', 26 * 3600], ['red', 2 * DAY]),
            noValue: 'no backup reported',
            w: 10,
          }),
          barGauge({
            title: 'Recovery point (RPO) by database',
            description:
              'Age of the newest backup the last drill did not find broken: what a restore now would lose, at most. Infinity means backups exist but none is restorable, or there is none. Red after 48 h (BackupRpoHigh pages).',
            unit: 's',
            query: { expr: perDb('backup_rpo_seconds'), legend: '{{db}}' },
            thresholds: thresholds('green', ['orange', 26 * 3600], ['red', 2 * DAY]),
            noValue: 'no backup reported',
            w: 10,
          }),
          stat({
            title: 'Databases never backed up',
            description:
              'Databases the backup service has in its sources but no successful backup of. Right after installing, until the first nightly run; after a day, BackupStale fires for each.',
            unit: 'none',
            query: {
              expr: `count(${perDb('backup_last_success_timestamp_seconds')} == 0) or vector(0)`,
              legend: 'never backed up',
            },
            thresholds: thresholds('green', ['red', 1]),
            w: 4,
            h: 8,
          }),
        ],
      },
      {
        title: 'Restore drills',
        cells: [
          stat({
            title: 'Last restore drill',
            description:
              'Whether the last weekly restore drill of each database restored a verified database (passed) or not. FAILED also shows before the first drill: a drill that did not run counts as failed. See BackupRestoreDrillFailed and BackupRestoreDrillMissing.',
            unit: 'none',
            query: { expr: perDb('backup_restore_drill_success'), legend: '{{db}}' },
            thresholds: thresholds('red', ['green', 1]),
            mappings: passMapping('FAILED', 'passed'),
            noValue: 'not reported',
            w: 24,
          }),
          barGauge({
            title: 'Since the last restore drill',
            description:
              'Time since the last restore drill of each database finished, passed or not. Drills run weekly, Sunday 04:43 UTC: orange after 7 days, red after 8 (BackupRestoreDrillMissing).',
            unit: 's',
            query: {
              expr: `time() - (${perDb('backup_last_drill_timestamp_seconds')} > 0)`,
              legend: '{{db}}',
            },
            thresholds: thresholds('green', ['orange', 7 * DAY + 3600], ['red', 8 * DAY]),
            noValue: 'no drill reported',
          }),
          barGauge({
            title: 'Restore time (RTO) of the last drill',
            description:
              'Wall time of the last drill of each database, from fetching the backup to a restored and verified database: what a restore would take today. Compare with the recovery time you promise; it grows with the database.',
            unit: 's',
            query: { expr: `${perDb('backup_restore_drill_duration_seconds')} > 0`, legend: '{{db}}' },
            thresholds: thresholds('green', ['orange', 1800], ['red', 3600]),
            noValue: 'no drill reported',
          }),
        ],
      },
      {
        title: 'Backups',
        cells: [
          timeseries({
            title: 'Backup size by database',
            description:
              'Size of the newest backup of each database as stored (compressed and encrypted). Growth should follow the data; a sudden drop is worth a look (a table emptied, or a dump cut short).',
            unit: 'bytes',
            queries: [{ expr: perDb('backup_size_bytes'), legend: '{{db}}' }],
          }),
          timeseries({
            title: 'Runs in the last day by kind and outcome',
            description:
              'Backups and drills run in the 24 hours before each point, over all databases, by outcome: one backup per database a day and one drill a week is normal. failure (highlighted) is what BackupFailed and BackupRestoreDrillFailed look at.',
            unit: 'short',
            queries: [{ expr: sumBy(['kind', 'outcome'], runs('1d')), legend: '{{kind}} {{outcome}}' }],
            overrides: [highlight('.* failure$', 'red')],
          }),
          table({
            title: 'Runs in the time range by database',
            description:
              'Backups and drills of each database in the selected time range, by outcome. A database with failures and no success needs its Job’s log (docs/runbooks/backup.md).',
            unit: 'short',
            query: { expr: `${runs('$__range')} > 0` },
            valueColumn: 'Runs',
          }),
        ],
      },
    ],
  });
}
