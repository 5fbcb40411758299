import { useEffect, useState } from 'react';

import { checkPasswordStrength, type Strength } from '../password-policy';

const LABELS = ['Very weak', 'Weak', 'Fair', 'Good', 'Strong'];

/** Live feedback on a new password, by the same rules the server applies. */
export function PasswordStrength({ password, context }: { password: string; context: string[] }) {
  const [strength, setStrength] = useState<Strength | undefined>();
  const contextKey = context.join('\n');

  useEffect(() => {
    if (!password) {
      setStrength(undefined);
      return;
    }
    let current = true;
    void checkPasswordStrength(password, contextKey.split('\n')).then((result) => {
      if (current) setStrength(result);
    });
    return () => {
      current = false;
    };
  }, [password, contextKey]);

  // Space is kept even when empty, so the form below does not move as feedback appears.
  return (
    <div className="strength" aria-live="polite" data-testid="password-strength">
      {strength ? (
        <>
          <meter
            className="strength-meter"
            min={0}
            max={4}
            low={2}
            high={3}
            optimum={4}
            value={strength.score}
            aria-label="Password strength"
          />
          <span className={strength.acceptable ? 'strength-ok' : 'strength-bad'}>
            {LABELS[strength.score]}: {strength.message}
          </span>
        </>
      ) : (
        <span className="muted">
          At least 12 characters. A few unrelated words make a strong, memorable password.
        </span>
      )}
    </div>
  );
}
