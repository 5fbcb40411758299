import path from 'node:path';

import { newEvent } from '@tracking/kit';
import { createTestDatabase, type TestDatabase } from '@tracking/kit/testing';

import { operationalStats, openSupportAccess } from '../src/admin';
import { dailySummary, setGoals } from '../src/coaching';
import { asActor, createPrisma, type PrismaClient } from '../src/db';
import { applyAiResult } from '../src/events';
import { acceptInvitation, endLink, inviteClient, listLinks } from '../src/links';
import { deleteMeal, getMeal, listMeals, logMeal, updateMeal } from '../src/meals';
import { logMetric } from '../src/metrics';
import { coachedClient, person } from './world';

let db: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase(path.join(__dirname, '..', 'migrations'));
  prisma = createPrisma(db.appUrl);
}, 60_000);

afterAll(async () => {
  await prisma.$disconnect();
  await db.drop();
});

const lunch = (description = 'two eggs on toast') => ({
  eatenAt: new Date(Date.now() - 60_000),
  mealType: 'lunch',
  description,
  photoRef: '',
});

const estimate = (mealId: string, mealVersion: number, calories: number) =>
  newEvent({
    type: 'ai.meal.estimated',
    actor: { service: 'ai-inference', userId: null, role: null },
    data: {
      mealId,
      mealVersion,
      calories,
      proteinG: 20,
      carbsG: 30,
      fatG: 10,
      source: 'offline',
      estimatedAt: new Date().toISOString(),
    },
  });

const applyAs = (event: ReturnType<typeof estimate>) =>
  asActor(prisma, { system: 'ai-results' }, (tx) => applyAiResult(tx, event));

describe('meals', () => {
  test('an edit from a stale version is a conflict and changes nothing', async () => {
    const client = person('client', 'stale');
    const meal = await logMeal(prisma, client, lunch());
    await updateMeal(prisma, client, { mealId: meal.id, expectedVersion: 1, meal: lunch('three eggs') });
    await expect(
      updateMeal(prisma, client, { mealId: meal.id, expectedVersion: 1, meal: lunch('lost update') }),
    ).rejects.toMatchObject({ code: 'conflict', details: { currentVersion: '2' } });
    await expect(getMeal(prisma, client, meal.id)).resolves.toMatchObject({
      description: 'three eggs',
      version: 2,
    });
  });

  test('a late estimate of an older version never overwrites a newer edit; a duplicate is a no-op', async () => {
    const client = person('client', 'late');
    const meal = await logMeal(prisma, client, lunch());
    await updateMeal(prisma, client, { mealId: meal.id, expectedVersion: 1, meal: lunch('a large pizza') });
    await expect(applyAs(estimate(meal.id, 1, 300))).resolves.toBe('stale');
    expect((await getMeal(prisma, client, meal.id)).calories).toBeNull();
    await expect(applyAs(estimate(meal.id, 2, 1800))).resolves.toBe('applied');
    await expect(applyAs(estimate(meal.id, 2, 999))).resolves.toBe('stale');
    expect(await getMeal(prisma, client, meal.id)).toMatchObject({ calories: 1800, estimatedVersion: 2 });
  });

  test('changing the text clears the estimate, so a summary never counts calories of the old text', async () => {
    const client = person('client', 'clear');
    const meal = await logMeal(prisma, client, lunch());
    await applyAs(estimate(meal.id, 1, 400));
    const edited = await updateMeal(prisma, client, {
      mealId: meal.id,
      expectedVersion: 1,
      meal: lunch('soup'),
    });
    expect(edited.calories).toBeNull();
  });

  test('the AI results consumer may write estimates and nothing else', async () => {
    const client = person('client', 'ai-only');
    const meal = await logMeal(prisma, client, lunch('private text'));
    await expect(
      asActor(prisma, { system: 'ai-results' }, (tx) =>
        tx.meal.update({ where: { id: meal.id }, data: { description: 'rewritten by a bug' } }),
      ),
    ).rejects.toThrow(/may only write results/);
  });

  test('a deleted meal is gone from every read but its row stays for the audit trail', async () => {
    const client = person('client', 'deleted');
    const meal = await logMeal(prisma, client, lunch());
    await deleteMeal(prisma, client, { mealId: meal.id, expectedVersion: 1 });
    await expect(getMeal(prisma, client, meal.id)).rejects.toMatchObject({ code: 'not_found' });
    const page = await listMeals(prisma, client, {
      clientId: '',
      from: undefined,
      to: undefined,
      pageSize: 0,
      pageToken: '',
    });
    expect(page.meals).toEqual([]);
    const kept = await asActor(prisma, client, (tx) => tx.meal.findUnique({ where: { id: meal.id } }));
    expect(kept?.deletedAt).toBeInstanceOf(Date);
  });

  test('pages follow each other without gaps or repeats', async () => {
    const client = person('client', 'pages');
    const ids = [];
    for (let i = 0; i < 7; i += 1) {
      ids.push(
        (
          await logMeal(prisma, client, {
            ...lunch(`meal ${String(i)}`),
            eatenAt: new Date(Date.now() - i * 60_000),
          })
        ).id,
      );
    }
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await listMeals(prisma, client, {
        clientId: '',
        from: undefined,
        to: undefined,
        pageSize: 3,
        pageToken,
      });
      seen.push(...page.meals.map((meal) => meal.id));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen).toEqual(ids);
    await expect(
      listMeals(prisma, client, {
        clientId: '',
        from: undefined,
        to: undefined,
        pageSize: 3,
        pageToken: 'forged',
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  test('bad input is refused field by field and writes nothing', async () => {
    const client = person('client', 'bad');
    await expect(
      logMeal(prisma, client, {
        eatenAt: new Date(Date.now() + 3 * 86_400_000),
        mealType: 'feast',
        description: ' ',
        photoRef: '',
      }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      details: {
        eatenAt: expect.any(String) as string,
        mealType: expect.any(String) as string,
        description: expect.any(String) as string,
      },
    });
    const page = await listMeals(prisma, client, {
      clientId: '',
      from: undefined,
      to: undefined,
      pageSize: 0,
      pageToken: '',
    });
    expect(page.meals).toEqual([]);
  });
});

describe('metrics', () => {
  test('a value that only breaks a range once rounded to what the column stores is a 400, not a 500', async () => {
    const client = person('client', 'rounding');
    for (const weightKg of [699.999, 0.001]) {
      await expect(logMetric(prisma, client, { recordedAt: new Date(), weightKg })).rejects.toMatchObject({
        code: 'invalid_argument',
        details: { weightKg: expect.any(String) as string },
      });
    }
    await expect(
      logMetric(prisma, client, { recordedAt: new Date(), sleepHours: 23.999 }),
    ).resolves.toMatchObject({
      sleepHours: expect.anything() as unknown,
    });
  });
});

describe('daily summaries', () => {
  test('sum one local day’s estimated meals against the goals and count the unestimated apart', async () => {
    const client = person('client', 'summary');
    const noon = new Date('2026-11-20T12:00:00+13:00');
    const a = await logMeal(prisma, client, { ...lunch('a'), eatenAt: noon });
    await logMeal(prisma, client, { ...lunch('b'), eatenAt: new Date(noon.getTime() + 3_600_000) });
    // 23:30 the day before in Auckland: another day there, the same day in UTC.
    await logMeal(prisma, client, { ...lunch('c'), eatenAt: new Date('2026-11-19T23:30:00+13:00') });
    await applyAs(estimate(a.id, 1, 650));
    await setGoals(prisma, client, {
      clientId: '',
      expectedVersion: 0,
      goals: { calories: 2000, proteinG: 100, carbsG: 250, fatG: 60 },
    });
    const summary = await dailySummary(prisma, client, {
      clientId: '',
      date: '2026-11-20',
      timeZone: 'Pacific/Auckland',
    });
    expect(summary).toMatchObject({ meals: 2, mealsUnestimated: 1, calories: 650, proteinG: 20 });
    expect(summary.goals?.calories).toBe(2000);
    await expect(
      dailySummary(prisma, client, { clientId: '', date: '2026-11-20', timeZone: 'Mars/Olympus' }),
    ).rejects.toMatchObject({ code: 'invalid_argument' });
    // Known to the JavaScript runtime, unknown to PostgreSQL: still the caller's 400.
    await expect(
      dailySummary(prisma, client, { clientId: '', date: '2026-11-20', timeZone: 'US/Pacific-New' }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      details: { timeZone: expect.any(String) as string },
    });
  });
});

describe('trainer–client links', () => {
  test('a client has at most one trainer at a time', async () => {
    const first = person('trainer', 'first');
    const second = person('trainer', 'second');
    const { client } = await coachedClient(prisma, first, 'one-trainer');
    const invitation = await inviteClient(prisma, second, { email: client.verifiedEmail }, 7);
    await expect(acceptInvitation(prisma, client, invitation.id)).rejects.toMatchObject({
      code: 'failed_precondition',
    });
  });

  test('an invitation is offered only to the verified owner of the address', async () => {
    const trainer = person('trainer', 'inviter');
    const invited = person('client', 'invited');
    const stranger = person('client', 'stranger');
    const invitation = await inviteClient(
      prisma,
      trainer,
      { email: invited.verifiedEmail?.toUpperCase() },
      7,
    );
    expect(await listLinks(prisma, stranger)).toEqual([]);
    await expect(acceptInvitation(prisma, stranger, invitation.id)).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(
      acceptInvitation(prisma, { ...invited, verifiedEmail: null }, invitation.id),
    ).rejects.toMatchObject({
      code: 'failed_precondition',
    });
    expect((await listLinks(prisma, invited)).map((link) => link.id)).toEqual([invitation.id]);
    await endLink(prisma, invited, invitation.id);
    expect((await listLinks(prisma, invited))[0]?.status).toBe('declined');
  });
});

describe('admins', () => {
  test('see counts with no client ids or text, and a client’s meals only through audited break-glass', async () => {
    const admin = person('admin', 'admin');
    const client = person('client', 'supported');
    const meal = await logMeal(prisma, client, lunch('private'));
    const stats = await operationalStats(prisma, admin, 7);
    expect(stats[0]?.mealsLogged).toBeGreaterThan(0);
    expect(JSON.stringify(stats)).not.toContain(client.userId);
    await expect(getMeal(prisma, admin, meal.id)).rejects.toMatchObject({ code: 'not_found' });
    await openSupportAccess(prisma, admin, {
      clientId: client.userId,
      reason: 'ticket 42: missing meals',
      minutes: 5,
    });
    await expect(getMeal(prisma, admin, meal.id)).resolves.toMatchObject({ description: 'private' });
    const audited = await prisma.$queryRaw<{ action: string }[]>`
      SELECT payload->'data'->>'action' AS action FROM outbox WHERE payload->>'tenant' = ${client.userId}`;
    expect(audited.map((row) => row.action)).toEqual(
      expect.arrayContaining(['tracking.support.opened', 'tracking.support.read_meal']),
    );
    await expect(
      openSupportAccess(prisma, admin, { clientId: client.userId, reason: 'x', minutes: 600 }),
    ).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});
