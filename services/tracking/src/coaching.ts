import {
  ConflictError,
  NotFoundError,
  PermissionDeniedError,
  StaleVersionError,
  TOPICS,
  ValidationError,
  type Principal,
  type ReviewRequested,
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
import { record } from './events';
import type { Comment, Goal, Review } from './generated/prisma/client';
import { isoDate, parseInput } from './input';

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

const summarySchema = z.object({
  date: isoDate,
  timeZone: z
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
    ),
});

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

/**
 * The day's sums. A zone the JavaScript runtime knows but PostgreSQL does not (their time-zone
 * databases differ a little, e.g. US/Pacific-New) is the caller's mistake, not a 500.
 */
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
         AND eaten_at < (${date}::date + 1)::timestamp AT TIME ZONE ${timeZone}`.catch((error: unknown) => {
    if (postgresCode(error) === '22023') {
      throw new ValidationError('invalid request', { timeZone: 'is not a time zone this service knows' });
    }
    throw error;
  });
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
});

export async function requestReview(
  prisma: PrismaClient,
  principal: Principal,
  request: { clientId: string; weekStart: string },
): Promise<Review> {
  const clientId = clientOf(principal, request.clientId);
  const { weekStart } = parseInput(weekSchema, request);
  return asActor(prisma, principal, async (tx) => {
    await requireCoachable(tx, clientId);
    const review = await tx.review
      .create({
        data: {
          id: randomUUID(),
          clientId,
          weekStart: new Date(`${weekStart}T00:00:00Z`),
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
    const data: ReviewRequested = { reviewId: review.id, clientId, weekStart };
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
    return tx.review.findMany({ where: { clientId }, orderBy: { weekStart: 'desc' }, take: 104 });
  });
}

export function requireVersion(value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new ValidationError('invalid request', { expectedVersion: 'must be a whole number' });
  }
  return value;
}
