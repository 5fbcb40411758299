import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';

import { beginTotpEnrolment, confirmTotpEnrolment, verifySecondFactor } from '../src/mfa';
import { requestPasswordReset } from '../src/users';
import { codeAt, newUser, secretOf, signIn, useAuthFixture } from './support';

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
    const links = (await f.mails())
      .map((mail) => /#token=([A-Za-z0-9_-]{43})/.exec(mail.text)?.[1])
      .filter(Boolean);
    expect(links.length).toBeGreaterThanOrEqual(2); // verification and reset

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
    };
    const found = Object.entries(plaintexts).filter(([, value]) => dump.includes(value));
    expect(found.map(([name]) => name)).toEqual([]);
  });
});
