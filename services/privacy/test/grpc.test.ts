import { generateKeyPairSync, randomUUID } from 'node:crypto';

import { PRIVACY_PARTICIPANTS, PRIVACY_EVENT_TYPES } from '@tracking/contracts';
import {
  callUnary,
  createClient,
  createPrincipalSigner,
  createPrincipalVerifier,
  newEvent,
  principalMetadata,
  startGrpcServer,
  stopGrpcServer,
  streamMessages,
  type PrincipalSigner,
} from '@tracking/kit';
import { PrivacyServiceClient, PrivacyServiceService } from '@tracking/proto/tracking/privacy/v1/privacy';

import { privacyService } from '../src/grpc';
import { transaction } from '../src/requests';
import { applyStepAnswer, runSagaTimer } from '../src/saga';
import { sagaFixture, type SagaFixture } from './support';

/**
 * The gRPC API as the gateway calls it: every call must carry the gateway's signed principal for
 * audience `privacy`; the download streams the ZIP's bytes in chunks, to its subject alone.
 */
let fixture: SagaFixture;
let server: Awaited<ReturnType<typeof startGrpcServer>>['server'];
let client: PrivacyServiceClient;
let signer: PrincipalSigner;
let otherSigner: PrincipalSigner;

function keyPem() {
  return generateKeyPairSync('ed25519');
}

beforeAll(async () => {
  fixture = await sagaFixture();
  const gateway = keyPem();
  const stranger = keyPem();
  signer = await createPrincipalSigner(
    gateway.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  );
  otherSigner = await createPrincipalSigner(
    stranger.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  );
  const principals = await createPrincipalVerifier(
    [gateway.publicKey.export({ type: 'spki', format: 'pem' }).toString()],
    'privacy',
  );
  const started = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    tls: {},
    services: [
      [PrivacyServiceService, privacyService({ ...fixture.deps, grpcMetrics: fixture.registry, principals })],
    ],
  });
  server = started.server;
  client = createClient(PrivacyServiceClient, `127.0.0.1:${String(started.port)}`, { tls: {} });
});

afterAll(async () => {
  client.close();
  await stopGrpcServer(server, 1_000);
  await fixture.close();
});

async function as(userId: string, role: 'client' | 'admin' = 'client', by: PrincipalSigner = signer) {
  return principalMetadata(
    await by.sign({ userId, role, sessionId: randomUUID(), verifiedEmail: null, plan: 'free' }, 'privacy'),
  );
}

test('a call without the gateway’s principal, or signed by another key, is refused before anything happens', async () => {
  const me = randomUUID();
  await expect(callUnary(client.requestExport.bind(client), { subjectId: '' })).rejects.toMatchObject({
    code: 'unauthenticated',
  });
  await expect(
    callUnary(client.requestExport.bind(client), { subjectId: '' }, await as(me, 'client', otherSigner)),
  ).rejects.toMatchObject({ code: 'unauthenticated' });
  expect(await fixture.outbox()).toEqual([]);
});

test('the subject downloads the ready export in chunks; another person gets NOT_FOUND', async () => {
  const me = randomUUID();
  const asked = await callUnary(client.requestExport.bind(client), { subjectId: '' }, await as(me));
  const id = asked.request?.requestId ?? '';
  expect(asked).toMatchObject({
    existing: false,
    request: { kind: 'export', subjectId: me, state: 'collecting' },
  });
  for (const service of PRIVACY_PARTICIPANTS) {
    const event = newEvent({
      type: PRIVACY_EVENT_TYPES.stepCompleted,
      actor: { service, userId: null, role: null },
      data: { requestId: id, kind: 'export', service, counts: { rows: 3 } },
    });
    await transaction(fixture.pool, (sql) => applyStepAnswer(fixture.deps, sql, event));
  }
  // A ZIP bigger than one chunk.
  fixture.exports.assemble = (input) => {
    const key = `exports/${input.requestId}/export.zip.age`;
    fixture.exports.objects.set(key, Buffer.alloc(150_000, 7));
    return Promise.resolve({ objectKey: key, sizeBytes: 150_000 });
  };
  await runSagaTimer(fixture.deps);
  const state = await callUnary(client.getExport.bind(client), { requestId: id }, await as(me));
  expect(state.request).toMatchObject({ state: 'ready', sizeBytes: '150000' });
  expect(state.request?.steps.map((step) => step.counts)).toEqual(
    PRIVACY_PARTICIPANTS.map(() => ({ rows: '3' })),
  );

  const chunks = [];
  for await (const chunk of streamMessages(client.downloadExport({ requestId: id }, await as(me))))
    chunks.push(chunk);
  expect(chunks.length).toBe(3);
  expect(chunks[0]).toMatchObject({ sizeBytes: '150000' });
  expect(chunks[0]?.fileName).toMatch(/^tracking-export-.*\.zip$/);
  expect(Buffer.concat(chunks.map((chunk) => chunk.data))).toEqual(Buffer.alloc(150_000, 7));

  const stranger = streamMessages(client.downloadExport({ requestId: id }, await as(randomUUID())));
  await expect(stranger.next()).rejects.toMatchObject({ code: 'not_found' });
  await expect(
    callUnary(client.getExport.bind(client), { requestId: id }, await as(randomUUID())),
  ).rejects.toMatchObject({ code: 'not_found' });
});
