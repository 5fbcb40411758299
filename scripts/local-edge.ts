// Renders the local stack's edge (scripts/up.sh starts it): the chart's own edge and web nginx.conf
// files with local values, into .local/edge, in front of the local gateway, billing's webhook port
// and the web app's build (services/web/dist), over TLS with the edge's certificate from the local
// PKI, with TLS for browsers from a local CA (.local/edge/ca, its key never leaves it) and the local GeoIP database, in which loopback is in NZ (scripts/provision.ts).
// Prints the app's address, the CA's certificate file, and the web server's and the edge's
// readiness URLs, space-separated.
//
//   node --import tsx scripts/local-edge.ts
import path from 'node:path';

import { renderLocalEdge } from '@tracking/testing';

import { loadStack, ROOT } from './stack';

async function main(): Promise<void> {
  const stack = loadStack();
  const port = (service: string, variable: string) => {
    const value = stack.services.find((candidate) => candidate.name === service)?.env[variable];
    if (!value) throw new Error(`scripts/stack.ts gives ${service} no ${variable}`);
    return value;
  };
  const local = path.join(ROOT, '.local');
  const layout = await renderLocalEdge({
    dir: path.join(local, 'edge'),
    ports: stack.edge,
    gateway: `127.0.0.1:${port('gateway', 'HTTP_PORT')}`,
    stripeWebhook: `127.0.0.1:${port('billing', 'WEBHOOK_PORT')}`,
    webRoot: path.join(ROOT, 'services', 'web', 'dist'),
    geoipDatabase: path.join(local, 'geoip', 'dev.mmdb'),
    // The hops to the gateway, the web app and billing: TLS with the edge's certificate from the
    // local PKI (scripts/pki.sh), as the services serve them.
    pki: process.env.GRPC_SECRETS_DIR ?? path.join(local, 'secrets', 'grpc'),
  });
  process.stdout.write(`${layout.url}/ ${layout.caFile} ${layout.ready.web} ${layout.ready.edge}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`[local-edge] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
