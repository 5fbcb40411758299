import { z } from 'zod';

export const outcome = z.enum(['success', 'failure', 'denied']);

// strictObject: a misspelt filter (?actor=...) is a 400, not a silent query of everything.
export const filterQuery = z.strictObject({
  actorUserId: z.uuid().optional(),
  subjectType: z.string().max(64).optional(),
  subjectId: z.string().max(128).optional(),
  action: z
    .string()
    .max(128)
    .optional()
    .meta({ description: 'An exact action, or a prefix ending in ".*" (e.g. auth.login.*).' }),
  correlationId: z.string().max(128).optional(),
  outcome: outcome.optional(),
  from: z.iso
    .datetime({ offset: true })
    .optional()
    .meta({ description: 'Entries that occurred at or after this RFC 3339 time.' }),
  to: z.iso
    .datetime({ offset: true })
    .optional()
    .meta({ description: 'Entries that occurred before this time.' }),
});
export const listQuery = filterQuery.extend({
  order: z.enum(['newest', 'oldest']).default('newest'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z
    .string()
    .max(64)
    .optional()
    .meta({ description: 'The nextCursor of the previous page; repeat the same filters and order with it.' }),
});
export const exportQuery = filterQuery.extend({ format: z.enum(['csv', 'json']) });

export const nullable = z.string().nullable();
export const auditEntry = z
  .object({
    sequence: z.int().min(1).meta({ description: 'The position in the hash chain.' }),
    eventId: z.string(),
    occurredAt: z.iso.datetime().nullable(),
    recordedAt: z.iso.datetime().nullable(),
    actor: z.object({ service: z.string(), userId: nullable, role: nullable }),
    action: z.string(),
    subject: z.object({ type: z.string(), id: z.string() }),
    tenant: nullable,
    outcome,
    sourceIp: nullable,
    userAgent: nullable,
    correlationId: z.string(),
    hash: z.string().meta({ description: "The entry's link in the hash chain (hex)." }),
  })
  .meta({
    id: 'AuditEntry',
    description: 'One entry of the audit log; fields the entry does not have are null.',
  });
