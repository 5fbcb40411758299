import { runWithContext } from '@tracking/kit';

import { login } from '../src/login';
import { useAuthFixture } from './support';

describe('the per-address sign-in count', () => {
  const setup = useAuthFixture();

  const guess = (ip: string, i: number) =>
    runWithContext({ correlationId: `ipv6-guess-${i}`, clientIp: ip }, () =>
      login(setup().deps, { email: `nobody${i}@example.test`, password: 'a guessed password' }),
    ).then(
      () => 'ok',
      (error: unknown) => (error as { code: string }).code,
    );

  test('an IPv6 host rotating through the addresses of its /64 is paused like one address (#20)', async () => {
    const codes: string[] = [];
    for (let i = 0; i < 32; i += 1) codes.push(await guess(`2001:db8:1:2::${(i + 1).toString(16)}`, i));
    expect(codes.indexOf('resource_exhausted')).toBe(30);
    // Another /64 is another visitor.
    expect(await guess('2001:db8:1:3::1', 99)).toBe('unauthenticated');
  });
});
