import { PRIVACY_PARTICIPANTS, PRIVACY_REQUEST_KINDS, PRIVACY_REQUEST_STATES } from '@tracking/contracts';
import { z } from 'zod';

import { secret, totpCode } from '../auth/schemas';

// Requests: checked for shape and size here; auth checks the credentials, privacy the rest.

/** The re-entered credentials every export, download and deletion asks for (auth ConfirmIdentity). */
export const confirmIdentity = z
  .object({
    currentPassword: secret.min(1),
    code: totpCode
      .default('')
      .meta({ description: 'A current TOTP code; required when the account has enrolled one.' }),
  })
  .meta({
    id: 'ConfirmIdentity',
    description:
      'The account’s password, re-entered, and a TOTP code when the account has one (a recovery code is not accepted here).',
  });

export const requestParams = z.object({ requestId: z.uuid() });

export const erasureReason = z.object({
  // No leading or trailing space, rather than trimmed: what the document allows, privacy accepts.
  reason: z
    .string()
    .min(10)
    .max(500)
    .regex(/^\S[\s\S]*\S$/)
    .meta({
      description: 'Why, for the audit log: e.g. "verified request by mail, ticket 1234".',
    }),
});

// strictObject: a misspelt filter is a 400, not a silent list of everything.
export const requestListQuery = z.strictObject({
  kind: z.enum(PRIVACY_REQUEST_KINDS).optional(),
  state: z.enum(PRIVACY_REQUEST_STATES).optional(),
  subject: z.uuid().optional().meta({ description: 'Only this user’s requests.' }),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z
    .string()
    .max(256)
    .optional()
    .meta({ description: 'The nextCursor of the previous page; repeat the same filters with it.' }),
});

const time = z.iso.datetime();

export const privacyStepSchema = z
  .object({
    service: z.enum(PRIVACY_PARTICIPANTS),
    state: z.enum(['pending', 'completed', 'failed']),
    finishedAt: time.nullable(),
    counts: z
      .record(z.string(), z.int().min(0))
      .meta({ description: 'What was exported or erased, by table or kind: counts, never values.' }),
    failure: z.string().nullable().meta({ description: 'Why the step failed, in one line.' }),
  })
  .meta({ id: 'PrivacyStep', description: 'One service’s part in a request.' });

const requestFields = {
  id: z.uuid(),
  kind: z.enum(PRIVACY_REQUEST_KINDS),
  state: z.enum(PRIVACY_REQUEST_STATES).meta({
    description:
      'export: pending → collecting → assembling → ready → expired (or failed); erasure: scheduled (cooling off) → erasing → completed (or cancelled, failed).',
  }),
  requestedAt: time,
  scheduledFor: time
    .nullable()
    .meta({ description: 'Erasure: when the cooling-off period ends and the erasure runs.' }),
  finishedAt: time.nullable(),
  expiresAt: time
    .nullable()
    .meta({ description: 'Export: when the download stops working and the file is deleted.' }),
  dueAt: time.meta({ description: 'The legal deadline: one month from requestedAt.' }),
  sizeBytes: z.int().min(0).nullable().meta({ description: 'Export: the ZIP’s size, once ready.' }),
  failure: z.string().nullable().meta({ description: 'Why it failed, in one line; null unless failed.' }),
  steps: z.array(privacyStepSchema),
};

/** A request as its subject sees it: whether an admin started it, not which admin. */
export const myPrivacyRequestSchema = z
  .object({
    ...requestFields,
    byAdmin: z.boolean().meta({ description: 'Started by an admin on the person’s verified request.' }),
  })
  .meta({ id: 'MyPrivacyRequest', description: 'A data export or account deletion of my own.' });

/** A request as an admin sees it: whose, and who asked. */
export const privacyRequestSchema = z
  .object({
    ...requestFields,
    subjectId: z.uuid(),
    requestedBy: z.uuid().meta({ description: 'The subject, or the admin who started it.' }),
  })
  .meta({ id: 'PrivacyRequest', description: 'A data export or account erasure, for admins.' });

// strictObject: a misspelt parameter is a 400.
export const myExportListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(20).default(5),
});

export const myExportsSchema = z
  .object({
    requests: myPrivacyRequestSchema
      .array()
      .meta({ description: 'My latest exports, newest first: the first is the one the account page shows.' }),
  })
  .meta({ id: 'MyDataExports' });

export const myDeletionSchema = z
  .object({
    request: myPrivacyRequestSchema
      .nullable()
      .meta({ description: 'The scheduled or running deletion, else the last one; null if never asked.' }),
  })
  .meta({ id: 'MyAccountDeletion' });

export const privacyRequestPageSchema = z
  .object({
    requests: z.array(privacyRequestSchema).meta({ description: 'Newest first.' }),
    nextCursor: z.string().nullable().meta({ description: 'Null on the last page.' }),
    openCount: z.int().min(0).meta({ description: 'Requests not finished yet, whatever the filters.' }),
    oldestOpenAgeSeconds: z.int().min(0).meta({ description: 'The oldest open request’s age; 0 when none.' }),
  })
  .meta({ id: 'PrivacyRequestPage' });

/** The ZIP's name as the privacy service gives it; anything else is not put in a header. */
export const exportFileName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.zip$/);
