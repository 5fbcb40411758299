import { maskEmail } from '@tracking/contracts';
import { runWithContext } from '@tracking/kit';

import { setNewDeviceAlerts } from '../src/devices';
import { login } from '../src/login';
import {
  processRecoveryRequests,
  RECOVERY_MAILS_PER_ADDRESS_PER_HOUR,
  reportEmailChange,
  requestEmailChange,
  requestPasswordReset,
} from '../src/recovery';
import { validateSession } from '../src/sessions';
import { changePassword, resetPassword, verifyEmail } from '../src/users';
import {
  eventsOf,
  newUser,
  notifications,
  signIn,
  tokenMailed,
  useAuthFixture,
  type AuthFixture,
} from './support';

const NEW_PASSWORD = 'a completely different passphrase';
const invalidLink = { code: 'invalid_argument', details: { token: 'invalid or expired' } };

/** Asks for an email change as the signed-in user and lets the background worker carry it out. */
async function askForEmailChange(
  f: AuthFixture,
  user: { email: string; password: string },
  newEmail: string,
) {
  const { session, token } = await signIn(f, user);
  await requestEmailChange(f.deps, session, user.password, newEmail);
  await processRecoveryRequests(f.deps);
  return token;
}

async function askForReset(f: AuthFixture, email: string): Promise<string> {
  await requestPasswordReset(f.deps, email);
  await processRecoveryRequests(f.deps);
  return tokenMailed(f, 'password_reset', email);
}

describe('account recovery that an attacker cannot survive', () => {
  const setup = useAuthFixture();

  test('after a password change every pending email-change and reset link is dead', async () => {
    const f = setup();
    const victim = await newUser(f);
    // Someone who knows the password asks to move the account to their own address ...
    const attackerEmail = `attacker-${victim.id}@example.test`;
    await askForEmailChange(f, victim, attackerEmail);
    const changeLink = await tokenMailed(f, 'email_change_confirm', attackerEmail);
    const resetLink = await askForReset(f, victim.email);
    expect(changeLink).not.toBe('');
    expect(resetLink).not.toBe('');
    // ... and the owner changes the password.
    const { session } = await signIn(f, victim);
    await changePassword(f.deps, session, victim.password, NEW_PASSWORD);

    await expect(verifyEmail(f.deps, changeLink)).rejects.toMatchObject(invalidLink);
    await expect(resetPassword(f.deps, resetLink, 'yet another long passphrase')).rejects.toMatchObject(
      invalidLink,
    );
    const account = await f.deps.prisma.user.findUniqueOrThrow({ where: { id: victim.id } });
    expect(account.email).toBe(victim.email);
    expect(await notifications(f, { template: 'password_changed', to: victim.id })).toHaveLength(1);
  });

  test('after a reset every other pending email-change link is dead', async () => {
    const f = setup();
    const victim = await newUser(f);
    const attackerEmail = `attacker-${victim.id}@example.test`;
    await askForEmailChange(f, victim, attackerEmail);
    const changeLink = await tokenMailed(f, 'email_change_confirm', attackerEmail);
    const resetLink = await askForReset(f, victim.email);

    await resetPassword(f.deps, resetLink, NEW_PASSWORD);

    await expect(verifyEmail(f.deps, changeLink)).rejects.toMatchObject(invalidLink);
    expect(await notifications(f, { template: 'password_changed', to: victim.id })).toHaveLength(1);
  });

  test('a new reset request replaces the previous link: one live reset link per account', async () => {
    const f = setup();
    const user = await newUser(f);
    const first = await askForReset(f, user.email);
    const second = await askForReset(f, user.email);
    expect(second).not.toBe(first);

    await expect(resetPassword(f.deps, first, NEW_PASSWORD)).rejects.toMatchObject(invalidLink);
    await expect(resetPassword(f.deps, second, NEW_PASSWORD)).resolves.toBeUndefined();
  });

  test('the old address is told when a change is requested and when it completes, with a "this wasn\'t me" link', async () => {
    const f = setup();
    const user = await newUser(f);
    const newEmail = `moved-${user.id}@example.test`;
    await askForEmailChange(f, user, newEmail);

    const requested = await notifications(f, { template: 'email_change_requested', to: user.email });
    expect(requested).toHaveLength(1);
    expect(requested[0]?.params).toMatchObject({ newEmail: maskEmail(newEmail) });
    expect(requested[0]?.params.reportUrl).toMatch(/^http:\/\/localhost:8080\/report-email-change#token=/);
    // The new address gets the confirmation link, and only the masked form reaches the old one.
    expect(JSON.stringify(requested)).not.toContain(newEmail);

    await verifyEmail(f.deps, await tokenMailed(f, 'email_change_confirm', newEmail));
    const completed = await notifications(f, { template: 'email_change_completed', to: user.email });
    expect(completed).toHaveLength(1);
    expect(completed[0]?.params).toMatchObject({ newEmail: maskEmail(newEmail) });
  });

  test('"this wasn\'t me" on a pending change kills the link, ends every session and freezes the account until a reset', async () => {
    const f = setup();
    const victim = await newUser(f);
    const attackerEmail = `attacker-${victim.id}@example.test`;
    const attackerSession = await askForEmailChange(f, victim, attackerEmail);
    await expect(validateSession(f.deps, attackerSession)).resolves.toMatchObject({ userId: victim.id });
    const changeLink = await tokenMailed(f, 'email_change_confirm', attackerEmail);

    const report = await tokenMailed(f, 'email_change_requested', victim.email);
    await expect(reportEmailChange(f.deps, report)).resolves.toEqual({ emailRestored: false });

    await expect(verifyEmail(f.deps, changeLink)).rejects.toMatchObject(invalidLink);
    await expect(validateSession(f.deps, attackerSession)).rejects.toMatchObject({
      code: 'unauthenticated',
    });
    // The password the attacker knows signs in no more.
    await expect(login(f.deps, victim)).rejects.toMatchObject({ code: 'unauthenticated' });
    // A second report link is single-use like every other.
    await expect(reportEmailChange(f.deps, report)).rejects.toMatchObject(invalidLink);
    expect(await eventsOf(f, 'auth.user.email_change_reported', victim.id)).toHaveLength(1);

    // The owner resets through their own address and has the account back.
    await resetPassword(f.deps, await askForReset(f, victim.email), NEW_PASSWORD);
    await expect(login(f.deps, { email: victim.email, password: NEW_PASSWORD })).resolves.toMatchObject({
      userId: victim.id,
    });
  });

  test('"this wasn\'t me" after a completed change gives the account its old address back', async () => {
    const f = setup();
    const victim = await newUser(f);
    const attackerEmail = `attacker-${victim.id}@example.test`;
    await askForEmailChange(f, victim, attackerEmail);
    await verifyEmail(f.deps, await tokenMailed(f, 'email_change_confirm', attackerEmail));
    // The attacker now "owns" the address, and asks for a reset to it.
    const attackerReset = await askForReset(f, attackerEmail);
    expect(attackerReset).not.toBe('');

    const report = await tokenMailed(f, 'email_change_completed', victim.email);
    await expect(reportEmailChange(f.deps, report)).resolves.toEqual({ emailRestored: true });

    const account = await f.deps.prisma.user.findUniqueOrThrow({ where: { id: victim.id } });
    expect(account.email).toBe(victim.email);
    expect(account.recoveryRequiredAt).not.toBeNull();
    await expect(resetPassword(f.deps, attackerReset, NEW_PASSWORD)).rejects.toMatchObject(invalidLink);
    await expect(login(f.deps, { email: attackerEmail, password: victim.password })).rejects.toMatchObject({
      code: 'unauthenticated',
    });
    // The reset now reaches the owner's own mailbox, and clears the freeze.
    await resetPassword(f.deps, await askForReset(f, victim.email), NEW_PASSWORD);
    const recovered = await f.deps.prisma.user.findUniqueOrThrow({ where: { id: victim.id } });
    expect(recovered.recoveryRequiredAt).toBeNull();
  });

  test('an email change to a taken address sends no link, yet the owner is told; the caller sees the same answer', async () => {
    const f = setup();
    const user = await newUser(f);
    const other = await newUser(f);
    const { session } = await signIn(f, user);
    await expect(requestEmailChange(f.deps, session, user.password, other.email)).resolves.toBeUndefined();
    await processRecoveryRequests(f.deps);

    expect(await notifications(f, { template: 'email_change_confirm', to: other.email })).toEqual([]);
    expect(await notifications(f, { template: 'email_change_requested', to: user.email })).toHaveLength(1);
  });

  test(`at most ${RECOVERY_MAILS_PER_ADDRESS_PER_HOUR} reset links per address an hour; the caller cannot tell`, async () => {
    const f = setup();
    const user = await newUser(f);
    for (let i = 0; i < RECOVERY_MAILS_PER_ADDRESS_PER_HOUR + 3; i += 1) {
      await expect(requestPasswordReset(f.deps, user.email)).resolves.toBeUndefined();
    }
    await processRecoveryRequests(f.deps);
    expect(await notifications(f, { template: 'password_reset', to: user.email })).toHaveLength(
      RECOVERY_MAILS_PER_ADDRESS_PER_HOUR,
    );
    f.clock.advance(3600_000 + 1);
    await askForReset(f, user.email);
    expect(await notifications(f, { template: 'password_reset', to: user.email })).toHaveLength(
      RECOVERY_MAILS_PER_ADDRESS_PER_HOUR + 1,
    );
  });

  test('a reset request keeps no readable address once processed', async () => {
    const f = setup();
    await requestPasswordReset(f.deps, 'no-such-person@example.test');
    const { rows: pending } = await f.owner.query<{ email_sealed: string | null }>(
      'SELECT email_sealed FROM recovery_requests WHERE processed_at IS NULL',
    );
    expect(pending.every((row) => row.email_sealed && !row.email_sealed.includes('no-such-person'))).toBe(
      true,
    );
    await processRecoveryRequests(f.deps);
    const { rows } = await f.owner.query(
      'SELECT 1 FROM recovery_requests WHERE email_sealed IS NOT NULL OR processed_at IS NULL',
    );
    expect(rows).toEqual([]);
  });
});

describe('new-device sign-in notices', () => {
  const setup = useAuthFixture();
  const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
  const SAFARI_IPHONE =
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

  const signInFrom = (
    f: AuthFixture,
    user: { email: string; password: string },
    clientIp: string,
    userAgent: string,
  ) => runWithContext({ correlationId: 'device-test', clientIp, userAgent }, () => login(f.deps, user));
  const notices = async (f: AuthFixture, userId: string) =>
    (await notifications(f, { template: 'new_device_sign_in', to: userId })).map(
      (mail) => mail.params.device,
    );

  test('the first sign-in and the same browser on the same network are quiet; a new network or browser family is mailed', async () => {
    const f = setup();
    const user = await newUser(f);
    await signInFrom(f, user, '203.0.113.10', FIREFOX);
    await signInFrom(f, user, '203.0.113.99', FIREFOX); // same /24, same family
    expect(await notices(f, user.id)).toEqual([]);

    await signInFrom(f, user, '198.51.100.20', FIREFOX); // a new network
    await signInFrom(f, user, '203.0.113.10', SAFARI_IPHONE); // a new browser family
    expect(await notices(f, user.id)).toEqual(['Firefox on Linux', 'Safari on iOS']);
  });

  test('IPv6 addresses in one /64 are one network; another /64 is new', async () => {
    const f = setup();
    const user = await newUser(f);
    await signInFrom(f, user, '2001:db8:1:2::10', FIREFOX);
    await signInFrom(f, user, '2001:db8:1:2:ffff::1', FIREFOX);
    expect(await notices(f, user.id)).toEqual([]);
    await signInFrom(f, user, '2001:db8:1:3::10', FIREFOX);
    expect(await notices(f, user.id)).toEqual(['Firefox on Linux']);
  });

  test('an owner who turned the notices off gets none', async () => {
    const f = setup();
    const user = await newUser(f);
    await expect(setNewDeviceAlerts(f.deps, user.id, undefined)).resolves.toBe(true);
    await expect(setNewDeviceAlerts(f.deps, user.id, false)).resolves.toBe(false);
    await signInFrom(f, user, '203.0.113.10', FIREFOX);
    await signInFrom(f, user, '198.51.100.20', SAFARI_IPHONE);
    expect(await notices(f, user.id)).toEqual([]);
  });
});
