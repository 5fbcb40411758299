import { z } from 'zod';

import { REVIEW_STATUSES } from './names';
import { PLAN_NAMES } from './plans';

/*
 * The Kafka contract between services: the topics and the body (`data`) of every event type on
 * them. The envelope around a body (id, type, actor, correlation id) is the kit's runtime
 * (`EventEnvelope`, `newEvent`), the same for every event.
 */

/** Topics are `<service>.<entity>.v1`; the manifest in charts/tracking/files/topics.json declares each one. */
export const TOPICS = {
  /** One topic that every service's outbox feeds with audit events; one partition keeps the chain ordered. */
  auditEvents: 'audit.events.v1',
  /** Account lifecycle: registered, email verified/changed, password changed/reset, role changed, disabled. */
  authUser: 'auth.user.v1',
  /** Sign-in: login succeeded/failed, lock-outs, sessions revoked. */
  authSession: 'auth.session.v1',
  /** Second factor: enabled, disabled, replay rejected, recovery code used or regenerated. */
  authMfa: 'auth.mfa.v1',
  /** Plan changes from billing; auth turns mandatory MFA on for paid plans. */
  billingPlan: 'billing.plan.v1',
  /** Meals logged, edited or deleted (with the text, for the AI estimator), keyed by meal id. */
  trackingMeal: 'tracking.meal.v1',
  /** Weekly lifestyle reviews requested of the AI service, keyed by client id. */
  trackingReview: 'tracking.review.v1',
  /** The AI service's calorie and macro estimates, keyed by meal id. */
  aiMeal: 'ai.meal.v1',
  /** The AI service's finished (or failed) weekly reviews, keyed by client id. */
  aiReview: 'ai.review.v1',
  /** Backups and restore drills finished or failed, keyed by database name (the backup service). */
  backupRun: 'backup.run.v1',
  /** Mail to send (`notification.requested`, see notifications.ts), keyed by recipient; only the notifications service reads it. */
  notificationsRequested: 'notifications.requested.v1',
  /** Notification requests that could not be rendered or delivered, for an operator to inspect and replay. */
  notificationsDlq: 'notifications.dlq.v1',
} as const;

/** The body of `billing.plan.changed` on `billing.plan.v1`. */
export const planChangedSchema = z.object({
  userId: z.uuid(),
  oldPlan: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/),
  newPlan: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/),
  effectiveAt: z.iso.datetime({ offset: true }),
  /**
   * Why: a checkout or plan change (`subscribed`, `changed`), the subscription ending
   * (`canceled`), a failed payment's grace period running out (`payment_failed`) or a late
   * payment arriving after it (`payment_recovered`). Optional for events written before it existed.
   */
  reason: z.enum(['subscribed', 'changed', 'canceled', 'payment_failed', 'payment_recovered']).optional(),
});
export type PlanChanged = z.infer<typeof planChangedSchema>;

/**
 * `tracking.meal.logged`, `tracking.meal.updated` and `tracking.meal.estimate_requested` (a retry
 * after a failed estimate) on `tracking.meal.v1`: what the AI service estimates. `version` is the
 * meal's version the text belongs to; the estimate must name it.
 */
export const mealLoggedSchema = z.object({
  mealId: z.uuid(),
  clientId: z.uuid(),
  version: z.number().int().positive(),
  mealType: z.string(),
  description: z.string().min(1).max(2000),
  eatenAt: z.iso.datetime({ offset: true }),
  /**
   * The plan of whoever asked for the estimate (the client, or their trainer asking again):
   * the AI service bounds estimates per day by it. Absent in events written before it existed,
   * which count as free.
   */
  plan: z.enum(PLAN_NAMES).optional(),
});
export type MealLogged = z.infer<typeof mealLoggedSchema>;

/** The event types on `tracking.meal.v1` that ask for an estimate. */
export const MEAL_ESTIMATE_TRIGGERS = [
  'tracking.meal.logged',
  'tracking.meal.updated',
  'tracking.meal.estimate_requested',
] as const;

export const ESTIMATE_CONFIDENCE = ['low', 'medium', 'high'] as const;

/** One item of an estimate: what the estimator took the meal to contain. */
export const estimateItemSchema = z.object({
  name: z.string().min(1).max(120),
  grams: z.number().min(0).max(5_000),
  calories: z.number().int().min(0).max(10_000),
});
export type EstimateItem = z.infer<typeof estimateItemSchema>;

/** Which estimator answered, e.g. "anthropic", "qwen", "offline". */
const estimatorName = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/);

/** `ai.meal.estimated` on `ai.meal.v1`: an estimate of one version of a meal's text. */
export const mealEstimatedSchema = z.object({
  mealId: z.uuid(),
  mealVersion: z.number().int().positive(),
  calories: z.number().int().min(0).max(20_000),
  proteinG: z.number().min(0).max(2_000),
  carbsG: z.number().min(0).max(2_000),
  fatG: z.number().min(0).max(2_000),
  items: z.array(estimateItemSchema).max(30),
  confidence: z.enum(ESTIMATE_CONFIDENCE),
  source: estimatorName,
  /** The model id the provider reported, e.g. "claude-haiku-4-5". */
  model: z.string().min(1).max(100),
  estimatedAt: z.iso.datetime({ offset: true }),
});
export type MealEstimated = z.infer<typeof mealEstimatedSchema>;

/**
 * Why no estimate came: every provider was down or had its circuit open; the answers were
 * invalid or implausible after a retry; the client's daily AI budget is spent; or the only
 * estimator that answered (the offline table) recognised no food in the text.
 */
export const ESTIMATION_FAILURE_REASONS = [
  'providers_unavailable',
  'invalid_output',
  'budget_exhausted',
  'unrecognised',
  /** The asker's plan's estimates for the day are used up (`aiEstimatesPerDay`). */
  'plan_limit',
] as const;
export type EstimationFailureReason = (typeof ESTIMATION_FAILURE_REASONS)[number];

/** `ai.meal.estimation_failed` on `ai.meal.v1`: no estimate of this version; the client may retry. */
export const mealEstimationFailedSchema = z.object({
  mealId: z.uuid(),
  mealVersion: z.number().int().positive(),
  reason: z.enum(ESTIMATION_FAILURE_REASONS),
  failedAt: z.iso.datetime({ offset: true }),
});
export type MealEstimationFailed = z.infer<typeof mealEstimationFailedSchema>;

const nullableAmount = z.number().min(0).max(100_000).nullable();

/** One day of the reviewed week, in the client's time zone. */
export const reviewDaySchema = z.object({
  date: z.iso.date(),
  meals: z.number().int().min(0),
  /** Meals without an estimate: their energy is missing from the totals. */
  unestimatedMeals: z.number().int().min(0),
  calories: z.number().int().min(0),
  proteinG: z.number().min(0),
  carbsG: z.number().min(0),
  fatG: z.number().min(0),
  /** The day's metrics, averaged over its entries; null where none were logged. */
  weightKg: nullableAmount,
  sleepHours: nullableAmount,
  steps: nullableAmount,
  waterMl: nullableAmount,
  mood: nullableAmount,
});
export type ReviewDay = z.infer<typeof reviewDaySchema>;

/**
 * `tracking.review.requested` on `tracking.review.v1`: the week's aggregates, computed when it
 * is requested. Deliberately no name, email, note or meal text: what the AI sees is numbers.
 */
export const reviewRequestedSchema = z.object({
  reviewId: z.uuid(),
  clientId: z.uuid(),
  weekStart: z.iso.date(),
  days: z.array(reviewDaySchema).length(7),
  goals: z
    .object({
      calories: z.number().int().min(0),
      proteinG: z.number().min(0),
      carbsG: z.number().min(0),
      fatG: z.number().min(0),
    })
    .nullable(),
});
export type ReviewRequested = z.infer<typeof reviewRequestedSchema>;

/** `ai.review.completed` on `ai.review.v1`: the review's text, or that it failed and why. */
export const reviewCompletedSchema = z.object({
  reviewId: z.uuid(),
  status: z.enum(REVIEW_STATUSES.names).exclude(['requested']),
  content: z.string().max(20_000),
  /** Set when status is failed. */
  failureReason: z.enum(ESTIMATION_FAILURE_REASONS).optional(),
  /** The estimator and model that wrote it, when status is ready. */
  source: estimatorName.optional(),
  model: z.string().min(1).max(100).optional(),
  completedAt: z.iso.datetime({ offset: true }),
});
export type ReviewCompleted = z.infer<typeof reviewCompletedSchema>;

/** The body of an event on `audit.events.v1`: who did what to which subject, from where, and how it ended. */
export const auditEventSchema = z.object({
  action: z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/),
  subject: z.object({ type: z.string().min(1), id: z.string().min(1) }),
  outcome: z.enum(['success', 'failure', 'denied']),
  sourceIp: z.string().nullable(),
  userAgent: z.string().max(512).nullable(),
});
export type AuditEvent = z.infer<typeof auditEventSchema>;

/** A backup's or a drill's id: its UTC start time and a random suffix (services/backup/src/manifest.ts). */
const backupRunId = z.string().regex(/^\d{8}T\d{9}Z-[0-9a-f]{6}$/);
const backupDatabase = z.string().regex(/^[a-z][a-z0-9_]{0,40}$/);

/** `backup.completed` on `backup.run.v1`: an encrypted backup and its manifest are in the bucket. */
export const backupCompletedSchema = z.object({
  backupId: backupRunId,
  database: backupDatabase,
  objectKey: z.string().min(1),
  ciphertextBytes: z.number().int().min(0),
  ciphertextSha256: z.string().regex(/^[0-9a-f]{64}$/),
  keyId: z.string().min(1),
  startedAt: z.iso.datetime({ offset: true }),
  finishedAt: z.iso.datetime({ offset: true }),
});
export type BackupCompleted = z.infer<typeof backupCompletedSchema>;

/** `backup.failed` on `backup.run.v1`: no backup of the database was written; `error` is one line, credential-free. */
export const backupFailedSchema = z.object({
  database: backupDatabase,
  error: z.string().max(500),
  startedAt: z.iso.datetime({ offset: true }),
  failedAt: z.iso.datetime({ offset: true }),
});
export type BackupFailed = z.infer<typeof backupFailedSchema>;

/** `backup.drill.completed` on `backup.run.v1`: the newest backup was restored into a scratch database and verified. */
export const backupDrillCompletedSchema = z.object({
  drillId: backupRunId,
  database: backupDatabase,
  backupId: backupRunId,
  /** Wall time to a restored and verified database. */
  rtoSeconds: z.number().min(0),
  /** Age of the restored backup when the drill started. */
  rpoSeconds: z.number().min(0),
  finishedAt: z.iso.datetime({ offset: true }),
});
export type BackupDrillCompleted = z.infer<typeof backupDrillCompletedSchema>;

/** `backup.drill.failed` on `backup.run.v1`: the drill could not restore or verify; `backupId` is null without a backup. */
export const backupDrillFailedSchema = z.object({
  drillId: backupRunId,
  database: backupDatabase,
  backupId: backupRunId.nullable(),
  error: z.string().max(500),
  failedAt: z.iso.datetime({ offset: true }),
});
export type BackupDrillFailed = z.infer<typeof backupDrillFailedSchema>;
