import { parseOrInvalid, ValidationError } from '@tracking/kit';
import { z } from 'zod';

/**
 * Requests reach this service already checked for shape by the gateway; their meaning is
 * checked here, where the rules live. A failure names each bad field.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  return parseOrInvalid(schema, value ?? {}, { root: '(request)' });
}

const EARLIEST = new Date('2000-01-01T00:00:00Z');

/** A time something happened: not before 2000 and not more than a day ahead (time zones). */
export const whenSchema = z
  .date({ message: 'a time is required' })
  .refine((date) => date >= EARLIEST, { message: 'is before 2000' })
  .refine((date) => date.getTime() <= Date.now() + 86_400_000, { message: 'is in the future' });

export function timeRange(from: Date | undefined, to: Date | undefined): { gte?: Date; lt?: Date } {
  if (from && to && from >= to) throw new ValidationError('invalid request', { from: 'must be before to' });
  return { ...(from ? { gte: from } : {}), ...(to ? { lt: to } : {}) };
}

/** YYYY-MM-DD that is a real date. */
export const isoDate = z.iso.date({ message: 'must be a date, YYYY-MM-DD' });
