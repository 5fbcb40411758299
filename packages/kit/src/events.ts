import { randomUUID } from 'node:crypto';

import { z } from 'zod';

import { CORRELATION_ID_PATTERN, currentCorrelationId, newCorrelationId } from './context';

/**
 * Every event on Kafka is a JSON envelope of this shape. The same id, type and correlation
 * id also travel as record headers, so a consumer can route or dead-letter a message whose
 * body it cannot parse.
 */
export const actorSchema = z.object({
  service: z.string().min(1),
  userId: z.uuid().nullable(),
  role: z.string().nullable(),
});
export type Actor = z.infer<typeof actorSchema>;

export const envelopeSchema = z.object({
  id: z.uuid(),
  type: z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/),
  occurredAt: z.iso.datetime({ offset: true }),
  actor: actorSchema,
  tenant: z.string().nullable(),
  correlationId: z.string().regex(CORRELATION_ID_PATTERN),
  data: z.unknown(),
});
export type EventEnvelope<T = unknown> = Omit<z.infer<typeof envelopeSchema>, 'data'> & { data: T };

export function newEvent<T>(fields: {
  type: string;
  actor: Actor;
  tenant?: string | null;
  data: T;
  occurredAt?: Date;
}): EventEnvelope<T> {
  return {
    id: randomUUID(),
    type: fields.type,
    occurredAt: (fields.occurredAt ?? new Date()).toISOString(),
    actor: fields.actor,
    tenant: fields.tenant ?? null,
    correlationId: currentCorrelationId() ?? newCorrelationId(),
    data: fields.data,
  };
}
