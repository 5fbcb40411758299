import { generateKeyPairSync, randomUUID } from 'node:crypto';

import { Metadata, type Server } from '@grpc/grpc-js';
import { captureLogger } from '@tracking/testing';

import {
  CLIENT_IP_HEADER,
  CORRELATION_HEADER,
  currentContext,
  runWithContext,
  USER_AGENT_HEADER,
} from '../src/context';
import {
  callUnary,
  createClient,
  peerAddress,
  startGrpcServer,
  stopGrpcServer,
  unary,
  type ClientContextSigning,
} from '../src/grpc';
import { createMetrics } from '../src/metrics';
import { CLIENT_CONTEXT_HEADER, createClientContextVerifier, createPrincipalSigner } from '../src/principal';
import type { SecurityEvents } from '../src/security';

import { whoAmIService } from './fixtures/json-service';

interface Seen {
  clientIp: string | null;
  userAgent: string | null;
}

/** One method that answers with the client address and user agent its call context holds. */
const { definition, WhoAmIClient: Client } = whoAmIService<Seen>('ClientContext');
type TestClient = InstanceType<typeof Client>;

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

const gateway = keyPair();
const intruder = keyPair();
const BROWSER = { correlationId: randomUUID(), clientIp: '203.0.113.5', userAgent: 'Browser/1.0' };

describe("a service believes the client's address only from the gateway", () => {
  const recorded: [string, Record<string, unknown> | undefined][] = [];
  const security: SecurityEvents = { record: (event, fields) => recorded.push([event, fields]) };
  const servers: Server[] = [];
  const clients: TestClient[] = [];

  async function serve(options: { verifying: boolean }): Promise<string> {
    const { log } = captureLogger();
    const deps = { log, metrics: createMetrics() };
    const whoAmI = unary('test.ClientContext/WhoAmI', deps, () => {
      const context = currentContext();
      return Promise.resolve({ clientIp: context?.clientIp ?? null, userAgent: context?.userAgent ?? null });
    });
    const { server, port } = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      tls: {},
      services: [[definition, { whoAmI }]],
      ...(options.verifying
        ? {
            clientContext: {
              verifier: await createClientContextVerifier([gateway.publicPem], 'auth'),
              security,
            },
          }
        : {}),
    });
    servers.push(server);
    return `127.0.0.1:${String(port)}`;
  }

  function client(address: string, clientContext?: ClientContextSigning): TestClient {
    const made = createClient(Client, address, { tls: {}, ...(clientContext ? { clientContext } : {}) });
    clients.push(made);
    return made;
  }

  /** What the service saw, for a call the gateway makes while serving the browser's request. */
  const askInRequest = (target: TestClient) =>
    runWithContext(BROWSER, () => callUnary(target.whoAmI.bind(target), {}));

  /** What the service saw, for a call made with exactly these headers (and the request's id). */
  const askDirectly = (target: TestClient, headers: Record<string, string>) => {
    const metadata = new Metadata();
    metadata.set(CORRELATION_HEADER, BROWSER.correlationId);
    for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
    return callUnary(target.whoAmI.bind(target), {}, metadata);
  };

  afterAll(async () => {
    for (const made of clients) made.close();
    await Promise.all(servers.map((server) => stopGrpcServer(server, 1_000)));
  });

  beforeEach(() => {
    recorded.length = 0;
  });

  test('through the gateway, the address and user agent it saw arrive', async () => {
    const signer = await createPrincipalSigner(gateway.privatePem);
    const fromGateway = client(await serve({ verifying: true }), { signer, audience: 'auth' });

    await expect(askInRequest(fromGateway)).resolves.toEqual({
      clientIp: '203.0.113.5',
      userAgent: 'Browser/1.0',
    });
    expect(recorded).toEqual([]);
  });

  test('a caller that only states x-client-ip is taken to be at its own address', async () => {
    const direct = client(await serve({ verifying: true }));

    await expect(
      askDirectly(direct, { [CLIENT_IP_HEADER]: '198.51.100.7', [USER_AGENT_HEADER]: 'Planted/1.0' }),
    ).resolves.toEqual({ clientIp: '127.0.0.1', userAgent: null });
    expect(recorded).toEqual([]);
  });

  test.each([
    ['signed by another key', intruder.privatePem, 'auth', undefined],
    ['signed for another service', gateway.privatePem, 'tracking', undefined],
    ['lifted onto another request', gateway.privatePem, 'auth', randomUUID()],
  ])('an assertion %s is refused, recorded, and the peer address used', async (_, key, audience, otherId) => {
    const signer = await createPrincipalSigner(key);
    const assertion = await runWithContext(
      { ...BROWSER, correlationId: otherId ?? BROWSER.correlationId },
      () => signer.signClientContext({ clientIp: '198.51.100.8', userAgent: 'Forged/1.0' }, audience),
    );
    const direct = client(await serve({ verifying: true }));

    await expect(askDirectly(direct, { [CLIENT_CONTEXT_HEADER]: assertion })).resolves.toEqual({
      clientIp: '127.0.0.1',
      userAgent: null,
    });
    expect(recorded).toEqual([['authn.rejected', { reason: 'client_context_invalid' }]]);
  });

  test('a service that does not verify keeps taking the headers as sent', async () => {
    const direct = client(await serve({ verifying: false }));

    await expect(askDirectly(direct, { [CLIENT_IP_HEADER]: '198.51.100.9' })).resolves.toMatchObject({
      clientIp: '198.51.100.9',
    });
  });

  test.each([
    ['127.0.0.1:5000', '127.0.0.1'],
    ['::ffff:10.1.2.3:5000', '10.1.2.3'],
    ['::1:5000', '::1'],
    ['2001:db8::7:443', '2001:db8::7'],
    ['unknown', undefined],
  ])('the peer %s is at %s', (peer, address) => {
    expect(peerAddress(peer)).toBe(address);
  });
});
