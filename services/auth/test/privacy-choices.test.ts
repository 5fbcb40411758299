import { setSaleSharingOptOut } from '../src/privacy-choices';
import { newUser, useAuthFixture } from './support';

// Opt-out of sale or sharing (#22): a browser's Global Privacy Control signal is recorded for
// the signed-in account, with when and how, and is never taken as an opt-in.
describe('the opt-out of sale or sharing', () => {
  const fixture = useAuthFixture();

  const stored = async (id: string) =>
    (
      await fixture().owner.query<{ at: Date | null; via: string | null }>(
        'SELECT sale_sharing_opt_out_at AS at, sale_sharing_opt_out_via AS via FROM users WHERE id = $1',
        [id],
      )
    ).rows[0];

  it('is not recorded for a new account', async () => {
    const user = await newUser(fixture());
    expect(await setSaleSharingOptOut(fixture().deps, user.id, undefined, 'account')).toBe(false);
    expect(await stored(user.id)).toEqual({ at: null, via: null });
  });

  it('a GPC signal records it once, with its time and source; a later signal leaves that record', async () => {
    const user = await newUser(fixture());
    const first = fixture().deps.clock();
    expect(await setSaleSharingOptOut(fixture().deps, user.id, true, 'gpc')).toBe(true);
    expect(await stored(user.id)).toEqual({ at: first, via: 'gpc' });

    fixture().clock.advance(60_000);
    expect(await setSaleSharingOptOut(fixture().deps, user.id, true, 'gpc')).toBe(true);
    expect(await setSaleSharingOptOut(fixture().deps, user.id, true, 'account')).toBe(true);
    expect(await stored(user.id)).toEqual({ at: first, via: 'gpc' });
  });

  it('the person may withdraw it in their settings; a GPC signal can never opt them back in', async () => {
    const user = await newUser(fixture());
    await setSaleSharingOptOut(fixture().deps, user.id, true, 'account');
    await expect(setSaleSharingOptOut(fixture().deps, user.id, false, 'gpc')).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    expect(await stored(user.id)).toMatchObject({ via: 'account' });

    expect(await setSaleSharingOptOut(fixture().deps, user.id, false, 'account')).toBe(false);
    expect(await stored(user.id)).toEqual({ at: null, via: null });
  });

  it('is one account’s record only', async () => {
    const [ann, bob] = [await newUser(fixture()), await newUser(fixture())];
    await setSaleSharingOptOut(fixture().deps, ann.id, true, 'gpc');
    expect(await setSaleSharingOptOut(fixture().deps, bob.id, undefined, 'account')).toBe(false);
  });
});
