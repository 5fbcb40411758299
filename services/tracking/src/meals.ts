import { MEAL_TYPES, TOPICS, type MealLogged } from '@tracking/contracts';
import {
  ConflictError,
  DomainError,
  NotFoundError,
  PermissionDeniedError,
  StaleVersionError,
  type Principal,
} from '@tracking/kit';
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';

import {
  afterCursor,
  clientOf,
  decodeCursor,
  keysetPage,
  ownRowAt,
  pageSize,
  requireReadable,
  rowId,
} from './access';
import { asActor, prismaCode, type PrismaClient, type Tx } from './db';
import { Prisma, type Meal as MealRow } from './generated/prisma/client';
import { record } from './changes';
import { parseInput, timeRange, whenSchema } from './input';

export const mealInputSchema = z.object({
  eatenAt: whenSchema,
  mealType: z.enum(MEAL_TYPES.names),
  description: z.string().trim().min(1, { message: 'describe the meal' }).max(2000),
  /** A reference to a photo stored elsewhere later; never the image itself. */
  photoRef: z
    .string()
    .max(200)
    .regex(/^$|^[A-Za-z0-9][A-Za-z0-9._/-]*$/, { message: 'letters, digits, ".", "_", "/", "-" only' }),
});
export type MealInput = z.infer<typeof mealInputSchema>;

export type MealView = MealRow;

/** The estimate request for `meal`, under the plan of `asker` (docs/billing.md). */
function mealEvent(meal: MealRow, asker: Principal): MealLogged {
  return {
    mealId: meal.id,
    clientId: meal.clientId,
    version: meal.version,
    mealType: meal.mealType,
    description: meal.description,
    eatenAt: meal.eatenAt.toISOString(),
    plan: asker.plan,
  };
}

function requireClient(principal: Principal): void {
  if (principal.role !== 'client') throw new PermissionDeniedError('only clients log meals');
}

/** An Idempotency-Key as the client sent it: printable ASCII, no spaces, at most 100 characters. */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,100}$/, { message: '1 to 100 printable characters, no spaces' });

/** Which meal a request asked for, so a reused key with another meal can be told apart. */
function requestDigest(input: MealInput): string {
  const fields = [input.eatenAt.toISOString(), input.mealType, input.description, input.photoRef];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

/**
 * Logs a meal. With an `idempotencyKey` (the client's Idempotency-Key header), a retry of the
 * same request returns the meal the first one logged and writes nothing: a client that lost the
 * answer on a bad connection can send it again without logging the meal twice.
 */
export async function logMeal(
  prisma: PrismaClient,
  principal: Principal,
  raw: unknown,
  idempotencyKey = '',
): Promise<MealView> {
  requireClient(principal);
  const input = parseInput(mealInputSchema, raw);
  if (!idempotencyKey) return insertMeal(prisma, principal, input, null);
  const key = parseInput(z.object({ idempotencyKey: idempotencyKeySchema }), {
    idempotencyKey,
  }).idempotencyKey;
  const request = { key, digest: requestDigest(input) };
  const earlier = await mealLoggedWith(prisma, principal, request);
  if (earlier) return earlier;
  try {
    return await insertMeal(prisma, principal, input, request);
  } catch (error) {
    // Two requests with one key at once: the unique index lets one insert, and the other waits
    // for it and then answers as a retry would.
    if (prismaCode(error) !== 'P2002') throw error;
    const winner = await mealLoggedWith(prisma, principal, request);
    if (!winner) throw error;
    return winner;
  }
}

/** The meal an earlier request with this key logged, if any; refused if it was another meal. */
async function mealLoggedWith(
  prisma: PrismaClient,
  principal: Principal,
  request: { key: string; digest: string },
): Promise<MealView | undefined> {
  const meal = await asActor(prisma, principal, (tx) =>
    tx.meal.findFirst({ where: { clientId: principal.userId, idempotencyKey: request.key } }),
  );
  if (!meal) return undefined;
  if (meal.idempotencyDigest !== request.digest) {
    throw new DomainError('already_exists', 'this Idempotency-Key was used for a different meal', {
      'Idempotency-Key': 'was used for a different meal; send a new key for a new meal',
    });
  }
  if (meal.deletedAt) throw new ConflictError('the meal logged with this Idempotency-Key was deleted since');
  return meal;
}

async function insertMeal(
  prisma: PrismaClient,
  principal: Principal,
  input: MealInput,
  idempotency: { key: string; digest: string } | null,
): Promise<MealView> {
  return asActor(prisma, principal, async (tx) => {
    const meal = await tx.meal.create({
      data: {
        id: randomUUID(),
        clientId: principal.userId,
        eatenAt: input.eatenAt,
        mealType: input.mealType,
        description: input.description,
        photoRef: input.photoRef || null,
        idempotencyKey: idempotency?.key ?? null,
        idempotencyDigest: idempotency?.digest ?? null,
      },
    });
    await record(tx, principal, {
      action: 'tracking.meal.logged',
      subject: { type: 'meal', id: meal.id },
      clientId: meal.clientId,
      event: { topic: TOPICS.trackingMeal, key: meal.id, data: mealEvent(meal, principal) },
    });
    return meal;
  });
}

/** A live meal the caller may read; NOT_FOUND for one they may not (or that is deleted). */
async function readableMeal(tx: Tx, id: string): Promise<MealRow> {
  const meal = await tx.meal.findFirst({ where: { id: rowId(id, 'meal'), deletedAt: null } });
  if (!meal) throw new NotFoundError('no such meal');
  return meal;
}

export async function getMeal(prisma: PrismaClient, principal: Principal, id: string): Promise<MealView> {
  return asActor(prisma, principal, async (tx) => {
    const meal = await readableMeal(tx, id);
    if (principal.role === 'admin') await recordSupportRead(tx, principal, meal.clientId, 'meal');
    return meal;
  });
}

export async function listMeals(
  prisma: PrismaClient,
  principal: Principal,
  request: {
    clientId: string;
    from: Date | undefined;
    to: Date | undefined;
    pageSize: number;
    pageToken: string;
  },
): Promise<{ meals: MealView[]; nextPageToken: string }> {
  const clientId = clientOf(principal, request.clientId);
  const size = pageSize(request.pageSize);
  const cursor = decodeCursor(request.pageToken);
  const range = timeRange(request.from, request.to);
  return asActor(prisma, principal, async (tx) => {
    await requireReadable(tx, clientId);
    if (principal.role === 'admin') await recordSupportRead(tx, principal, clientId, 'meals');
    const meals = await tx.meal.findMany({
      where: { clientId, deletedAt: null, eatenAt: range, ...afterCursor('eatenAt', cursor) },
      orderBy: [{ eatenAt: 'desc' }, { id: 'desc' }],
      take: size + 1,
    });
    const { items, nextPageToken } = keysetPage(meals, size, (meal) => meal.eatenAt);
    return { meals: items, nextPageToken };
  });
}

async function ownMealAt(
  tx: Tx,
  principal: Principal,
  id: string,
  expectedVersion: number,
): Promise<MealRow> {
  return ownRowAt(principal, await readableMeal(tx, id), expectedVersion, 'meals');
}

export async function updateMeal(
  prisma: PrismaClient,
  principal: Principal,
  request: { mealId: string; expectedVersion: number; meal: unknown },
): Promise<MealView> {
  const input = parseInput(mealInputSchema, request.meal);
  return asActor(prisma, principal, async (tx) => {
    const current = await ownMealAt(tx, principal, request.mealId, request.expectedVersion);
    const textChanged = current.description !== input.description;
    // An estimate names the version it was made from, so one still on its way for this version
    // will be stale once the edit bumps it: ask again for the new version, even if the text is
    // the same, or the meal would wait for an estimate forever.
    const askAgain = textChanged || current.estimateStatus === 'pending';
    // The version in the WHERE makes the check and the write one step: of two concurrent edits
    // from the same version, exactly one matches.
    const { count } = await tx.meal.updateMany({
      where: { id: current.id, version: current.version },
      data: {
        eatenAt: input.eatenAt,
        mealType: input.mealType,
        description: input.description,
        photoRef: input.photoRef || null,
        version: { increment: 1 },
        updatedAt: new Date(),
        // An estimate of the old text would be wrong for the new one.
        ...(textChanged
          ? {
              calories: null,
              proteinG: null,
              carbsG: null,
              fatG: null,
              estimateSource: null,
              estimatedAt: null,
              estimatedVersion: null,
              estimateStatus: 'pending',
              estimateFailure: null,
              estimateItems: Prisma.DbNull,
              estimateConfidence: null,
              estimateModel: null,
            }
          : {}),
      },
    });
    if (count !== 1) throw new StaleVersionError(current.version + 1);
    const meal = await readableMeal(tx, current.id);
    await record(tx, principal, {
      action: 'tracking.meal.updated',
      subject: { type: 'meal', id: meal.id },
      clientId: meal.clientId,
      ...(askAgain
        ? { event: { topic: TOPICS.trackingMeal, key: meal.id, data: mealEvent(meal, principal) } }
        : {}),
    });
    return meal;
  });
}

/**
 * Asks the AI service again for an estimate of the meal's current text, after it failed: the
 * client, or a trainer who coaches them. Only a failed estimate can be asked for again, so a
 * second click (or a retry racing an estimate) changes nothing and is a conflict.
 */
export async function retryMealEstimate(
  prisma: PrismaClient,
  principal: Principal,
  request: { mealId: string; clientId: string },
): Promise<MealView> {
  if (principal.role !== 'client' && principal.role !== 'trainer') {
    throw new PermissionDeniedError('only the client or their trainer asks for an estimate');
  }
  const clientId = clientOf(principal, request.clientId);
  return asActor(prisma, principal, async (tx) => {
    const current = await readableMeal(tx, request.mealId);
    // A trainer names the client: a meal of another of their clients is not under that name.
    if (current.clientId !== clientId) throw new NotFoundError('no such meal');
    // The status in the WHERE makes the check and the write one step: of two concurrent retries,
    // exactly one matches. Row-level security lets a trainer change only a failed estimate.
    const { count } = await tx.meal.updateMany({
      where: { id: current.id, version: current.version, deletedAt: null, estimateStatus: 'failed' },
      data: { estimateStatus: 'pending', estimateFailure: null },
    });
    if (count !== 1) throw new ConflictError('only a failed estimate can be asked for again');
    const meal = await readableMeal(tx, current.id);
    await record(tx, principal, {
      action: 'tracking.meal.estimate_requested',
      subject: { type: 'meal', id: meal.id },
      clientId: meal.clientId,
      event: { topic: TOPICS.trackingMeal, key: meal.id, data: mealEvent(meal, principal) },
    });
    return meal;
  });
}

/** A soft delete: the row stays (the audit log refers to it) but no read returns it again. */
export async function deleteMeal(
  prisma: PrismaClient,
  principal: Principal,
  request: { mealId: string; expectedVersion: number },
): Promise<void> {
  await asActor(prisma, principal, async (tx) => {
    const current = await ownMealAt(tx, principal, request.mealId, request.expectedVersion);
    const { count } = await tx.meal.updateMany({
      where: { id: current.id, version: current.version, deletedAt: null },
      data: { deletedAt: new Date(), version: { increment: 1 } },
    });
    if (count !== 1) throw new StaleVersionError(current.version + 1);
    await record(tx, principal, {
      action: 'tracking.meal.deleted',
      subject: { type: 'meal', id: current.id },
      clientId: current.clientId,
      event: {
        topic: TOPICS.trackingMeal,
        key: current.id,
        data: { mealId: current.id, clientId: current.clientId, version: current.version + 1 },
      },
    });
  });
}

/** Every read of a client's logs through break-glass access is its own audit entry. */
export async function recordSupportRead(
  tx: Tx,
  principal: Principal,
  clientId: string,
  what: string,
): Promise<void> {
  await record(tx, principal, {
    action: `tracking.support.read_${what}`,
    subject: { type: 'support_access', id: clientId },
    clientId,
  });
}
