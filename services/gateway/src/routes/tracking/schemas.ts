import {
  ESTIMATE_CONFIDENCE,
  ESTIMATE_STATUSES,
  ESTIMATION_FAILURE_REASONS,
  LINK_STATUSES,
  MEAL_TYPES,
  REVIEW_STATUSES,
} from '@tracking/contracts';
import { z } from 'zod';

/**
 * The tracking routes' request and response shapes, which are also what the OpenAPI document
 * says about them. On the way in they check shape and size, and state the numeric ranges the
 * tracking service enforces (so that a client can read them, and no number too large for the
 * gRPC message gets as far as encoding it: a schemathesis run found a 500 that way). The
 * tracking service checks meaning (ranges too, Mondays, time zones, nothing before 2000).
 */

// Shapes on the way in.
const timestamp = z.iso.datetime({ offset: true });
/** Versions travel as int32 in the gRPC messages: a larger number cannot be encoded (it was a 500). */
const INT32_MAX = 2_147_483_647;
export const version = z
  .int()
  .min(1)
  .max(INT32_MAX)
  .meta({ description: 'The version you last read; a stale one is a 409.' });
export const mealTypes = z.enum(MEAL_TYPES.names);
export const mealInput = z.object({
  eatenAt: timestamp,
  mealType: mealTypes,
  description: z
    .string()
    .max(2000)
    .regex(/\S/, { message: 'describe the meal' })
    .meta({ description: 'What was eaten, in the client’s words; not blank.' }),
  photoRef: z
    .string()
    .max(200)
    .default('')
    .meta({ description: 'A reference to a stored photo, for later.' }),
});
export const metricInput = z.object({
  recordedAt: timestamp,
  weightKg: z.number().gt(0).lt(700).optional(),
  sleepHours: z.number().min(0).max(24).optional(),
  steps: z.int().min(0).max(200_000).optional(),
  waterMl: z.int().min(0).max(20_000).optional(),
  mood: z.int().min(1).max(5).optional().meta({ description: '1 (low) to 5 (high).' }),
  notes: z.string().max(2000).default(''),
});
export const goalsInput = z.object({
  version: z
    .int()
    .min(0)
    .max(INT32_MAX)
    .meta({ description: 'The goals’ version you last read; 0 if none were set.' }),
  calories: z.int().min(0).max(20_000),
  proteinG: z.number().min(0).max(2_000),
  carbsG: z.number().min(0).max(2_000),
  fatG: z.number().min(0).max(2_000),
});
export const pageQuery = z.strictObject({
  from: timestamp.optional(),
  to: timestamp.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional().meta({ description: 'The nextCursor of the previous page.' }),
});
export const versionQuery = z.strictObject({ version: z.coerce.number().int().min(1).max(INT32_MAX) });
const timeZone = z
  .string()
  .max(64)
  .default('UTC')
  .meta({ description: 'An IANA time zone, e.g. Pacific/Auckland.' });
export const summaryQuery = z.strictObject({ date: z.iso.date(), timeZone });
export const clientParams = z.object({ clientId: z.uuid() });
// Row ids are strings, not uuids, on the way in: a malformed id names no row, so it is a 404 like any other.
export const rowParam = z.string().max(64);

// Shapes on the way out.
export const failureReason = z.enum(ESTIMATION_FAILURE_REASONS);
export const estimateStatus = z.enum(ESTIMATE_STATUSES.names);
export const confidence = z.enum(ESTIMATE_CONFIDENCE);
const estimateSchema = z
  .object({
    calories: z.int(),
    proteinG: z.number(),
    carbsG: z.number(),
    fatG: z.number(),
    source: z.string().meta({ description: 'Which estimator answered, e.g. anthropic or offline.' }),
    estimatedAt: z.iso.datetime(),
    items: z
      .array(z.object({ name: z.string(), grams: z.number(), calories: z.int() }))
      .meta({ description: 'What the estimator took the meal to contain; empty for older estimates.' }),
    confidence: confidence
      .nullable()
      .meta({ description: 'How sure the estimator was; null for older estimates.' }),
    model: z.string().nullable().meta({ description: 'The model that answered; null for older estimates.' }),
  })
  .nullable();
export const mealSchema = z
  .object({
    mealId: z.uuid(),
    clientId: z.uuid(),
    eatenAt: z.iso.datetime(),
    mealType: mealTypes,
    description: z.string(),
    photoRef: z.string(),
    estimate: estimateSchema.meta({ description: 'Null until the AI service has estimated this text.' }),
    estimateStatus: estimateStatus.meta({
      description:
        'pending until the AI service answers for this text; failed if it could not (retry with POST …/estimate).',
    }),
    estimateFailure: failureReason
      .nullable()
      .meta({ description: 'Why the estimate failed; null unless failed.' }),
    version: z.int(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Meal' });
export const metricSchema = z
  .object({
    metricId: z.uuid(),
    clientId: z.uuid(),
    recordedAt: z.iso.datetime(),
    weightKg: z.number().nullable(),
    sleepHours: z.number().nullable(),
    steps: z.int().nullable(),
    waterMl: z.int().nullable(),
    mood: z.int().nullable(),
    notes: z.string(),
    version: z.int(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Metric' });
export const goalsSchema = z
  .object({
    clientId: z.uuid(),
    calories: z.int(),
    proteinG: z.number(),
    carbsG: z.number(),
    fatG: z.number(),
    setBy: z.string().meta({ description: 'Who set them last; empty if nobody has.' }),
    version: z.int().meta({ description: '0: no goals set yet.' }),
    updatedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Goals' });
export const summarySchema = z
  .object({
    clientId: z.uuid(),
    date: z.iso.date(),
    timeZone: z.string(),
    meals: z.int(),
    mealsUnestimated: z
      .int()
      .meta({ description: 'Meals still waiting for an estimate: not in the totals.' }),
    calories: z.int(),
    proteinG: z.number(),
    carbsG: z.number(),
    fatG: z.number(),
    goals: goalsSchema.nullable(),
  })
  .meta({ id: 'DailySummary' });
export const linkStatus = z.enum(LINK_STATUSES.names);
export const linkSchema = z
  .object({
    linkId: z.uuid(),
    trainerId: z.uuid(),
    clientId: z.uuid().nullable(),
    invitedEmail: z.string(),
    status: linkStatus,
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    acceptedAt: z.iso.datetime().nullable(),
    endedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'TrainerLink', description: 'An invitation (pending) that becomes a link once accepted.' });
export const commentSchema = z
  .object({
    commentId: z.uuid(),
    clientId: z.uuid(),
    authorId: z.uuid(),
    mealId: z.uuid().nullable(),
    body: z.string(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Comment' });
export const reviewStatus = z.enum(REVIEW_STATUSES.names);
export const reviewSchema = z
  .object({
    reviewId: z.uuid(),
    clientId: z.uuid(),
    weekStart: z.iso.date(),
    status: reviewStatus,
    content: z.string(),
    requestedBy: z.uuid(),
    createdAt: z.iso.datetime(),
    completedAt: z.iso.datetime().nullable(),
    failureReason: failureReason.nullable().meta({ description: 'Why it failed; null unless failed.' }),
    source: z.string().nullable().meta({ description: 'The estimator that wrote it; null until ready.' }),
    model: z.string().nullable().meta({ description: 'The model that wrote it; null until ready.' }),
  })
  .meta({ id: 'Review', description: 'A weekly lifestyle review; content is empty until it is ready.' });

export const page = <S extends z.ZodType>(items: S) =>
  z.object({ items: z.array(items), nextCursor: z.string().nullable() });
export const reviewRequest = z.object({
  weekStart: z.iso.date().meta({ description: 'The Monday the week starts on.' }),
  timeZone: timeZone.meta({
    description: 'The IANA time zone whose local days make up the week, e.g. Europe/Berlin.',
  }),
});
export const commentRequest = z.object({
  body: z.string().max(2000),
  mealId: z.uuid().optional().meta({ description: 'The meal the comment is about, if any.' }),
});

export const mealParams = z.object({ mealId: rowParam });
export const idempotencyHeaders = z.object({
  'Idempotency-Key': z
    .string()
    .regex(/^[\x21-\x7e]{1,100}$/, { message: '1 to 100 printable characters, no spaces' })
    .optional()
    .meta({
      description:
        'A key of your choosing (a UUID, say) per meal: a retry with the same key and meal never logs it twice; ' +
        'the same key with another meal is a 409.',
    }),
});
export const metricParams = z.object({ metricId: rowParam });
export const linkParams = z.object({ linkId: rowParam });
