import { generateKeyPairSync, randomUUID } from 'node:crypto';

import { Metadata } from '@grpc/grpc-js';
import { SignJWT, importPKCS8 } from 'jose';

import {
  createPrincipalSigner,
  createPrincipalVerifier,
  PRINCIPAL_HEADER,
  principalMetadata,
  type Principal,
} from '../src/principal';

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

const gateway = keyPair();
const intruder = keyPair();
const principal: Principal = {
  userId: randomUUID(),
  role: 'trainer',
  sessionId: randomUUID(),
  verifiedEmail: 'coach@example.test',
  plan: 'pro',
};

describe('the principal assertion between the gateway and a service', () => {
  test('an assertion the gateway signed for this service gives back the same principal', async () => {
    const signer = await createPrincipalSigner(gateway.privatePem);
    const verifier = await createPrincipalVerifier([gateway.publicPem], 'tracking');
    const metadata = principalMetadata(await signer.sign(principal, 'tracking'));
    await expect(verifier.verify(metadata)).resolves.toEqual(principal);
  });

  test('the plan travels with the principal; an assertion without one gets the free plan, an unknown one is refused', async () => {
    const verifier = await createPrincipalVerifier([gateway.publicPem], 'tracking');
    const key = await importPKCS8(gateway.privatePem, 'EdDSA');
    const assertion = (plan?: string) =>
      new SignJWT({ role: 'trainer', sid: principal.sessionId, email: null, ...(plan ? { plan } : {}) })
        .setProtectedHeader({ alg: 'EdDSA' })
        .setIssuer('tracking-gateway')
        .setAudience('tracking')
        .setSubject(principal.userId)
        .setIssuedAt()
        .setExpirationTime('30s')
        .sign(key);
    await expect(verifier.verify(principalMetadata(await assertion('team')))).resolves.toMatchObject({
      plan: 'team',
    });
    await expect(verifier.verify(principalMetadata(await assertion()))).resolves.toMatchObject({
      plan: 'free',
    });
    await expect(verifier.verify(principalMetadata(await assertion('platinum')))).rejects.toMatchObject({
      code: 'unauthenticated',
    });
  });

  test('one signed with any other key is refused, however well-formed', async () => {
    const forger = await createPrincipalSigner(intruder.privatePem);
    const verifier = await createPrincipalVerifier([gateway.publicPem], 'tracking');
    const forged = principalMetadata(await forger.sign({ ...principal, role: 'admin' }, 'tracking'));
    await expect(verifier.verify(forged)).rejects.toMatchObject({ code: 'unauthenticated' });
  });

  test('during a key rotation, either of the two keys is accepted', async () => {
    const next = keyPair();
    const verifier = await createPrincipalVerifier([gateway.publicPem, next.publicPem], 'tracking');
    const signer = await createPrincipalSigner(next.privatePem);
    await expect(
      verifier.verify(principalMetadata(await signer.sign(principal, 'tracking'))),
    ).resolves.toEqual(principal);
  });

  test('one meant for another service is refused', async () => {
    const signer = await createPrincipalSigner(gateway.privatePem);
    const verifier = await createPrincipalVerifier([gateway.publicPem], 'tracking');
    const elsewhere = principalMetadata(await signer.sign(principal, 'billing'));
    await expect(verifier.verify(elsewhere)).rejects.toMatchObject({ code: 'unauthenticated' });
  });

  test('an expired one, a missing one, an unsigned one and a tampered one are refused', async () => {
    const verifier = await createPrincipalVerifier([gateway.publicPem], 'tracking');
    const key = await importPKCS8(gateway.privatePem, 'EdDSA');
    const expired = await new SignJWT({ role: 'client', sid: principal.sessionId, email: null })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer('tracking-gateway')
      .setAudience('tracking')
      .setSubject(principal.userId)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 120)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(key);
    const [header, body] = expired.split('.');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${body ?? ''}.`;
    const signer = await createPrincipalSigner(gateway.privatePem);
    const genuine = await signer.sign(principal, 'tracking');
    const [h, , s] = genuine.split('.');
    const claims = {
      ...(JSON.parse(Buffer.from(genuine.split('.')[1] ?? '', 'base64url').toString()) as object),
      role: 'admin',
    };
    const tampered = `${h ?? ''}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s ?? ''}`;
    for (const token of [expired, unsigned, tampered, `${header ?? ''}.x.y`]) {
      await expect(verifier.verify(principalMetadata(token))).rejects.toMatchObject({
        code: 'unauthenticated',
      });
    }
    await expect(verifier.verify(new Metadata())).rejects.toMatchObject({ code: 'unauthenticated' });
    const empty = new Metadata();
    empty.set(PRINCIPAL_HEADER, '');
    await expect(verifier.verify(empty)).rejects.toMatchObject({ code: 'unauthenticated' });
  });
});
