import { type Dashboard } from './model';
import { inRange, perMinute, rate, sel, sumBy } from './promql';
import {
  barGauge,
  dashboard,
  flagMapping,
  gauge,
  highlight,
  stat,
  table,
  thresholds,
  timeseries,
} from './panels';

// Security overview

export function securityDashboard(): Dashboard {
  const events = (pattern: string) => sel('security_events_total', [`event=~"${pattern}"`]);
  return dashboard({
    uid: 'tracking-security',
    title: 'Tracking / Security overview',
    description:
      'Authentication abuse, privilege changes, edge refusals and the audit chain, across all services.',
    tags: ['security'],
    sections: [
      {
        title: 'Audit chain and credential stuffing',
        cells: [
          stat({
            title: 'Audit chain',
            description:
              'Result of the latest audit chain verification. BROKEN means an audit entry was altered or removed, or the chain disagrees with its published head: treat as a security incident (audit runbook). No value means the audit service reports no verification at all.',
            unit: 'none',
            query: { expr: 'max(audit_chain_broken)', legend: 'chain' },
            thresholds: thresholds('green', ['red', 1]),
            mappings: flagMapping('Intact', 'BROKEN'),
            noValue: 'not reported',
            w: 6,
            h: 6,
          }),
          stat({
            title: 'Since last chain verification',
            description:
              'Time since the audit service last verified the chain. It verifies every CHAIN_ATTEST_INTERVAL_MS (1 h by default, 60 s on the local stack): orange after one missed run, red after two. A growing value means verification stopped, so a break would go unnoticed.',
            unit: 's',
            query: { expr: 'time() - max(audit_chain_last_verification_timestamp_seconds)', legend: 'age' },
            thresholds: thresholds('green', ['orange', 3900], ['red', 7500]),
            noValue: 'never verified',
            w: 6,
            h: 6,
          }),
          stat({
            title: 'Verified audit sequence',
            description:
              'The last audit sequence number the latest verification found intact. It should keep rising with activity; flat while users are active means verification covers nothing new.',
            unit: 'none',
            query: { expr: 'max(audit_chain_verified_sequence)', legend: 'sequence' },
            thresholds: thresholds('blue'),
            w: 6,
            h: 6,
          }),
          gauge({
            title: 'Failing login identities (15 min)',
            description:
              'Distinct login identities with a failed or pending login in the last 15 minutes (every auth replica reports the same shared number, hence max). A few is normal; a climb into the orange or red means many accounts are being tried at once: credential stuffing. Compare with lockouts by scope ip below.',
            unit: 'none',
            query: { expr: 'max(auth_login_failing_identities)', legend: 'identities' },
            thresholds: thresholds('green', ['orange', 25], ['red', 100]),
            max: 200,
            w: 6,
            h: 6,
          }),
        ],
      },
      {
        title: 'Authentication',
        cells: [
          timeseries({
            title: 'Login failures by reason',
            description:
              'Refused logins per minute: bad_credentials (wrong email or password) and throttled (refused because a lock is active). Successful logins are drawn for scale. A bad_credentials spike without a matching rise in successes is password guessing.',
            unit: 'opm',
            queries: [
              { expr: perMinute(sumBy(['reason'], rate('auth_login_failures_total'))), legend: '{{reason}}' },
              { expr: perMinute(sumBy([], rate('auth_logins_total'))), legend: 'successful logins' },
            ],
          }),
          timeseries({
            title: 'Lockouts by scope',
            description:
              'Throttle locks started per minute: login (one account), mfa (one account’s second factor) and ip (one source address). Many login locks across accounts point at credential stuffing; ip locks at a single noisy source.',
            unit: 'opm',
            queries: [
              { expr: perMinute(sumBy(['scope'], rate('auth_lockouts_total'))), legend: '{{scope}}' },
            ],
            bars: true,
          }),
          timeseries({
            title: 'MFA failures by reason',
            description:
              'Refused second-factor attempts per minute by reason. replay (highlighted) is a code that was already used: someone holding a stolen password who watched or intercepted a code. Any replay deserves a look; invalid and throttled are usually typos.',
            unit: 'opm',
            queries: [
              { expr: perMinute(sumBy(['reason'], rate('auth_mfa_failures_total'))), legend: '{{reason}}' },
            ],
            overrides: [highlight('^replay$', 'red')],
          }),
          timeseries({
            title: 'Sessions revoked by reason',
            description:
              'Sessions revoked per minute, by reason. Revocations follow logouts, password and privilege changes; a burst without a matching admin action is worth checking.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['reason'], rate('auth_sessions_revoked_total'))),
                legend: '{{reason}}',
              },
            ],
          }),
        ],
      },
      {
        title: 'Privileges',
        cells: [
          timeseries({
            title: 'Privilege changes by kind and actor',
            description:
              'Role changes and account disables/enables per minute, by kind and by what kind of admin made them. Changes by a first_time admin (never changed privileges before) or a dormant one (none in 90 days) are highlighted: confirm them with the admin, a taken-over admin account looks like this. role_admin grants deserve a look whoever made them.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['kind', 'actor'], rate('auth_privilege_changes_total'))),
                legend: '{{kind}} by {{actor}} admin',
              },
            ],
            overrides: [highlight('.* by (first_time|dormant) admin$', 'orange')],
            bars: true,
            w: 24,
          }),
        ],
      },
      {
        title: 'Edge (gateway)',
        cells: [
          timeseries({
            title: 'Rejected authentication and denied authorization',
            description:
              'authn.rejected: requests with a missing, expired or forged session; authz.denied: signed-in users asking for something their role does not allow (e.g. a client calling the admin API). Other people’s records answer 404, not 403, so they do not count here. A rise in authz.denied from few users is probing. Click an exemplar dot to open an example trace.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['event'], rate(events('authn.rejected|authz.denied')))),
                legend: '{{event}}',
                exemplar: true,
              },
            ],
          }),
          timeseries({
            title: 'Rate-limited requests by budget and route',
            description:
              'Requests refused by a rate-limit budget per minute: ip (one source address), auth (login and MFA attempts) and account (one signed-in account). The auth budget on the login routes is where guessing shows first.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['budget', 'route'], rate('gateway_rate_limited_total'))),
                legend: '{{budget}} {{route}}',
              },
            ],
          }),
          barGauge({
            title: 'Geo-blocked requests: top 10 countries',
            description:
              'Requests refused because they came from outside the allowed countries, over the selected time range, by country (ISO code; unknown = not in the GeoIP database). A new country at the top, or a surge of unknown, is worth a look.',
            unit: 'short',
            query: {
              expr: `topk(10, ${sumBy(['country'], inRange('gateway_geo_blocked_total'))})`,
              legend: '{{country}}',
            },
            thresholds: thresholds('orange'),
          }),
          stat({
            title: 'GeoIP database age',
            description:
              'How old the GeoIP database the gateway loaded is. Country data drifts: orange after 30 days, red after 60; refresh the database.',
            unit: 'dtdurations',
            query: {
              expr: 'time() - min(gateway_geoip_database_build_timestamp_seconds)',
              legend: 'GeoIP database',
            },
            thresholds: thresholds('green', ['orange', 30 * 86_400], ['red', 60 * 86_400]),
            h: 8,
          }),
          stat({
            title: 'security.txt expires in',
            description:
              'Time left before the Expires date in the gateway’s security.txt. Renew it before it turns red (14 days): an expired file tells researchers the contact is stale.',
            unit: 'dtdurations',
            query: {
              expr: 'min(gateway_security_txt_expiry_timestamp_seconds) - time()',
              legend: 'security.txt',
            },
            thresholds: thresholds('red', ['orange', 14 * 86_400], ['green', 30 * 86_400]),
            h: 8,
          }),
        ],
      },
      {
        title: 'Security events',
        cells: [
          timeseries({
            title: 'Security events by event',
            description:
              'Every security event the services record, per minute, by event name (docs/security-events.md). A spike in any one is the starting point: the exemplar dots link to example traces, and the table below holds the latest correlation id to search the logs and the audit trail for.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['event'], rate('security_events_total'))),
                legend: '{{event}}',
                exemplar: true,
              },
            ],
            h: 10,
            w: 24,
          }),
          table({
            title: 'Latest occurrence of each event',
            description:
              'For each security event, when it last happened and its correlation and trace ids: search the logs and the audit trail for the correlation id, open the trace by its id.',
            unit: 'dateTimeFromNow',
            query: {
              expr: 'max by (event, correlation_id, trace_id) (security_event_last_seen_timestamp_seconds) * 1000',
            },
            valueColumn: 'Last seen',
          }),
        ],
      },
    ],
  });
}
