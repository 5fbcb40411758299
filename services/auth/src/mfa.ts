import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

import { TOPICS } from '@tracking/contracts';
import {
  decrypt,
  encrypt,
  FailedPreconditionError,
  UnauthenticatedError,
  ValidationError,
} from '@tracking/kit';
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';

import type { Deps, Tx } from './deps';
import { emit } from './changes';
import { notify, securityNotice, securityUrl } from './notify';
import { revokeSessions, upgradeSession, type IssuedSession, type ValidSession } from './sessions';
import {
  attemptFailed,
  attemptSucceeded,
  beginAttempt,
  mfaKey,
  recordLockouts,
  recordLockoutsAlone,
  type Attempt,
} from './throttle';
import { reauthenticate } from './login';

/** RFC 6238 defaults (30 s steps, 6 digits, SHA-1), which every authenticator app supports. */
const STEP_SECONDS = 30;
/** ±1 step of clock drift between the phone and us. */
const TOLERANCE_SECONDS = STEP_SECONDS;
export const RECOVERY_CODE_COUNT = 10;
/** 10 bytes: 80 bits per code, written as 16 base32 characters in four groups. */
const RECOVERY_CODE_BYTES = 10;

const secretAad = (userId: string) => `auth.totp_credentials.secret_ciphertext:${userId}`;
const CODE = /^\d{6}$/;

export type TotpCheck = { ok: true; step: number } | { ok: false; reason: 'invalid' | 'replay' };

/**
 * Checks a code against the secret within ±1 step, and refuses any step at or before the last
 * one accepted: each code works once, and an older code never works after a newer one.
 */
export async function checkTotp(
  secret: string,
  code: string,
  lastUsedStep: bigint,
  now: Date,
): Promise<TotpCheck> {
  if (!CODE.test(code)) return { ok: false, reason: 'invalid' };
  const result = await verify({
    secret,
    token: code,
    epoch: Math.floor(now.getTime() / 1000),
    epochTolerance: TOLERANCE_SECONDS,
  });
  // TOTP results carry the matched time step (HOTP ones, from the same union type, do not).
  if (!result.valid || !('timeStep' in result)) return { ok: false, reason: 'invalid' };
  if (BigInt(result.timeStep) <= lastUsedStep) return { ok: false, reason: 'replay' };
  return { ok: true, step: result.timeStep };
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function newRecoveryCode(): string {
  const bytes = randomBytes(RECOVERY_CODE_BYTES);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32.charAt((value >>> (bits - 5)) & 31);
      bits -= 5;
    }
  }
  return out.match(/.{4}/g)?.join('-') ?? out;
}

const normaliseRecoveryCode = (code: string) => code.toLowerCase().replace(/[\s-]/g, '');

function recoveryDigest(salt: Uint8Array, code: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(
    createHash('sha256').update(salt).update(normaliseRecoveryCode(code), 'utf8').digest(),
  );
}

/** Replaces the user's recovery codes with ten new ones; returns them for showing once. */
async function issueRecoveryCodes(tx: Tx, userId: string): Promise<string[]> {
  await tx.recoveryCode.deleteMany({ where: { userId } });
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await tx.recoveryCode.createMany({
    data: codes.map((code) => {
      const salt = new Uint8Array(randomBytes(16));
      return { id: randomUUID(), userId, salt, codeHash: recoveryDigest(salt, code) };
    }),
  });
  return codes;
}

/** Step one of enrolment: a fresh secret, stored encrypted and inactive until a code confirms it. */
export async function beginTotpEnrolment(
  deps: Deps,
  caller: ValidSession,
  currentPassword: string,
): Promise<{ otpauthUri: string; qrCodeDataUrl: string }> {
  await reauthenticate(deps, caller, currentPassword);
  if (caller.mfaEnabled)
    throw new FailedPreconditionError('MFA is already enabled; disable it first to re-enrol');
  const secret = generateSecret();
  const ciphertext = encrypt(deps.keyring, secret, secretAad(caller.userId));
  await deps.prisma.totpCredential.upsert({
    where: { userId: caller.userId },
    create: { userId: caller.userId, secretCiphertext: ciphertext },
    update: { secretCiphertext: ciphertext, confirmedAt: null, lastUsedStep: 0 },
  });
  const otpauthUri = generateURI({ issuer: deps.policy.totpIssuer, label: caller.email, secret });
  const qrCodeDataUrl = await QRCode.toDataURL(otpauthUri, { errorCorrectionLevel: 'M', margin: 2 });
  return { otpauthUri, qrCodeDataUrl };
}

/**
 * Step two: the first code proves the authenticator. TOTP becomes active, the calling session
 * counts as having passed MFA, every other session is revoked, and ten recovery codes are
 * returned, to be shown once.
 */
export async function confirmTotpEnrolment(
  deps: Deps,
  caller: ValidSession,
  code: string,
): Promise<{ recoveryCodes: string[] }> {
  const credential = await deps.prisma.totpCredential.findUnique({ where: { userId: caller.userId } });
  if (!credential || credential.confirmedAt) {
    throw new FailedPreconditionError('no enrolment in progress: start one first');
  }
  const attempt = await beginAttempt(deps, [mfaKey(caller.userId)]);
  const secret = decrypt(deps.keyring, credential.secretCiphertext, secretAad(caller.userId)).toString(
    'utf8',
  );
  const check = await checkTotp(secret, code, credential.lastUsedStep, deps.clock());
  if (!check.ok) {
    attemptFailed(deps, attempt);
    await recordLockoutsAlone(deps, attempt, { type: 'user', id: caller.userId });
    deps.metrics.mfaFailures.inc({ reason: check.reason });
    deps.security.record(
      'auth.mfa.failed',
      { userId: caller.userId, reason: check.reason, factor: 'totp_enrolment' },
      'enrolment code refused',
    );
    throw new ValidationError('the code is not valid', {
      code: 'is not the current code of your authenticator',
    });
  }
  const now = deps.clock();
  const recoveryCodes = await deps.prisma.$transaction(async (tx) => {
    const { count } = await tx.totpCredential.updateMany({
      where: { userId: caller.userId, confirmedAt: null, lastUsedStep: { lt: check.step } },
      data: { confirmedAt: now, lastUsedStep: check.step },
    });
    if (count !== 1) throw new FailedPreconditionError('no enrolment in progress: start one first');
    await tx.session.update({ where: { id: caller.sessionId }, data: { aal: 2 } });
    const revoked = await revokeSessions(deps, tx, caller.userId, 'mfa_enabled', {
      except: caller.sessionId,
    });
    await emit(tx, {
      topic: TOPICS.authMfa,
      type: 'auth.mfa.enabled',
      actor: caller,
      subject: { type: 'user', id: caller.userId },
      outcome: 'success',
      data: { method: 'totp', sessionsRevoked: revoked },
      occurredAt: now,
    });
    await securityNotice(deps, tx, 'mfa_enabled', caller.userId, now);
    return issueRecoveryCodes(tx, caller.userId);
  });
  await attemptSucceeded(deps, attempt);
  return { recoveryCodes };
}

/**
 * The second step of signing in. A TOTP code is checked against the last step used, so a
 * replayed code fails, is recorded as a security event and is mailed to the account's owner.
 * A recovery code is consumed. Either way success replaces the session's token.
 */
export async function verifySecondFactor(
  deps: Deps,
  caller: ValidSession,
  input: { code: string; recoveryCode: string },
): Promise<{ session: IssuedSession; recoveryCodesLeft: number }> {
  if (caller.mfa !== 'pending') {
    throw new FailedPreconditionError('this session has no second factor to pass');
  }
  if (Boolean(input.code) === Boolean(input.recoveryCode)) {
    throw new ValidationError('give either a code or a recovery code', { code: 'exactly one is required' });
  }
  const now = deps.clock();
  if (input.code) {
    await consumeTotp(deps, caller, input.code);
    const session = await deps.prisma.$transaction((tx) => upgradeSession(deps, tx, caller));
    return { session, recoveryCodesLeft: await recoveryCodesLeft(deps, caller.userId) };
  }

  const attempt = await beginAttempt(deps, [mfaKey(caller.userId)]);
  const used = await useRecoveryCode(deps, caller.userId, input.recoveryCode, now);
  if (!used) {
    attemptFailed(deps, attempt);
    await recordLockoutsAlone(deps, attempt, { type: 'user', id: caller.userId });
    deps.metrics.mfaFailures.inc({ reason: 'invalid' });
    deps.security.record(
      'auth.mfa.failed',
      { userId: caller.userId, reason: 'invalid', factor: 'recovery_code' },
      'recovery code refused',
    );
    throw new UnauthenticatedError('the recovery code is not valid');
  }
  const left = await recoveryCodesLeft(deps, caller.userId);
  const session = await deps.prisma.$transaction(async (tx) => {
    await emit(tx, {
      topic: TOPICS.authMfa,
      type: 'auth.mfa.recovery_code_used',
      actor: caller,
      subject: { type: 'user', id: caller.userId },
      outcome: 'success',
      data: { recoveryCodesLeft: left },
      occurredAt: now,
    });
    await notify(
      tx,
      'recovery_code_used',
      { userId: caller.userId },
      { at: now.toISOString(), remaining: left, securityUrl: securityUrl(deps) },
      now,
    );
    return upgradeSession(deps, tx, caller);
  });
  await attemptSucceeded(deps, attempt);
  return { session, recoveryCodesLeft: left };
}

async function useRecoveryCode(deps: Deps, userId: string, code: string, now: Date): Promise<boolean> {
  if (normaliseRecoveryCode(code).length !== 16) return false;
  const unused = await deps.prisma.recoveryCode.findMany({ where: { userId, usedAt: null } });
  const match = unused.find((row) => timingSafeEqual(row.codeHash, recoveryDigest(row.salt, code)));
  if (!match) return false;
  // Conditional: of two concurrent uses of one code, one wins.
  const { count } = await deps.prisma.recoveryCode.updateMany({
    where: { id: match.id, usedAt: null },
    data: { usedAt: now },
  });
  return count === 1;
}

function recoveryCodesLeft(deps: Deps, userId: string): Promise<number> {
  return deps.prisma.recoveryCode.count({ where: { userId, usedAt: null } });
}

async function replayRejected(deps: Deps, caller: ValidSession, attempt: Attempt, now: Date): Promise<void> {
  deps.security.record(
    'auth.mfa.replay_rejected',
    { userId: caller.userId, sessionId: caller.sessionId },
    'a TOTP code was presented a second time',
  );
  await deps.prisma.$transaction(async (tx) => {
    await emit(tx, {
      topic: TOPICS.authMfa,
      type: 'auth.mfa.replay_rejected',
      actor: caller,
      subject: { type: 'user', id: caller.userId },
      outcome: 'denied',
      data: { sessionId: caller.sessionId },
      occurredAt: now,
    });
    await recordLockouts(tx, attempt, { type: 'user', id: caller.userId }, now);
    await securityNotice(deps, tx, 'totp_code_replayed', caller.userId, now);
  });
}

/** Needs the password and a current code; revokes every other session. */
export async function disableTotp(
  deps: Deps,
  caller: ValidSession,
  password: string,
  code: string,
): Promise<void> {
  await reauthenticate(deps, caller, password);
  await consumeTotp(deps, caller, code);
  const now = deps.clock();
  await deps.prisma.$transaction(async (tx) => {
    await tx.recoveryCode.deleteMany({ where: { userId: caller.userId } });
    await tx.totpCredential.delete({ where: { userId: caller.userId } });
    await tx.session.update({ where: { id: caller.sessionId }, data: { aal: 1 } });
    const revoked = await revokeSessions(deps, tx, caller.userId, 'mfa_disabled', {
      except: caller.sessionId,
    });
    await emit(tx, {
      topic: TOPICS.authMfa,
      type: 'auth.mfa.disabled',
      actor: caller,
      subject: { type: 'user', id: caller.userId },
      outcome: 'success',
      data: { method: 'totp', sessionsRevoked: revoked },
      occurredAt: now,
    });
    await securityNotice(deps, tx, 'mfa_disabled', caller.userId, now);
  });
}

/** Needs the password and a current code; the old recovery codes stop working. */
export async function regenerateRecoveryCodes(
  deps: Deps,
  caller: ValidSession,
  password: string,
  code: string,
): Promise<string[]> {
  await reauthenticate(deps, caller, password);
  await consumeTotp(deps, caller, code);
  const now = deps.clock();
  return deps.prisma.$transaction(async (tx) => {
    await emit(tx, {
      topic: TOPICS.authMfa,
      type: 'auth.mfa.recovery_codes_regenerated',
      actor: caller,
      subject: { type: 'user', id: caller.userId },
      outcome: 'success',
      data: { count: RECOVERY_CODE_COUNT },
      occurredAt: now,
    });
    await securityNotice(deps, tx, 'recovery_codes_regenerated', caller.userId, now);
    return issueRecoveryCodes(tx, caller.userId);
  });
}

/**
 * Checks and consumes a TOTP code, under the MFA throttle. The step is recorded with a
 * conditional update, so of two concurrent uses of one code only one passes. A replay is
 * refused, logged as a security event, recorded in the audit log and mailed to the owner.
 */
export async function consumeTotp(deps: Deps, caller: ValidSession, code: string): Promise<void> {
  const credential = await deps.prisma.totpCredential.findUnique({ where: { userId: caller.userId } });
  if (!credential?.confirmedAt) throw new FailedPreconditionError('MFA is not enabled');
  const attempt = await beginAttempt(deps, [mfaKey(caller.userId)]);
  const secret = decrypt(deps.keyring, credential.secretCiphertext, secretAad(caller.userId)).toString(
    'utf8',
  );
  const check = await checkTotp(secret, code, credential.lastUsedStep, deps.clock());
  const consumed =
    check.ok &&
    (
      await deps.prisma.totpCredential.updateMany({
        where: { userId: caller.userId, lastUsedStep: { lt: check.step } },
        data: { lastUsedStep: check.step },
      })
    ).count === 1;
  if (consumed) {
    await attemptSucceeded(deps, attempt);
    return;
  }
  const reason = check.ok ? 'replay' : check.reason;
  attemptFailed(deps, attempt);
  deps.metrics.mfaFailures.inc({ reason });
  if (reason !== 'replay')
    deps.security.record(
      'auth.mfa.failed',
      { userId: caller.userId, reason, factor: 'totp' },
      'TOTP code refused',
    );
  if (reason === 'replay') {
    await replayRejected(deps, caller, attempt, deps.clock());
    throw new UnauthenticatedError('this code has already been used: wait for the next one');
  }
  await recordLockoutsAlone(deps, attempt, { type: 'user', id: caller.userId });
  throw new UnauthenticatedError('the code is not valid');
}
