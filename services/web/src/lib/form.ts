import type { FieldValues, Path, UseFormSetError } from 'react-hook-form';

import { ApiError } from './api/problem';

/**
 * Puts the server's field errors (a 400's `errors`, keyed by the request field) on the form's
 * fields. Returns whether any landed, so the caller can leave the rest to a ProblemAlert.
 */
export function applyServerErrors<T extends FieldValues>(
  error: unknown,
  setError: UseFormSetError<T>,
  fields: readonly Path<T>[],
): boolean {
  if (!(error instanceof ApiError)) return false;
  let applied = false;
  for (const [field, message] of Object.entries(error.fieldErrors)) {
    const match = fields.find((name) => name === field);
    if (!match) continue;
    setError(match, { type: 'server', message: sentence(message) });
    applied = true;
  }
  return applied;
}

function sentence(message: string): string {
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
