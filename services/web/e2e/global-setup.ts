import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { bootstrapAdmin } from './support/admin';
import type { StackDescription } from './support/stack';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

/** The addresses of the infrastructure scripts/infra.sh started, as jest.setup.js reads them. */
function loadInfraEnv(): void {
  const file = path.join(ROOT, '.local', 'infra.env');
  if (!existsSync(file)) return;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match?.[1] && process.env[match[1]] === undefined) process.env[match[1]] = match[2];
  }
}

/** The shared testing code is CommonJS; from this ESM package Node hands it over as `default`. */
async function load<T extends object>(module: Promise<T>): Promise<T> {
  const loaded = (await module) as T & { default?: T };
  return loaded.default ?? loaded;
}

/**
 * The stack the journeys drive. With WEB_BASE_URL set, an existing one (`npm run up`'s edge at
 * https://localhost:8443, whose settings are under .local/). Otherwise, as in `npm test`: every
 * service on fresh databases and topics on the running infrastructure, billing with
 * stripe-mock, and the chart's edge in front of the gateway and the built app (services/web/dist),
 * on free ports over TLS. The journeys read where everything is from STACK_JSON.
 */
export default async function globalSetup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.WEB_BASE_URL) {
    // The journeys deliver Stripe's webhooks through the edge, whose certificate `npm run up`'s
    // local CA signed: the workers (Node, inheriting this environment) trust it.
    const localCa = path.join(ROOT, '.local', 'edge', 'ca', 'ca.crt');
    if (existsSync(localCa)) process.env.NODE_EXTRA_CA_CERTS ??= localCa;
    return undefined;
  }
  loadInfraEnv();
  const { startEdge, writeLoopbackGeoIpDatabase, STRIPE_MOCK_KEY } = await load(import('@tracking/testing'));
  const { startPlatform } = await load(import('@tracking/testing/platform'));

  // The browser reaches the gateway through the edge on loopback, so the gateway's own GeoIP
  // check sees 127.0.0.1: its database places loopback in NZ, as the edge's does.
  const geoipDir = await mkdtemp(path.join(tmpdir(), 'web-e2e-'));
  const geoip = await writeLoopbackGeoIpDatabase(path.join(geoipDir, 'geoip.mmdb'));
  // The admin API admits loopback too: through the edge, that is where the browser is.
  // The privacy service too: the privacy journey exports and schedules a deletion (#22).
  // httpTls: the gateway and billing's webhook port serve TLS to the edge's certificate alone, as
  // in a cluster, so every journey goes browser → edge → TLS → gateway or web.
  const platform = await startPlatform({
    billing: true,
    privacy: true,
    httpTls: true,
    gatewayEnv: { GEOIP_DB_FILE: geoip, ADMIN_ALLOWED_CIDRS: '127.0.0.1/32,::1/128' },
  });
  const billing = platform.billing;
  if (!billing) throw new Error('the platform started without billing');
  const edge = await startEdge({
    gateway: new URL(platform.api).origin,
    webRoot: path.join(ROOT, 'services', 'web', 'dist'),
    stripeWebhook: new URL(billing.webhookUrl).host,
    pki: platform.pki,
  }).catch(async (error: unknown) => {
    await platform.stop();
    throw error;
  });

  // The deployment's first admin, as bootstrap-admin makes it: the journeys that need an admin
  // (a trainer is an account an admin promoted) sign in as this one.
  const admin = await bootstrapAdmin(edge.url, platform.authDb.appUrl).catch(async (error: unknown) => {
    await edge.stop();
    await platform.stop();
    throw error;
  });

  const description: StackDescription = {
    baseUrl: edge.url,
    admin,
    mailInboxUrl: platform.mail.url,
    billing: {
      stripeApiUrl: billing.stripeMockUrl,
      databaseUrl: billing.db.migratorUrl,
      // As Stripe sends them: through the edge (billing's own port answers the edge alone).
      webhookUrl: `${edge.url}/webhooks/stripe`,
      webhookSecret: billing.webhookSecret,
      stripeKey: STRIPE_MOCK_KEY,
      proPrice: 'price_PlatformPro',
    },
  };
  // Workers inherit the environment globalSetup leaves behind.
  process.env.STACK_JSON = JSON.stringify(description);
  process.env.WEB_BASE_URL = edge.url;
  // Node's fetch in the workers (the webhook deliveries) trusts the edge's local CA.
  process.env.NODE_EXTRA_CA_CERTS = edge.caFile;

  return async () => {
    await edge.stop();
    await platform.stop();
    await rm(geoipDir, { recursive: true, force: true });
  };
}
