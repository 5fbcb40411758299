import { performance } from 'node:perf_hooks';

import { login } from '../src/login';
import { processRecoveryRequests, requestPasswordReset } from '../src/recovery';
import { resetPassword } from '../src/users';
import { eventsOf, fromAddress, newUser, notifications, tokenMailed, useAuthFixture } from './support';

describe('brute-force protection and account enumeration', () => {
  const setup = useAuthFixture();

  let address = 0;
  /** Each test guesses from its own address, so only the per-account throttle is in play unless a test says otherwise. */
  const nextAddress = () => `192.0.2.${++address}`;
  const attempt = (email: string, password: string, ip: string) =>
    fromAddress(ip, () => login(setup().deps, { email, password }));
  interface Outcome {
    code: string;
    message: string;
    details: Record<string, string>;
  }
  const outcome = (promise: Promise<unknown>): Promise<Outcome> =>
    promise.then(
      () => ({ code: 'ok', message: '', details: {} }),
      (error: unknown) => {
        const { code, message, details } = error as {
          code: string;
          message: string;
          details: Record<string, string>;
        };
        return { code, message, details };
      },
    );

  test('the 6th wrong password within a short window gets 429 with a Retry-After, and the right password then waits too', async () => {
    const f = setup();
    const user = await newUser(f);
    const ip = nextAddress();
    for (let i = 1; i <= 5; i += 1) {
      expect((await outcome(attempt(user.email, 'wrong password number x', ip))).code).toBe(
        'unauthenticated',
      );
    }
    const sixth = await outcome(attempt(user.email, 'wrong password number x', ip));
    expect(sixth).toEqual({
      code: 'resource_exhausted',
      message: 'too many failed attempts: try again later',
      details: { retryAfterSeconds: '30' },
    });
    expect((await outcome(attempt(user.email, user.password, ip))).code).toBe('resource_exhausted');
    f.clock.advance(30_000);
    expect((await outcome(attempt(user.email, user.password, ip))).code).toBe('ok');
  });

  test('the failure that pauses an account leaves an auth.account.locked audit entry with the pause, beside that failure', async () => {
    const f = setup();
    const user = await newUser(f);
    const ip = nextAddress();
    const audited = async () => {
      const { rows } = await f.owner.query<{
        correlation: string;
        data: { action: string; subject: unknown; outcome: string; sourceIp: string | null };
      }>(
        `SELECT payload->>'correlationId' AS correlation, payload->'data' AS data FROM outbox
          WHERE topic = 'audit.events.v1' AND message_key = $1 ORDER BY id`,
        [user.id],
      );
      return rows;
    };
    for (let i = 1; i <= 4; i += 1) await outcome(attempt(user.email, 'wrong password number x', ip));
    expect(await eventsOf(f, 'auth.account.locked', user.id)).toEqual([]);
    await outcome(attempt(user.email, 'wrong password number x', ip));
    expect(await eventsOf(f, 'auth.account.locked', user.id)).toEqual([
      expect.objectContaining({
        topic: 'auth.session.v1',
        payload: expect.objectContaining({
          data: {
            subject: { type: 'user', id: user.id },
            scope: 'login',
            pauseSeconds: 30,
            untilPasswordReset: false,
          },
        }) as unknown,
      }),
    ]);
    const entries = await audited();
    expect(entries.map((entry) => entry.data.action)).toEqual([
      'auth.user.registered',
      ...Array<string>(5).fill('auth.login.failed'),
      'auth.account.locked',
    ]);
    const [failure, locked] = entries.slice(-2);
    // Written by the fifth failure's transaction: one request, one correlation id.
    expect(locked?.correlation).toBe(failure?.correlation);
    expect(locked?.data).toMatchObject({
      subject: { type: 'user', id: user.id },
      outcome: 'success',
      sourceIp: ip,
    });
    // The refusals during the pause lock nothing further.
    await outcome(attempt(user.email, 'wrong password number x', ip));
    expect(await eventsOf(f, 'auth.account.locked', user.id)).toHaveLength(1);
  });

  test('a scripted 100-attempt run against one account is throttled long before it finishes, and pauses grow', async () => {
    const f = setup();
    const user = await newUser(f);
    const ip = nextAddress();
    const codes: string[] = [];
    const pauses: number[] = [];
    for (let i = 0; i < 100; i += 1) {
      const result = await outcome(attempt(user.email, `guess number ${i} of many`, ip));
      codes.push(result.code);
      if (result.code === 'resource_exhausted') {
        pauses.push(Number(result.details.retryAfterSeconds));
        // The attacker waits out each pause exactly, which is the fastest they can go.
        f.clock.advance(Number(result.details.retryAfterSeconds) * 1000);
      }
    }
    const checked = codes.filter((code) => code === 'unauthenticated').length;
    expect(codes.slice(0, 5)).toEqual(Array(5).fill('unauthenticated'));
    expect(codes[5]).toBe('resource_exhausted');
    // Half the run is spent refused, and the pauses double up to the one-hour cap.
    expect(checked).toBeLessThanOrEqual(55);
    expect(pauses.slice(0, 5)).toEqual([30, 60, 120, 240, 480]);
    expect(Math.max(...pauses)).toBe(3600);
  });

  test('a parallel burst of guesses cannot slip past the count: at most the free attempts are checked', async () => {
    const f = setup();
    const user = await newUser(f);
    const ip = nextAddress();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => outcome(attempt(user.email, `parallel guess ${i} here`, ip))),
    );
    expect(results.filter((result) => result.code === 'unauthenticated').length).toBeLessThanOrEqual(5);
  });

  test('one address guessing across many accounts is paused by the per-address count', async () => {
    const ip = nextAddress();
    const codes: string[] = [];
    for (let i = 0; i < 35; i += 1) {
      codes.push((await outcome(attempt(`nobody${i}@example.test`, 'a guessed password', ip))).code);
    }
    expect(codes.indexOf('resource_exhausted')).toBe(30);
    // Another address is not affected.
    expect((await outcome(attempt('nobody0@example.test', 'a guessed password', nextAddress()))).code).toBe(
      'unauthenticated',
    );
  });

  test('after 100 consecutive failures only a password reset unlocks, and the owner can always reset by email', async () => {
    const f = setup();
    const user = await newUser(f);
    let last = await outcome(attempt(user.email, 'first wrong guess', nextAddress()));
    for (let i = 0; i < 200 && last.details.recovery !== 'password_reset'; i += 1) {
      f.clock.advance(3600_000);
      last = await outcome(attempt(user.email, `wrong guess ${i}`, nextAddress()));
    }
    expect(last).toMatchObject({ code: 'resource_exhausted', details: { recovery: 'password_reset' } });
    f.clock.advance(7 * 24 * 3600_000);
    expect((await outcome(attempt(user.email, user.password, nextAddress()))).code).toBe(
      'resource_exhausted',
    );

    await requestPasswordReset(f.deps, user.email);
    await processRecoveryRequests(f.deps);
    const token = await tokenMailed(f, 'password_reset', user.email);
    await resetPassword(f.deps, token, 'a brand new passphrase for me');
    expect((await outcome(attempt(user.email, 'a brand new passphrase for me', nextAddress()))).code).toBe(
      'ok',
    );
    // The link was single-use.
    await expect(resetPassword(f.deps, token, 'yet another passphrase here')).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });

  test('an unknown email and a wrong password are indistinguishable in answer and, within 25%, in time', async () => {
    const f = setup();
    const user = await newUser(f);
    const unknown = await outcome(attempt('no-such-user@example.test', 'some password here', nextAddress()));
    const wrong = await outcome(attempt(user.email, 'some password here', nextAddress()));
    expect(unknown).toEqual(wrong);
    expect(unknown).toEqual({
      code: 'unauthenticated',
      message: 'email or password is incorrect',
      details: {},
    });

    // Timing: median of alternating samples, each from a fresh address and email so no throttle is hit.
    const samples = { unknown: [] as number[], wrong: [] as number[] };
    for (let i = 0; i < 15; i += 1) {
      const victim = await newUser(f);
      for (const [kind, email] of [
        ['unknown', `ghost${i}@example.test`],
        ['wrong', victim.email],
      ] as const) {
        const started = performance.now();
        await outcome(attempt(email, 'not the password at all', nextAddress()));
        samples[kind].push(performance.now() - started);
      }
    }
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    const ratio = median(samples.unknown) / median(samples.wrong);
    expect(ratio).toBeGreaterThan(0.75);
    expect(ratio).toBeLessThan(1.25);
  });

  test('a password reset request answers the same for unknown and known emails', async () => {
    const f = setup();
    const user = await newUser(f);
    await expect(requestPasswordReset(f.deps, 'unknown-person@example.test')).resolves.toBeUndefined();
    await expect(requestPasswordReset(f.deps, user.email)).resolves.toBeUndefined();
    await processRecoveryRequests(f.deps);
    expect(await notifications(f, { to: 'unknown-person@example.test' })).toEqual([]);
    expect(await notifications(f, { template: 'password_reset', to: user.email })).toHaveLength(1);
  });
});
