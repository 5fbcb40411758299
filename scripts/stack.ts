// The local stack, with its topology declared once. The ports every component listens on and
// who calls whom come from the chart's `components` (charts/tracking/values.yaml), the same
// values a cluster runs with; scripts/stack.json adds only what is local: the start order, the
// databases, the local settings, and the edge's ports on this machine. Every service runs gRPC
// with mutual TLS from the local PKI (scripts/pki.sh) and admits the callers the chart's call
// graph allows, as in a cluster. scripts/provision.ts, scripts/observability.ts,
// scripts/local-edge.ts and scripts/up.sh read the stack from here.
//
//   node --import tsx scripts/stack.ts names        the services, in start order (scripts/up.sh)
//   node --import tsx scripts/stack.ts ports        every fixed local port, one `name port` a line
//   node --import tsx scripts/stack.ts components   every identity the local PKI certifies (scripts/pki.sh)
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { chartComponents, componentIdentities } from '@tracking/testing/components';
import { grpcServiceEnv } from '@tracking/testing/grpc-tls';
import { z } from 'zod';

export const ROOT = path.resolve(__dirname, '..');

const port = z.number().int().min(1).max(65_535);

const localSchema = z.object({
  services: z.array(
    z.object({
      name: z.string().regex(/^[a-z][a-z-]*$/),
      database: z
        .string()
        .regex(/^[a-z][a-z_]*$/)
        .optional(),
      /** Needs a key-encryption key (ENCRYPTION_KEYS) for secrets it stores encrypted. */
      encryptionKeys: z.boolean().default(false),
      /**
       * The service sends mail: to the local SMTP server (MailDev, scripts/mail.sh), whose address
       * is in .local/mail.env, in plaintext on loopback (SMTP_ALLOW_PLAINTEXT, never in a cluster).
       */
      smtp: z.boolean().default(false),
      /**
       * auth's GetContact and its one caller, the notifications service: one credential made once,
       * which auth checks (`serve`) and the caller presents (`present`) (docs/notifications.md).
       */
      contactLookup: z.enum(['serve', 'present']).optional(),
      /**
       * The public edge (the gateway): a local GeoIP database that places loopback in NZ, and a
       * security.txt expiry half a year ahead (docs/edge.md).
       */
      edge: z.boolean().default(false),
      /**
       * The principal assertion (docs/principal.md): the gateway signs with the local private
       * key, the services behind it verify with its public key.
       */
      principal: z.enum(['sign', 'verify']).optional(),
      /**
       * Billing's Stripe settings: the local stripe-mock (started by scripts/up.sh) as the API, a
       * test-mode key it accepts, and a webhook signing secret made once (docs/billing.md).
       */
      stripe: z.boolean().default(false),
      /** Local settings beside the chart's ports and addresses. */
      env: z.record(z.string(), z.string()).default({}),
    }),
  ),
  /** The edge on this machine (scripts/local-edge.ts): https://localhost:<https>/. */
  edge: z.object({ ports: z.object({ https: port, http: port, health: port }) }),
});

export type StackService = z.infer<typeof localSchema>['services'][number];

export interface Stack {
  /** The services as local processes, in start order; `env` holds their ports and callees' addresses too. */
  services: StackService[];
  /** The local edge's ports, and the web component's (its files, its probes). */
  edge: { https: number; http: number; health: number; web: number; webOps: number };
}

/** The environment variable of each kind of port (templates/_component.tpl). */
const PORT_VARIABLES = {
  grpc: 'GRPC_PORT',
  http: 'HTTP_PORT',
  ops: 'OPS_PORT',
  webhook: 'WEBHOOK_PORT',
} as const;

/** `pkiDir`: the local PKI's files, which the services' GRPC_TLS_* settings name (scripts/pki.sh). */
export function loadStack(
  root = ROOT,
  pkiDir = process.env.GRPC_SECRETS_DIR ?? path.join(root, '.local', 'secrets', 'grpc'),
): Stack {
  const components = chartComponents(root);
  const local = localSchema.parse(JSON.parse(readFileSync(path.join(root, 'scripts', 'stack.json'), 'utf8')));
  const component = (name: string) => {
    const found = components[name];
    if (!found?.enabled) throw new Error(`scripts/stack.json: ${name} is no enabled component of the chart`);
    return found;
  };
  const services = local.services.map((service) => {
    const { ports, calls } = component(service.name);
    const env: Record<string, string> = {};
    for (const [kind, variable] of Object.entries(PORT_VARIABLES)) {
      const value = ports[kind as keyof typeof PORT_VARIABLES];
      if (value !== undefined) env[variable] = String(value);
    }
    // The address a callee serves on: its gRPC port, else its HTTP port (tracking.component.servePort).
    for (const [callee, variable] of Object.entries(calls)) {
      const target = component(callee).ports;
      env[variable] = `127.0.0.1:${String(target.grpc ?? target.http)}`;
    }
    return {
      ...service,
      env: { ...env, ...grpcServiceEnv(service.name, pkiDir, components), ...service.env },
    };
  });
  const localNames = new Set(local.services.map((service) => service.name));
  const web = Object.entries(components).find(([, values]) => values.enabled && values.staticSite);
  for (const [name, values] of Object.entries(components)) {
    if (values.enabled && !values.staticSite && !localNames.has(name)) {
      throw new Error(`the chart's component ${name} does not run locally: add it to scripts/stack.json`);
    }
  }
  if (!web?.[1].ports.http) throw new Error('the chart has no enabled static-site (web) component');
  return { services, edge: { ...local.edge.ports, web: web[1].ports.http, webOps: web[1].ports.ops } };
}

/** Every fixed port of the local stack's own processes and the edge, by what listens there. */
export function stackPorts(stack: Stack): Record<string, number> {
  const ports: Record<string, number> = {};
  for (const service of stack.services) {
    for (const [variable, value] of Object.entries(service.env)) {
      if (/_PORT$/.test(variable) && /^\d+$/.test(value)) {
        ports[`${service.name} ${variable.replace(/_PORT$/, '').toLowerCase()}`] = Number(value);
      }
    }
  }
  for (const [name, value] of Object.entries(stack.edge)) ports[`edge ${name}`] = value;
  return ports;
}

if (require.main === module) {
  const stack = loadStack();
  const [command] = process.argv.slice(2);
  if (command === 'names') {
    process.stdout.write(stack.services.map((service) => `${service.name}\n`).join(''));
  } else if (command === 'ports') {
    for (const [name, value] of Object.entries(stackPorts(stack))) {
      process.stdout.write(`${name.replace(/ /g, '-')} ${String(value)}\n`);
    }
  } else if (command === 'components') {
    process.stdout.write(
      componentIdentities()
        .map((name) => `${name}\n`)
        .join(''),
    );
  } else {
    process.stderr.write('usage: stack.ts names|ports|components\n');
    process.exit(2);
  }
}
