import { readFileSync } from 'node:fs';

import { Metadata } from '@grpc/grpc-js';
import { PLAN_NAMES, ROLES, type Plan, type RoleName } from '@tracking/contracts';
import { importPKCS8, importSPKI, jwtVerify, SignJWT, errors as joseErrors, type CryptoKey } from 'jose';
import { z } from 'zod';

import { CORRELATION_HEADER, currentCorrelationId } from './context';
import { UnauthenticatedError } from './errors';

/**
 * The authenticated caller, as the gateway forwards it to the services behind it.
 *
 * The gateway asks auth about the session on every request, then signs what auth said into a
 * short-lived JWT (EdDSA, Ed25519) that travels in the `x-principal` gRPC metadata. Only the
 * gateway holds the private key; a service holds only public keys, so it can check an
 * assertion but never mint one. Transport mTLS says "this peer is one of ours"; the signature
 * says "the gateway vouched for this user on this request", which a compromised sibling
 * service (which also has a client certificate) cannot fake. docs/principal.md has the rest.
 */
export const PRINCIPAL_HEADER = 'x-principal';

const ISSUER = 'tracking-gateway';
const ALGORITHM = 'EdDSA';
/** Long enough for one request's fan-out, short enough that a leaked assertion is soon useless. */
export const PRINCIPAL_TTL_SECONDS = 30;

export type PrincipalRole = RoleName;

export interface Principal {
  userId: string;
  role: PrincipalRole;
  sessionId: string;
  /** Set only once the account has verified it. */
  verifiedEmail: string | null;
  /** The account's plan as auth knew it on this request; tracking enforces its limits. */
  plan: Plan;
}

const claimsSchema = z.object({
  sub: z.uuid(),
  role: z.enum(ROLES.names),
  sid: z.uuid(),
  email: z.email().nullable(),
  cid: z.string().optional(),
  // Optional while a gateway from before the claim may still be signing (a rolling upgrade):
  // without it the principal gets the free plan's limits, never more.
  plan: z.enum(PLAN_NAMES).optional(),
});

export interface PrincipalSigner {
  /** An assertion for one service (its audience), bound to the current correlation id. */
  sign(principal: Principal, audience: string): Promise<string>;
  /** The client's address and user agent for one service, bound to the current correlation id. */
  signClientContext(client: ClientFacts, audience: string): Promise<string>;
}

/**
 * The end user's address and user agent as the gateway saw them, signed with the principal key
 * (typ `tracking-client-context+jwt`) so a service that verifies it believes them only from the
 * gateway; a bare `x-client-ip` header can come from any peer (docs/principal.md).
 */
export const CLIENT_CONTEXT_HEADER = 'x-client-context';
const CLIENT_CONTEXT_TYPE = 'tracking-client-context+jwt';

export interface ClientFacts {
  clientIp?: string | undefined;
  userAgent?: string | undefined;
}

const clientContextSchema = z.object({
  cid: z.string().min(1),
  ip: z.string().max(64).optional(),
  ua: z.string().max(512).optional(),
});

export async function createPrincipalSigner(privateKeyPem: string): Promise<PrincipalSigner> {
  const key = await importPKCS8(privateKeyPem, ALGORITHM);
  return {
    sign: (principal, audience) =>
      new SignJWT({
        role: principal.role,
        sid: principal.sessionId,
        email: principal.verifiedEmail,
        plan: principal.plan,
        cid: currentCorrelationId(),
      })
        .setProtectedHeader({ alg: ALGORITHM, typ: 'tracking-principal+jwt' })
        .setIssuer(ISSUER)
        .setAudience(audience)
        .setSubject(principal.userId)
        .setIssuedAt()
        .setExpirationTime(`${String(PRINCIPAL_TTL_SECONDS)}s`)
        .sign(key),
    signClientContext: (client, audience) =>
      new SignJWT({ cid: currentCorrelationId(), ip: client.clientIp, ua: client.userAgent })
        .setProtectedHeader({ alg: ALGORITHM, typ: CLIENT_CONTEXT_TYPE })
        .setIssuer(ISSUER)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(`${String(PRINCIPAL_TTL_SECONDS)}s`)
        .sign(key),
  };
}

export interface PrincipalVerifier {
  /** The principal in the call's metadata; UNAUTHENTICATED if it is missing, forged, expired or for another service. */
  verify(metadata: Metadata): Promise<Principal>;
}

/**
 * Checks assertions against any of the given public keys, so the gateway's key can be rotated:
 * deploy the new public key to the services first, then the new private key to the gateway.
 */
export async function createPrincipalVerifier(
  publicKeyPems: string[],
  audience: string,
): Promise<PrincipalVerifier> {
  if (publicKeyPems.length === 0) throw new Error('at least one principal public key is required');
  const keys: CryptoKey[] = await Promise.all(publicKeyPems.map((pem) => importSPKI(pem, ALGORITHM)));
  return {
    async verify(metadata) {
      const token = metadata.get(PRINCIPAL_HEADER)[0];
      if (typeof token !== 'string' || token === '') throw new UnauthenticatedError('sign in first');
      for (const key of keys) {
        try {
          const { payload } = await jwtVerify(token, key, {
            algorithms: [ALGORITHM],
            issuer: ISSUER,
            audience,
            requiredClaims: ['exp', 'iat', 'sub'],
            maxTokenAge: `${String(PRINCIPAL_TTL_SECONDS)}s`,
            clockTolerance: 5,
          });
          const claims = claimsSchema.parse(payload);
          return {
            userId: claims.sub,
            role: claims.role,
            sessionId: claims.sid,
            verifiedEmail: claims.email,
            plan: claims.plan ?? 'free',
          };
        } catch (error) {
          // Another key may have signed it; anything but a bad signature is final.
          if (error instanceof joseErrors.JWSSignatureVerificationFailed) continue;
          throw new UnauthenticatedError('the principal assertion is not valid');
        }
      }
      throw new UnauthenticatedError('the principal assertion is not valid');
    },
  };
}

/** What a call's client-context assertion said: the facts, or why there are none. */
export type ClientContextCheck =
  { outcome: 'vouched'; client: ClientFacts } | { outcome: 'missing' } | { outcome: 'invalid' };

export interface ClientContextVerifier {
  verify(metadata: Metadata): Promise<ClientContextCheck>;
}

/**
 * Checks the gateway's client-context assertion: signed by one of the keys, for this service,
 * fresh, and bound to the call's correlation id, so it cannot be lifted onto another request.
 */
export async function createClientContextVerifier(
  publicKeyPems: string[],
  audience: string,
): Promise<ClientContextVerifier> {
  if (publicKeyPems.length === 0) throw new Error('at least one principal public key is required');
  const keys: CryptoKey[] = await Promise.all(publicKeyPems.map((pem) => importSPKI(pem, ALGORITHM)));
  return {
    async verify(metadata) {
      const token = metadata.get(CLIENT_CONTEXT_HEADER)[0];
      if (typeof token !== 'string' || token === '') return { outcome: 'missing' };
      for (const key of keys) {
        try {
          const { payload } = await jwtVerify(token, key, {
            algorithms: [ALGORITHM],
            typ: CLIENT_CONTEXT_TYPE,
            issuer: ISSUER,
            audience,
            requiredClaims: ['exp', 'iat', 'cid'],
            maxTokenAge: `${String(PRINCIPAL_TTL_SECONDS)}s`,
            clockTolerance: 5,
          });
          const claims = clientContextSchema.parse(payload);
          if (claims.cid !== metadata.get(CORRELATION_HEADER)[0]) return { outcome: 'invalid' };
          return { outcome: 'vouched', client: { clientIp: claims.ip, userAgent: claims.ua } };
        } catch (error) {
          if (error instanceof joseErrors.JWSSignatureVerificationFailed) continue;
          return { outcome: 'invalid' };
        }
      }
      return { outcome: 'invalid' };
    },
  };
}

export function principalMetadata(assertion: string): Metadata {
  const metadata = new Metadata();
  metadata.set(PRINCIPAL_HEADER, assertion);
  return metadata;
}

/** PEM files named in a comma-separated setting, read once at start-up. */
export function readPemFiles(files: string[]): string[] {
  return files.map((file) => readFileSync(file, 'utf8'));
}
