import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';

import { OutboxRelay, type RelayOptions } from '@tracking/kit';

import { beginTotpEnrolment, confirmTotpEnrolment, verifySecondFactor } from '../src/mfa';
import { OUTBOX_RETAIN_SENT_MS } from '../src/notify';
import { processRecoveryRequests, requestPasswordReset } from '../src/recovery';
import { codeAt, newUser, notifications, secretOf, signIn, useAuthFixture } from './support';

/** pg_dump of the newest PostgreSQL the infra script can run (>= 15), as Debian installs it. */
function pgDump(): string {
  const versions = readdirSync('/usr/lib/postgresql')
    .map(Number)
    .filter((version) => version >= 15)
    .sort((a, b) => b - a);
  if (versions.length === 0) throw new Error('no PostgreSQL >= 15 under /usr/lib/postgresql');
  return `/usr/lib/postgresql/${versions[0]}/bin/pg_dump`;
}

describe('credentials at rest', () => {
  const setup = useAuthFixture();

  test('a database dump holds no plaintext TOTP secret, recovery code, session token, email link or password', async () => {
    const f = setup();
    const user = await newUser(f, 'trainer', 'canary passphrase 7f3a9c');
    const first = await signIn(f, user);
    const { otpauthUri } = await beginTotpEnrolment(f.deps, first.session, user.password);
    const secret = secretOf(otpauthUri);
    const { recoveryCodes } = await confirmTotpEnrolment(f.deps, first.session, await codeAt(f, secret));
    f.clock.advance(30_000);
    const second = await signIn(f, user);
    const upgraded = await verifySecondFactor(f.deps, second.session, {
      code: await codeAt(f, secret),
      recoveryCode: '',
    });
    await requestPasswordReset(f.deps, user.email);
    const stranger = 'nobody-at-rest@example.test';
    await requestPasswordReset(f.deps, stranger);
    await processRecoveryRequests(f.deps);
    const links = (await notifications(f))
      .flatMap((mail) => Object.values(mail.params))
      .map((value) => /#token=([A-Za-z0-9_-]{43})/.exec(String(value))?.[1])
      .filter(Boolean);
    expect(links.length).toBeGreaterThanOrEqual(2); // verification and reset
    // The links live in the outbox only until the relay has handed them to Kafka, as auth's
    // relay is configured (a producer that accepts everything stands in for Kafka).
    const kafka = { sendBatch: () => Promise.resolve([]) } as unknown as RelayOptions['producer'];
    const relay = new OutboxRelay({
      pool: f.owner,
      producer: kafka,
      log: f.deps.log,
      metrics: f.deps.metrics,
      retainSentMs: OUTBOX_RETAIN_SENT_MS,
    });
    while ((await relay.publishBatch()) > 0);

    const { stdout: dump } = await promisify(execFile)(
      pgDump(),
      ['--data-only', '--dbname', f.db.migratorUrl],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    // The dump is real: it holds the account, and the TOTP secret as envelope ciphertext.
    expect(dump).toContain(user.email);
    expect(dump).toMatch(/COPY public\.totp_credentials/);

    const plaintexts = {
      password: user.password,
      totpSecret: secret,
      totpSecretLowerCase: secret.toLowerCase(),
      ...Object.fromEntries(
        recoveryCodes.flatMap((code, i) => [
          [`recovery${i}`, code],
          [`recovery${i}Bare`, code.replace(/-/g, '')],
        ]),
      ),
      sessionToken: first.token,
      upgradedSessionToken: upgraded.session.token,
      ...Object.fromEntries(links.map((token, i) => [`emailLink${i}`, token ?? ''])),
      // A reset asked for an address without an account leaves no trace of the address.
      unknownAddress: stranger,
    };
    const found = Object.entries(plaintexts).filter(([, value]) => dump.includes(value));
    expect(found.map(([name]) => name)).toEqual([]);
  });
});
