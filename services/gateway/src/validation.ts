import { ValidationError } from '@tracking/kit';
import type { z } from 'zod';

/**
 * Checks a request's body, query or path parameters for shape and size at the boundary; the
 * service behind checks their meaning. A failure is a 400 naming each bad field.
 */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    throw new ValidationError(
      'invalid request',
      Object.fromEntries(
        result.error.issues.map((issue) => [issue.path.join('.') || '(body)', issue.message]),
      ),
    );
  }
  return result.data;
}
