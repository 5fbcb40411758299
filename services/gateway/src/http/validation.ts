import { fieldErrors, ValidationError } from '@tracking/kit';
import type { z } from 'zod';

/**
 * Checks a request's body, query or path parameters for shape and size at the boundary; the
 * service behind checks their meaning. A failure is a 400 naming each bad field.
 */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parser = new RequestParser();
  const parsed = parser.take(schema, value);
  parser.done();
  return parsed as z.output<S>;
}

/** Several parts of one request (path, query, body): one 400 naming every bad field of them all. */
export class RequestParser {
  private readonly errors: Record<string, string> = {};

  take<S extends z.ZodType>(schema: S, value: unknown): z.output<S> | undefined {
    const result = schema.safeParse(value ?? {});
    if (result.success) return result.data;
    for (const [field, message] of Object.entries(fieldErrors(result.error))) this.errors[field] ??= message;
    return undefined;
  }

  /** Throws the ValidationError if any part failed. */
  done(): void {
    if (Object.keys(this.errors).length) throw new ValidationError('invalid request', this.errors);
  }
}
