import { useEffect, useState } from 'react';

import { env } from '../../config/env';
import { ApiError, NetworkError } from '../../lib/api/problem';

/** How long until a 429's Retry-After has passed, ticking down each second. */
function useCountdown(seconds: number | undefined): number {
  const [left, setLeft] = useState(seconds ?? 0);
  useEffect(() => {
    setLeft(seconds ?? 0);
    if (!seconds) return;
    const started = Date.now();
    const timer = setInterval(() => {
      const remaining = Math.max(0, seconds - Math.floor((Date.now() - started) / 1000));
      setLeft(remaining);
      if (remaining === 0) clearInterval(timer);
    }, 1000);
    return () => clearInterval(timer);
  }, [seconds]);
  return left;
}

function describeWait(seconds: number): string {
  if (seconds >= 120) return `${Math.ceil(seconds / 60)} minutes`;
  return seconds === 1 ? '1 second' : `${seconds} seconds`;
}

/**
 * An error in words: what went wrong, what to do, and the correlation id support needs to
 * find the request in the logs. A 429 says how long to wait.
 */
export function ProblemAlert({ error, title }: { error: unknown; title?: string }) {
  const apiError = error instanceof ApiError ? error : undefined;
  const wait = useCountdown(apiError?.retryAfterSeconds);
  if (!error) return null;

  let message: string;
  if (error instanceof NetworkError) message = error.message;
  else if (apiError?.status === 429)
    message = apiError.retryAfterSeconds
      ? `Too many attempts. ${wait > 0 ? `Try again in ${describeWait(wait)}.` : 'You can try again now.'}`
      : 'Too many attempts. Please try again later.';
  else if (apiError && apiError.status >= 500)
    message = 'Something went wrong on our side. Please try again in a moment.';
  else if (apiError)
    message = sentence(apiError.problem?.detail ?? apiError.problem?.title ?? apiError.message);
  else message = 'Something went wrong. Please try again.';

  return (
    <div className="alert alert-danger" role="alert">
      {title ? <strong className="alert-title">{title}</strong> : null}
      <p>{message}</p>
      {apiError?.correlationId ? (
        <p className="alert-meta">
          If you contact support ({env.supportEmail}), quote reference{' '}
          <code className="mono">{apiError.correlationId}</code>.
        </p>
      ) : null}
    </div>
  );
}

/** The API's details are lower-case fragments ("invalid email or password"); show them as sentences. */
function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
