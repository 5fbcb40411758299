import { watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';

import type { Logger, MetricsRegistry, SecurityEvents } from '@tracking/kit';
import type { RequestHandler } from 'express';
import { Reader, type CountryResponse } from 'maxmind';
import { Counter, Gauge } from 'prom-client';

import type { CountryLookup } from '../deps';
import { sendProblem } from '../http/problem';

/**
 * Opens a MaxMind country database (GeoIP2/GeoLite2 Country or City, or anything with the same
 * `country.iso_code` record) and keeps it current: when the operator replaces the file, the
 * new data is used without a restart. A missing or unreadable file fails start-up; a bad
 * replacement is logged and the previous data kept. (maxmind's own open() watches too, but a
 * bad file there throws inside its watcher, an unhandled rejection that would end the process.)
 */
export async function openCountryDatabase(
  file: string,
  log: Logger,
  registry?: MetricsRegistry,
): Promise<CountryLookup> {
  // Its age is an alert (GeoIpDatabaseStale): a database nobody refreshes misplaces more clients each month.
  const builtAt = registry
    ? new Gauge({
        name: 'gateway_geoip_database_build_timestamp_seconds',
        help: 'When the GeoIP database in use was built (Unix time).',
        registers: [registry],
      })
    : undefined;
  const load = async () => {
    const loaded = new Reader<CountryResponse>(await readFile(file));
    const { databaseType } = loaded.metadata;
    if (!/country|city|enterprise/i.test(databaseType)) {
      throw new Error(`${file} is a ${databaseType} database, not a country database`);
    }
    log.info(
      { event: 'geoip.loaded', file, databaseType, builtAt: loaded.metadata.buildEpoch.toISOString() },
      'GeoIP database loaded',
    );
    builtAt?.set(loaded.metadata.buildEpoch.getTime() / 1000);
    return loaded;
  };
  let reader = await load();
  // Polling, not inotify: it sees a Kubernetes volume's symlink swap and a rename alike. Not
  // persistent, so the watch never keeps a draining process alive.
  watchFile(file, { persistent: false, interval: 2_000 }, (current, previous) => {
    if (current.mtimeMs === previous.mtimeMs && current.ino === previous.ino) return;
    load().then(
      (loaded) => (reader = loaded),
      (error: unknown) =>
        log.error({ event: 'geoip.reload_failed', file, err: error }, 'kept the previous GeoIP database'),
    );
  });
  // Only the geolocated country counts: a network's registered country says where its owner
  // signed up, not where the client is.
  return (address) => (isIP(address) ? reader.get(address)?.country?.iso_code : undefined);
}

/**
 * Refuses requests from clients outside the allowed countries, and from addresses the database
 * cannot place: the check fails closed. The client address is Express's req.ip, so it comes
 * from X-Forwarded-For only through the trusted proxies.
 */
export function geoFence(options: {
  countryOf: CountryLookup;
  allowedCountries: readonly string[];
  registry: MetricsRegistry;
  security: SecurityEvents;
}): RequestHandler {
  const allowed = new Set(options.allowedCountries);
  const blocked = blockedCounter(options.registry);
  return (req, res, next) => {
    const country = req.ip ? options.countryOf(req.ip) : undefined;
    if (country && allowed.has(country)) {
      next();
      return;
    }
    // Label values are ISO codes from the database (about 250) or "unknown": bounded.
    blocked.inc({ country: country ?? 'unknown' });
    options.security.record(
      'edge.geo_blocked',
      { country: country ?? 'unknown' },
      'request refused: outside the allowed countries',
    );
    sendProblem(res, 'geo_blocked', 'this service is not available in your region');
  };
}

const BLOCKED = 'gateway_geo_blocked_total';

// One counter per registry, however many apps are built on it (tests build several).
function blockedCounter(registry: MetricsRegistry): Counter<'country'> {
  const existing = registry.getSingleMetric(BLOCKED);
  if (existing instanceof Counter) return existing;
  return new Counter({
    name: BLOCKED,
    help: 'Requests refused because the client address is outside the allowed countries, by country ("unknown" when the GeoIP database has none).',
    labelNames: ['country'] as const,
    registers: [registry],
  });
}
