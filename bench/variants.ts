/**
 * The two platforms a transport-security comparison (#24) runs the same load on:
 *
 *   baseline  the development flags: gRPC in plaintext (GRPC_ALLOW_PLAINTEXT) and the gateway's
 *             API on plain HTTP (HTTP_ALLOW_PLAINTEXT);
 *   secured   as the chart and `npm run up` run it: gRPC with mutual TLS and the caller check, and
 *             the gateway's API over TLS admitting only the edge's certificate, which the bench
 *             presents (it plays the edge).
 *
 * Both use Kafka with SASL/SCRAM over TLS (the shared broker has no plaintext listener) and
 * PostgreSQL with verify-full TLS (pg_hba refuses plaintext TCP), so neither is in the comparison.
 */
import { grpcClientTls, infraEnv } from '@tracking/testing';
import { startPlatform } from '@tracking/testing/platform';

import { apiClient } from './client';
import { speaksTls, watchConnections } from './connections';
import { BenchError } from './support';

export type VariantName = 'baseline' | 'secured';

/** What each platform runs; with `plainHttp` the edge's hop is plain HTTP in both. */
export function variantLabels(plainHttp: boolean): Record<VariantName, string> {
  return {
    baseline: 'gRPC plaintext (GRPC_ALLOW_PLAINTEXT), gateway API plain HTTP (HTTP_ALLOW_PLAINTEXT)',
    secured: plainHttp
      ? 'gRPC mTLS + caller check, gateway API plain HTTP (--plain-http: the edge hop is not compared)'
      : "gRPC mTLS + caller check, gateway API over TLS with the edge's certificate",
  };
}

export const NOT_COMPARED =
  'Both: Kafka SASL/SCRAM over TLS and PostgreSQL verify-full (not in this comparison); ' +
  'HTTP and gRPC connections kept alive.';

/** Stops a run whose platform does not run the transport its label says. */
async function checkTransport(variant: VariantName, hop: string, address: string, expectTls: boolean) {
  const tls = await speaksTls(address);
  if (tls !== expectTls) {
    throw new BenchError(
      `the ${variant} platform's ${hop} at ${address} ${tls ? 'answers' : 'does not answer'} TLS, ` +
        'so the comparison would be mislabelled',
    );
  }
}

/** A platform of the variant, with the bench's client for its API and its connection counter. */
export async function startVariant(
  name: VariantName,
  plainHttp: boolean,
  cleanup: { add(name: string, fn: () => Promise<unknown>): void },
) {
  const env = { LOG_LEVEL: 'warn' };
  const secured = name === 'secured';
  const httpTls = secured && !plainHttp;
  const platform = await startPlatform(secured ? { env, httpTls } : { env, grpcPlaintext: true });
  cleanup.add(`${name} platform`, () => platform.stop());
  const api = new URL(platform.api);
  await checkTransport(name, 'gRPC (tracking)', platform.trackingGrpc, secured);
  await checkTransport(name, 'gRPC (auth)', platform.authGrpc, secured);
  await checkTransport(name, 'gateway API', `${api.hostname}:${api.port}`, httpTls);
  const client = apiClient(
    platform.api,
    httpTls && platform.pki ? grpcClientTls('edge', platform.pki) : undefined,
  );
  cleanup.add(`${name} client`, () => {
    client.close();
    return Promise.resolve();
  });
  const { adminUrl, brokers } = infraEnv();
  const watch = () =>
    watchConnections({
      grpc: [platform.authGrpc, platform.auditGrpc, platform.trackingGrpc, platform.aiGrpc],
      ops: Object.values(platform.opsUrls),
      databases: Object.fromEntries(
        Object.entries(platform.databases).map(([service, db]) => [service, db.database]),
      ),
      brokers,
      adminUrl,
      client,
    });
  return { name, platform, client, watch };
}
