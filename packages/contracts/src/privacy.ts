import { z } from 'zod';

/*
 * The privacy sagas (docs/privacy.md): a person's data export and account erasure, run by the
 * privacy service over Kafka. The privacy service is the only producer on `privacy.request.v1`
 * and the only consumer of `privacy.step.v1`; every service that holds personal data consumes
 * the first and answers on the second, once per request, idempotently (a redelivered request
 * gets the same answer again and changes nothing more).
 *
 * Export: the coordinator sends `privacy.export.requested` to every participant. Each writes its
 * part (one JSON file, plus one CSV per table-like list) into the object store under the
 * request's prefix, encrypted to the privacy service's public key, and answers
 * `privacy.step.completed` naming its files. When every participant has answered, the
 * coordinator assembles one ZIP with a README and tells the person.
 *
 * Erasure: after the cooling-off period the coordinator records the person in the erasure
 * ledger, then sends `privacy.erasure.requested` to every participant in phase 1, and, once all
 * of them have answered, to auth alone (phase 2): auth holds the address the last mail goes to
 * and the account whose deletion ends the saga. A participant erases by calling its database's
 * `privacy_erase_subject(uuid)` function (the same one a restore re-applies from the ledger)
 * plus whatever lives outside its database (Stripe's customer, for billing).
 */

/**
 * Every service that holds personal data by user id and takes part in both sagas. The gateway
 * (rate-limit counters keyed by a digest, gone within the hour) and notifications (address
 * digests only) hold nothing by user id; docs/data-inventory.yaml says so per table.
 */
export const PRIVACY_PARTICIPANTS = ['auth', 'tracking', 'ai-inference', 'billing', 'audit'] as const;
export type PrivacyParticipant = (typeof PRIVACY_PARTICIPANTS)[number];

/** Erasure runs in two phases: everyone but auth, then auth (which deletes the account last). */
export const ERASURE_FINAL_PARTICIPANT: PrivacyParticipant = 'auth';

export const PRIVACY_TOPICS = {
  /** Coordinator → participants: export and erasure requests, keyed by subject (user) id. */
  request: 'privacy.request.v1',
  /** Participants → coordinator: each step's completion or failure, keyed by request id. */
  step: 'privacy.step.v1',
} as const;

export const PRIVACY_EVENT_TYPES = {
  exportRequested: 'privacy.export.requested',
  erasureRequested: 'privacy.erasure.requested',
  stepCompleted: 'privacy.step.completed',
  stepFailed: 'privacy.step.failed',
} as const;

export const PRIVACY_REQUEST_KINDS = ['export', 'erasure'] as const;
export type PrivacyRequestKind = (typeof PRIVACY_REQUEST_KINDS)[number];

/**
 * Lifecycle of a request as the coordinator stores it.
 * export:  pending → collecting → assembling → ready → expired   (or failed)
 * erasure: scheduled (cooling off) → erasing → completed        (or cancelled, failed)
 */
export const PRIVACY_REQUEST_STATES = [
  'pending',
  'collecting',
  'assembling',
  'ready',
  'expired',
  'scheduled',
  'cancelled',
  'erasing',
  'completed',
  'failed',
] as const;
export type PrivacyRequestState = (typeof PRIVACY_REQUEST_STATES)[number];

/** The object-store prefix every part of one export goes under: `<S3_PREFIX>exports/<requestId>/`. */
export function exportPartPrefix(requestId: string): string {
  return `exports/${requestId}/`;
}

/** The body of `privacy.export.requested`. */
export const exportRequestedSchema = z
  .object({
    requestId: z.uuid(),
    subjectId: z.uuid(),
    requestedAt: z.iso.datetime({ offset: true }),
    /** The object-store key prefix (relative to the deployment's S3_PREFIX) the parts go under. */
    partPrefix: z.string().regex(/^exports\/[0-9a-f-]{36}\/$/),
  })
  .strict();
export type ExportRequested = z.infer<typeof exportRequestedSchema>;

/** The body of `privacy.erasure.requested`. */
export const erasureRequestedSchema = z
  .object({
    requestId: z.uuid(),
    subjectId: z.uuid(),
    /** 1: every participant but auth; 2: auth alone, after phase 1 completed everywhere. */
    phase: z.union([z.literal(1), z.literal(2)]),
    /** When the cooling-off period ended and the erasure began (the ledger's time). */
    erasingSince: z.iso.datetime({ offset: true }),
  })
  .strict();
export type ErasureRequested = z.infer<typeof erasureRequestedSchema>;

/** One file a participant wrote for an export. */
export const exportPartFileSchema = z
  .object({
    /** The file's name inside the participant's folder of the ZIP: `meals.csv`, `tracking.json`. */
    name: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}\.(json|csv)$/),
    /** The object's key, relative to S3_PREFIX, under the request's partPrefix. */
    key: z.string().min(1).max(512),
    /** Bytes before encryption, and the lower-case hex SHA-256 of those bytes. */
    bytes: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();
export type ExportPartFile = z.infer<typeof exportPartFileSchema>;

/** The body of `privacy.step.completed`. */
export const stepCompletedSchema = z
  .object({
    requestId: z.uuid(),
    kind: z.enum(PRIVACY_REQUEST_KINDS),
    service: z.enum(PRIVACY_PARTICIPANTS),
    /** Erasure only: which phase this answers. */
    phase: z.union([z.literal(1), z.literal(2)]).optional(),
    /** Export only: the files written (none when the service holds nothing about the person). */
    files: z.array(exportPartFileSchema).max(64).default([]),
    /** Counts of what was exported or erased, by table or kind, for the admin's view; never values. */
    counts: z.record(z.string().max(64), z.number().int().nonnegative()).default({}),
  })
  .strict();
export type StepCompleted = z.infer<typeof stepCompletedSchema>;

/** The body of `privacy.step.failed`: a step that cannot finish without a person's help. */
export const stepFailedSchema = z
  .object({
    requestId: z.uuid(),
    kind: z.enum(PRIVACY_REQUEST_KINDS),
    service: z.enum(PRIVACY_PARTICIPANTS),
    phase: z.union([z.literal(1), z.literal(2)]).optional(),
    /** One line, no personal data, no secrets. */
    reason: z.string().min(1).max(500),
  })
  .strict();
export type StepFailed = z.infer<typeof stepFailedSchema>;

/** The SQL function every participant's database defines, and every restore re-applies from the ledger. */
export const ERASE_SUBJECT_FUNCTION = 'privacy_erase_subject';

/** One entry of the erasure ledger: ids and times only (docs/privacy.md, "Backups"). */
export const erasureLedgerEntrySchema = z
  .object({
    subjectId: z.uuid(),
    requestId: z.uuid(),
    erasingSince: z.iso.datetime({ offset: true }),
  })
  .strict();
export type ErasureLedgerEntry = z.infer<typeof erasureLedgerEntrySchema>;

/** The ledger's object-store prefix (relative to the ledger's own S3_PREFIX): one object per person. */
export const ERASURE_LEDGER_PREFIX = 'erasure-ledger/';
