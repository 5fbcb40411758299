import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { createLogger } from '@tracking/kit';
import { INGRESS_HEADERS, TEST_NETWORKS, writeGeoIpDatabase } from '@tracking/testing/platform';

import type { CountryLookup, EdgeOptions } from '../src/deps';
import { openCountryDatabase } from '../src/edge/geoip';

/** Documentation ranges (RFC 5737, RFC 3849), each standing for a country in the test database. */
export const CLIENT = {
  nz: '203.0.113.10',
  au: '198.51.100.10',
  us: '192.0.2.10',
  nzV6: '2001:db8:1::10',
  auV6: '2001:db8:2::10',
  usV6: '2001:db8:3::10',
  /** In no country the database knows. */
  nowhere: '100.64.0.10',
};

let countries: Promise<CountryLookup> | undefined;

/**
 * The system tests' country database, plus a loopback address of its own in NZ, so that a test
 * can be an untrusted peer whom GeoIP lets through.
 */
function testCountries(): Promise<CountryLookup> {
  return (countries ??= (async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'geoip-')), 'test.mmdb');
    await writeGeoIpDatabase(file, [...TEST_NETWORKS, '127.0.0.3/32=NZ']);
    // One reader per test file, as one per gateway process.
    return openCountryDatabase(file, createLogger({ service: 'test', level: 'warn' }));
  })());
}

/** Edge settings for a gateway under test: NZ and AU allowed, admin API from the NZ test range. */
export async function testEdge(overrides: Partial<EdgeOptions> = {}): Promise<EdgeOptions> {
  return {
    countryOf: await testCountries(),
    allowedCountries: ['NZ', 'AU'],
    adminAllowedCidrs: ['203.0.113.0/24'],
    securityTxt: {
      contacts: ['mailto:security@example.test'],
      expires: new Date(Date.now() + 180 * 86_400_000),
      languages: ['en'],
    },
    ...overrides,
  };
}

/** The headers the ingress adds: TLS ended there, and the client's address. */
export const viaIngress = (clientIp = CLIENT.nz) => ({ ...INGRESS_HEADERS, 'x-forwarded-for': clientIp });
