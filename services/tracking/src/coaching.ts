import { reviewRequestedSchema, TOPICS, type ReviewDay } from '@tracking/contracts';
import {
  ConflictError,
  NotFoundError,
  PermissionDeniedError,
  StaleVersionError,
  ValidationError,
  type Principal,
} from '@tracking/kit';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';

import {
  afterCursor,
  clientOf,
  decodeCursor,
  keysetPage,
  pageSize,
  requireCoachable,
  requireReadable,
} from './access';
import { asActor, postgresCode, prismaCode, type PrismaClient, type Tx } from './db';
import { record } from './changes';
import type { Comment, Goal, Review } from './generated/prisma/client';
import { isoDate, parseInput } from './input';
import { recordSupportRead } from './meals';
import { assertReviewQuota } from './plan-limits';

const goalsSchema = z.object({
  calories: z.number().int().min(0).max(20_000),
  proteinG: z.number().min(0).max(2_000),
  carbsG: z.number().min(0).max(2_000),
  fatG: z.number().min(0).max(2_000),
});

export async function getGoals(
  prisma: PrismaClient,
  principal: Principal,
  rawClientId: string,
): Promise<Goal | null> {
  const clientId = clientOf(principal, rawClientId);
  return asActor(prisma, principal, async (tx) => {
    await requireReadable(tx, clientId);
    if (principal.role === 'admin') await recordSupportRead(tx, principal, clientId, 'goals');
    return tx.goal.findUnique({ where: { clientId } });
  });
}

/** The client or their trainer sets the goals; `expectedVersion` 0 means "there are none yet". */
export async function setGoals(
  prisma: PrismaClient,
  principal: Principal,
  request: { clientId: string; expectedVersion: number; goals: unknown },
): Promise<Goal> {
  const clientId = clientOf(principal, request.clientId);
  const goals = parseInput(goalsSchema, request.goals);
  return asActor(prisma, principal, async (tx) => {
    await requireCoachable(tx, clientId);
    const current = await tx.goal.findUnique({ where: { clientId } });
    const currentVersion = current?.version ?? 0;
    if (request.expectedVersion !== currentVersion) throw new StaleVersionError(currentVersion);
    if (current) {
      const { count } = await tx.goal.updateMany({
        where: { clientId, version: currentVersion },
        data: { ...goals, setBy: principal.userId, version: { increment: 1 }, updatedAt: new Date() },
      });
      if (count !== 1) throw new StaleVersionError(currentVersion + 1);
    } else {
      await tx.goal
        .create({ data: { clientId, ...goals, setBy: principal.userId } })
        .catch((error: unknown) => {
          if (prismaCode(error) === 'P2002') throw new StaleVersionError(1);
          throw error;
        });
    }
    await record(tx, principal, {
      action: 'tracking.goals.set',
      subject: { type: 'goals', id: clientId },
      clientId,
    });
    const saved = await tx.goal.findUnique({ where: { clientId } });
    if (!saved) throw new Error('goals vanished inside their own transaction');
    return saved;
  });
}

export interface DailySummary {
  clientId: string;
  date: string;
  timeZone: string;
  meals: number;
  mealsUnestimated: number;
  calories: number;
  proteinG: number;
  carbsG: number;
  fatG: number;
  goals: Goal | null;
}

/** An IANA time zone; empty means UTC. */
const timeZoneSchema = z
  .string()
  .max(64)
  .transform((zone) => zone || 'UTC')
  .refine(
    (zone) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'is not an IANA time zone' },
  );

const summarySchema = z.object({ date: isoDate, timeZone: timeZoneSchema });

/**
 * A zone the JavaScript runtime knows but PostgreSQL does not (their time-zone databases differ
 * a little, e.g. US/Pacific-New) is the caller's mistake, not a 500.
 */
function unknownZoneIsInvalid(error: unknown): never {
  if (postgresCode(error) === '22023') {
    throw new ValidationError('invalid request', { timeZone: 'is not a time zone this service knows' });
  }
  throw error;
}

/** One local day of a client's meals, summed, beside their goals. Unestimated meals are counted apart. */
export async function dailySummary(
  prisma: PrismaClient,
  principal: Principal,
  request: { clientId: string; date: string; timeZone: string },
): Promise<DailySummary> {
  const clientId = clientOf(principal, request.clientId);
  const { date, timeZone } = parseInput(summarySchema, request);
  return asActor(prisma, principal, async (tx) => {
    await requireReadable(tx, clientId);
    if (principal.role === 'admin') await recordSupportRead(tx, principal, clientId, 'daily_summary');
    const [rows] = await sumOfDay(tx, clientId, date, timeZone);
    const goals = await tx.goal.findUnique({ where: { clientId } });
    return {
      clientId,
      date,
      timeZone,
      meals: rows?.meals ?? 0,
      mealsUnestimated: rows?.unestimated ?? 0,
      calories: rows?.calories ?? 0,
      proteinG: Number(rows?.protein ?? 0),
      carbsG: Number(rows?.carbs ?? 0),
      fatG: Number(rows?.fat ?? 0),
      goals,
    };
  });
}

/** The day's sums. */
function sumOfDay(tx: Tx, clientId: string, date: string, timeZone: string) {
  return tx.$queryRaw<
    {
      meals: number;
      unestimated: number;
      calories: number;
      protein: string;
      carbs: string;
      fat: string;
    }[]
  >`
      SELECT count(*)::int AS meals,
             count(*) FILTER (WHERE calories IS NULL)::int AS unestimated,
             coalesce(sum(calories), 0)::int AS calories,
             coalesce(sum(protein_g), 0)::text AS protein,
             coalesce(sum(carbs_g), 0)::text AS carbs,
             coalesce(sum(fat_g), 0)::text AS fat
        FROM meal
       WHERE client_id = ${clientId}::uuid AND deleted_at IS NULL
         AND eaten_at >= (${date}::date)::timestamp AT TIME ZONE ${timeZone}
         AND eaten_at < (${date}::date + 1)::timestamp AT TIME ZONE ${timeZone}`.catch(unknownZoneIsInvalid);
}

const commentSchema = z.object({
  mealId: z.union([z.literal(''), z.uuid()]),
  body: z.string().trim().min(1, { message: 'write something' }).max(2000),
});

export async function addComment(
  prisma: PrismaClient,
  principal: Principal,
  request: { clientId: string; mealId: string; body: string },
): Promise<Comment> {
  if (principal.role !== 'trainer') throw new PermissionDeniedError('only trainers comment');
  const clientId = clientOf(principal, request.clientId);
  const input = parseInput(commentSchema, request);
  return asActor(prisma, principal, async (tx) => {
    await requireCoachable(tx, clientId);
    if (input.mealId) {
      const meal = await tx.meal.findFirst({ where: { id: input.mealId, clientId, deletedAt: null } });
      if (!meal) throw new NotFoundError('no such meal');
    }
    const comment = await tx.comment.create({
      data: {
        id: randomUUID(),
        clientId,
        authorId: principal.userId,
        mealId: input.mealId || null,
        body: input.body,
      },
    });
    await record(tx, principal, {
      action: 'tracking.comment.added',
      subject: { type: 'comment', id: comment.id },
      clientId,
    });
    return comment;
  });
}

export async function listComments(
  prisma: PrismaClient,
  principal: Principal,
  request: { clientId: string; pageSize: number; pageToken: string },
): Promise<{ comments: Comment[]; nextPageToken: string }> {
  const clientId = clientOf(principal, request.clientId);
  const size = pageSize(request.pageSize);
  const cursor = decodeCursor(request.pageToken);
  return asActor(prisma, principal, async (tx) => {
    await requireReadable(tx, clientId);
    if (principal.role === 'admin') await recordSupportRead(tx, principal, clientId, 'comments');
    const comments = await tx.comment.findMany({
      where: { clientId, ...afterCursor('createdAt', cursor) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: size + 1,
    });
    const { items, nextPageToken } = keysetPage(comments, size, (comment) => comment.createdAt);
    return { comments: items, nextPageToken };
  });
}

const weekSchema = z.object({
  weekStart: isoDate
    .refine((day) => new Date(`${day}T00:00:00Z`).getUTCDay() === 1, { message: 'must be a Monday' })
    .refine((day) => new Date(`${day}T00:00:00Z`).getTime() <= Date.now(), { message: 'is in the future' }),
  timeZone: timeZoneSchema.default('UTC'),
});

/**
 * The seven local days from `weekStart` in `timeZone`: each day's live meals (how many, how many
 * not yet estimated, the estimated energy and macros) and the averages of its metrics, null where
 * none were logged. One query; row-level security applies as to any read.
 */
async function daysOfWeek(
  tx: Tx,
  clientId: string,
  weekStart: string,
  timeZone: string,
): Promise<ReviewDay[]> {
  const rows = await tx.$queryRaw<
    {
      date: string;
      meals: number;
      unestimated: number;
      calories: number;
      protein: number;
      carbs: number;
      fat: number;
      weight: number | null;
      sleep: number | null;
      steps: number | null;
      water: number | null;
      mood: number | null;
    }[]
  >`
      WITH day AS (
        SELECT d.date,
               d.date::timestamp AT TIME ZONE ${timeZone} AS starts,
               (d.date + 1)::timestamp AT TIME ZONE ${timeZone} AS ends
          FROM (SELECT ${weekStart}::date + i AS date FROM generate_series(0, 6) AS i) AS d
      )
      SELECT to_char(day.date, 'YYYY-MM-DD') AS date,
             eaten.meals, eaten.unestimated, eaten.calories, eaten.protein, eaten.carbs, eaten.fat,
             logged.weight, logged.sleep, logged.steps, logged.water, logged.mood
        FROM day
        CROSS JOIN LATERAL (
          SELECT count(*)::int AS meals,
                 count(*) FILTER (WHERE m.calories IS NULL)::int AS unestimated,
                 coalesce(sum(m.calories), 0)::int AS calories,
                 coalesce(sum(m.protein_g), 0)::float8 AS protein,
                 coalesce(sum(m.carbs_g), 0)::float8 AS carbs,
                 coalesce(sum(m.fat_g), 0)::float8 AS fat
            FROM meal m
           WHERE m.client_id = ${clientId}::uuid AND m.deleted_at IS NULL
             AND m.eaten_at >= day.starts AND m.eaten_at < day.ends) AS eaten
        CROSS JOIN LATERAL (
          SELECT round(avg(x.weight_kg), 2)::float8 AS weight,
                 round(avg(x.sleep_hours), 2)::float8 AS sleep,
                 -- The event caps a day's amounts at 100 000, below the steps one entry may hold.
                 CASE WHEN avg(x.steps) > 100000 THEN 100000 ELSE round(avg(x.steps), 2) END::float8 AS steps,
                 round(avg(x.water_ml), 2)::float8 AS water,
                 round(avg(x.mood), 2)::float8 AS mood
            FROM metric x
           WHERE x.client_id = ${clientId}::uuid AND x.deleted_at IS NULL
             AND x.recorded_at >= day.starts AND x.recorded_at < day.ends) AS logged
       ORDER BY day.date`.catch(unknownZoneIsInvalid);
  return rows.map((row) => ({
    date: row.date,
    meals: row.meals,
    unestimatedMeals: row.unestimated,
    calories: row.calories,
    proteinG: row.protein,
    carbsG: row.carbs,
    fatG: row.fat,
    weightKg: row.weight,
    sleepHours: row.sleep,
    steps: row.steps,
    waterMl: row.water,
    mood: row.mood,
  }));
}

/**
 * Records the request and hands the AI service the week's numbers, computed in the same
 * transaction: daily totals in the client's time zone and the goals. No names, notes or meal text.
 */
export async function requestReview(
  prisma: PrismaClient,
  principal: Principal,
  request: { clientId: string; weekStart: string; timeZone?: string },
): Promise<Review> {
  const clientId = clientOf(principal, request.clientId);
  const { weekStart, timeZone } = parseInput(weekSchema, request);
  return asActor(prisma, principal, async (tx) => {
    await requireCoachable(tx, clientId);
    const week = new Date(`${weekStart}T00:00:00Z`);
    // A week asked for twice is a conflict, whatever the quota says.
    if (await tx.review.findUnique({ where: { clientId_weekStart: { clientId, weekStart: week } } })) {
      throw new ConflictError('a review of that week was already requested');
    }
    await assertReviewQuota(tx, principal, clientId);
    const days = await daysOfWeek(tx, clientId, weekStart, timeZone);
    const goals = await tx.goal.findUnique({ where: { clientId } });
    const review = await tx.review
      .create({
        data: {
          id: randomUUID(),
          clientId,
          weekStart: week,
          status: 'requested',
          requestedBy: principal.userId,
        },
      })
      .catch((error: unknown) => {
        if (prismaCode(error) === 'P2002') {
          throw new ConflictError('a review of that week was already requested');
        }
        throw error;
      });
    // Checked against the wire format before it is queued: a body the AI service would refuse
    // fails here, in the request, rather than in its dead-letter topic.
    const data = reviewRequestedSchema.parse({
      reviewId: review.id,
      clientId,
      weekStart,
      days,
      goals: goals && {
        calories: goals.calories,
        proteinG: Number(goals.proteinG),
        carbsG: Number(goals.carbsG),
        fatG: Number(goals.fatG),
      },
    });
    await record(tx, principal, {
      action: 'tracking.review.requested',
      subject: { type: 'review', id: review.id },
      clientId,
      event: { topic: TOPICS.trackingReview, key: clientId, data },
    });
    return review;
  });
}

export async function listReviews(
  prisma: PrismaClient,
  principal: Principal,
  rawClientId: string,
): Promise<Review[]> {
  const clientId = clientOf(principal, rawClientId);
  return asActor(prisma, principal, async (tx) => {
    await requireReadable(tx, clientId);
    if (principal.role === 'admin') await recordSupportRead(tx, principal, clientId, 'reviews');
    return tx.review.findMany({ where: { clientId }, orderBy: { weekStart: 'desc' }, take: 104 });
  });
}

export function requireVersion(value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new ValidationError('invalid request', { expectedVersion: 'must be a whole number' });
  }
  return value;
}
