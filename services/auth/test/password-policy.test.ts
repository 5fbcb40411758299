import { ValidationError } from '@tracking/kit';

import { checkPasswordPolicy } from '../src/passwords';

const TOO_GUESSABLE =
  'is too easy to guess (a common word, pattern or personal detail); a longer passphrase works';

/** What the caller is told, or 'accepted'. */
async function verdict(password: string, context: string[] = []): Promise<string> {
  try {
    await checkPasswordPolicy(password, context);
    return 'accepted';
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return String(error.details.password);
  }
}

describe('the password policy', () => {
  test('a 256-character sign-up password is estimated off the event loop: other work keeps running meanwhile (#20)', async () => {
    // Issue #20: 256 characters of `p4$$w0rd` held auth's only thread for ~0.3 s per request.
    let turns = 0;
    const timer = setInterval(() => (turns += 1), 1);
    try {
      // Through a promise either way, so that a synchronous check counts the same as an async one.
      const result = await Promise.resolve().then(() => verdict('p4$$w0rd'.repeat(32)));
      expect(result).toBe(TOO_GUESSABLE);
      expect(turns).toBeGreaterThan(0);
    } finally {
      clearInterval(timer);
    }
  });

  test('many long checks at once all get their own verdict', async () => {
    const strong = 'correct horse battery staple, and then a llama named Ferdinand';
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        verdict(i % 2 === 0 ? 'p4$$w0rd'.repeat(32) : `${strong} ${i}`.repeat(4).slice(0, 256)),
      ),
    );
    expect(results).toEqual(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? TOO_GUESSABLE : 'accepted')));
  });

  test('the cheap rules answer first, naming the rule and never the value', async () => {
    expect(await verdict('short')).toBe('must be at least 12 characters');
    expect(await verdict('x'.repeat(257))).toBe('must be at most 256 characters');
    expect(await verdict('password1234')).toBe('is on a list of commonly used passwords');
    expect(await verdict('jonathansmithers', ['jonathan.smithers@example.test', 'X'])).toBe(TOO_GUESSABLE);
    expect(await verdict('a perfectly long passphrase')).toBe('accepted');
  });
});
