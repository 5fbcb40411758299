import { z } from 'zod';

/**
 * The server's password policy (services/auth/src/passwords.ts), checked in the browser so
 * people see it while typing: at least 12 characters, at most 256, not a common password, and a
 * zxcvbn score of at least 3 with the app's name and the person's own email and name counted
 * as guessable. The same library, version and word lists as auth, so the verdicts agree; the
 * server still decides. The word lists are large, so they load only with the screens that ask.
 */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;
const MIN_STRENGTH = 3;

export const newPasswordSchema = z
  .string()
  .refine(
    (value) => graphemes(value) >= PASSWORD_MIN_LENGTH,
    `Use at least ${PASSWORD_MIN_LENGTH} characters.`,
  )
  .refine((value) => value.length <= PASSWORD_MAX_LENGTH, `Use at most ${PASSWORD_MAX_LENGTH} characters.`);

function graphemes(value: string): number {
  return Array.from(new Intl.Segmenter().segment(value)).length;
}

export interface Strength {
  /** zxcvbn's 0-4. */
  score: number;
  acceptable: boolean;
  /** Why it is refused, in the server's words, or how to make it stronger. */
  message: string;
}

type Checker = (password: string, context: string[]) => Strength;
let checker: Promise<Checker> | undefined;

async function loadChecker(): Promise<Checker> {
  const [{ ZxcvbnFactory }, common] = await Promise.all([
    import('@zxcvbn-ts/core'),
    import('@zxcvbn-ts/language-common'),
  ]);
  const zxcvbn = new ZxcvbnFactory({ dictionary: common.dictionary, graphs: common.adjacencyGraphs });
  const commonPasswords = new Set<string>(
    (common.dictionary as Record<string, string[] | undefined>)['passwords-common'] ?? [],
  );
  return (password, context) => {
    const length = graphemes(password);
    if (length < PASSWORD_MIN_LENGTH)
      return { score: 0, acceptable: false, message: `Use at least ${PASSWORD_MIN_LENGTH} characters.` };
    if (password.length > PASSWORD_MAX_LENGTH)
      return { score: 0, acceptable: false, message: `Use at most ${PASSWORD_MAX_LENGTH} characters.` };
    if (commonPasswords.has(password.toLowerCase()))
      return { score: 0, acceptable: false, message: 'This is on a list of commonly used passwords.' };
    const userInputs = [
      'tracking',
      ...context.flatMap((value) => value.toLowerCase().split(/[@.\s]+/)),
    ].filter((word) => word.length >= 3);
    const result = zxcvbn.check(password, userInputs);
    if (result.score < MIN_STRENGTH)
      return {
        score: result.score,
        acceptable: false,
        message: 'Too easy to guess (a common word, pattern or personal detail). A longer passphrase works.',
      };
    return {
      score: result.score,
      acceptable: true,
      message: result.score === 4 ? 'Strong password.' : 'Good password.',
    };
  };
}

/** The verdict on `password`, with `context` (the email and name) counted as guessable. */
export async function checkPasswordStrength(password: string, context: string[]): Promise<Strength> {
  checker ??= loadChecker();
  return (await checker)(password, context);
}
