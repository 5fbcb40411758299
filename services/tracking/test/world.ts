import { randomUUID } from 'node:crypto';
import path from 'node:path';

import type { Principal } from '@tracking/kit';
import { createTestDatabase, type TestDatabase } from '@tracking/testing';

import { requestReview, setGoals, addComment } from '../src/coaching';
import { createPrisma, type PrismaClient } from '../src/db';
import { acceptInvitation, inviteClient } from '../src/links';
import { logMeal } from '../src/meals';
import { logMetric } from '../src/body-metrics';

/**
 * A fresh, migrated tracking database for the calling test file, dropped after it; call at the
 * top level, and read the client inside tests.
 */
export function trackingDatabase(): () => PrismaClient {
  let db: TestDatabase | undefined;
  let prisma: PrismaClient | undefined;
  beforeAll(async () => {
    db = await createTestDatabase(path.join(__dirname, '..', 'migrations'));
    prisma = createPrisma(db.appUrl);
  }, 60_000);
  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.drop();
  });
  return () => {
    if (!prisma) throw new Error('the tracking database is not ready');
    return prisma;
  };
}

/** Someone with a verified email; on the team plan unless a test is about a plan's limits. */
export function person(role: Principal['role'], name: string, plan: Principal['plan'] = 'team'): Principal {
  return {
    userId: randomUUID(),
    role,
    sessionId: randomUUID(),
    verifiedEmail: `${name}-${randomUUID()}@example.test`,
    plan,
  };
}

/** The Monday of the week before this one, as YYYY-MM-DD. */
export function lastMonday(): string {
  const date = new Date();
  date.setUTCDate(date.getUTCDate() - ((date.getUTCDay() + 6) % 7) - 7);
  return date.toISOString().slice(0, 10);
}

export interface ClientRows {
  client: Principal;
  linkId: string;
  mealId: string;
  metricId: string;
  commentId: string;
  reviewId: string;
}

/** A client linked to `trainer`, with one row in every table that holds client data. */
export async function coachedClient(
  prisma: PrismaClient,
  trainer: Principal,
  name: string,
): Promise<ClientRows> {
  const client = person('client', name);
  const invitation = await inviteClient(prisma, trainer, { email: client.verifiedEmail }, 7);
  await acceptInvitation(prisma, client, invitation.id);
  const meal = await logMeal(prisma, client, {
    eatenAt: new Date(Date.now() - 3_600_000),
    mealType: 'lunch',
    description: `${name}'s private lunch`,
    photoRef: '',
  });
  const metric = await logMetric(prisma, client, {
    recordedAt: new Date(),
    weightKg: 70.5,
    mood: 4,
    notes: '',
  });
  await setGoals(prisma, trainer, {
    clientId: client.userId,
    expectedVersion: 0,
    goals: { calories: 2000, proteinG: 120, carbsG: 200, fatG: 70 },
  });
  const comment = await addComment(prisma, trainer, {
    clientId: client.userId,
    mealId: meal.id,
    body: 'Nice',
  });
  const review = await requestReview(prisma, trainer, { clientId: client.userId, weekStart: lastMonday() });
  return {
    client,
    linkId: invitation.id,
    mealId: meal.id,
    metricId: metric.id,
    commentId: comment.id,
    reviewId: review.id,
  };
}
