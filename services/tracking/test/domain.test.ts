import {
  ESTIMATION_FAILURE_REASONS,
  mealLoggedSchema,
  reviewRequestedSchema,
  TOPICS,
  type EstimationFailureReason,
} from '@tracking/contracts';
import { newEvent } from '@tracking/kit';

import { listSupportGrants, operationalStats, openSupportAccess } from '../src/admin';
import { dailySummary, getGoals, listComments, listReviews, requestReview, setGoals } from '../src/coaching';
import { asActor, type PrismaClient } from '../src/db';
import { applyAiResult } from '../src/ai-results';
import { acceptInvitation, endLink, inviteClient, listLinks } from '../src/links';
import { deleteMeal, getMeal, listMeals, logMeal, retryMealEstimate, updateMeal } from '../src/meals';
import { logMetric } from '../src/body-metrics';
import { coachedClient, lastMonday, person, trackingDatabase } from './world';

const database = trackingDatabase();
let prisma: PrismaClient;
beforeAll(() => {
  prisma = database();
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
      items: [{ name: 'toast', grams: 80, calories }],
      confidence: 'medium',
      source: 'offline',
      model: 'offline-table-v1',
      estimatedAt: new Date().toISOString(),
    },
  });

const failure = (
  mealId: string,
  mealVersion: number,
  reason: EstimationFailureReason = 'providers_unavailable',
) =>
  newEvent({
    type: 'ai.meal.estimation_failed',
    actor: { service: 'ai-inference', userId: null, role: null },
    data: { mealId, mealVersion, reason, failedAt: new Date().toISOString() },
  });

const applyAs = (event: ReturnType<typeof newEvent>) =>
  asActor(prisma, { system: 'ai-results' }, (tx) => applyAiResult(tx, event));

/** The domain events queued for a meal on tracking.meal.v1, oldest first. */
const mealEvents = (mealId: string) =>
  prisma.$queryRaw<{ type: string; data: unknown }[]>`
    SELECT payload->>'type' AS type, payload->'data' AS data FROM outbox
     WHERE topic = ${TOPICS.trackingMeal} AND message_key = ${mealId} ORDER BY id`;

/** The audit actions recorded about a subject, oldest first. */
const auditActions = async (subjectId: string) =>
  (
    await prisma.$queryRaw<{ action: string; payload: unknown }[]>`
      SELECT payload->'data'->>'action' AS action, payload FROM outbox
       WHERE topic = ${TOPICS.auditEvents} AND message_key = ${subjectId} ORDER BY id`
  ).map((row) => ({ action: row.action, text: JSON.stringify(row.payload) }));

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
    expect(await getMeal(prisma, client, meal.id)).toMatchObject({
      estimateStatus: 'estimated',
      estimateItems: [{ name: 'toast', grams: 80, calories: 400 }],
      estimateConfidence: 'medium',
      estimateModel: 'offline-table-v1',
    });
    const edited = await updateMeal(prisma, client, {
      mealId: meal.id,
      expectedVersion: 1,
      meal: lunch('soup'),
    });
    expect(edited).toMatchObject({
      calories: null,
      estimateStatus: 'pending',
      estimateFailure: null,
      estimateItems: null,
      estimateConfidence: null,
      estimateModel: null,
    });
  });

  test('an edit of a failed estimate’s text makes it pending again and asks for the new text', async () => {
    const client = person('client', 'edit-failed');
    const meal = await logMeal(prisma, client, lunch());
    await applyAs(failure(meal.id, 1, 'invalid_output'));
    const edited = await updateMeal(prisma, client, {
      mealId: meal.id,
      expectedVersion: 1,
      meal: lunch('soup'),
    });
    expect(edited).toMatchObject({ version: 2, estimateStatus: 'pending', estimateFailure: null });
    expect((await mealEvents(meal.id)).map((event) => event.type)).toEqual([
      'tracking.meal.logged',
      'tracking.meal.updated',
    ]);
  });

  test('an edit that keeps the text keeps the estimate, and asks again only while none has come', async () => {
    const client = person('client', 'same-text');
    const estimated = await logMeal(prisma, client, lunch());
    await applyAs(estimate(estimated.id, 1, 500));
    const moved = await updateMeal(prisma, client, {
      mealId: estimated.id,
      expectedVersion: 1,
      meal: { ...lunch(), eatenAt: new Date(Date.now() - 7_200_000) },
    });
    expect(moved).toMatchObject({ version: 2, estimateStatus: 'estimated', calories: 500 });
    expect(await mealEvents(estimated.id)).toHaveLength(1);

    // The estimate of version 1 is on its way when the time is corrected: it will be stale, so
    // the new version is asked for, or the meal would stay pending for ever.
    const waiting = await logMeal(prisma, client, lunch());
    await updateMeal(prisma, client, {
      mealId: waiting.id,
      expectedVersion: 1,
      meal: { ...lunch(), eatenAt: new Date(Date.now() - 7_200_000) },
    });
    const events = await mealEvents(waiting.id);
    expect(events.map((event) => event.type)).toEqual(['tracking.meal.logged', 'tracking.meal.updated']);
    expect(mealLoggedSchema.parse(events[1]?.data)).toMatchObject({ version: 2 });
    await expect(applyAs(estimate(waiting.id, 1, 300))).resolves.toBe('stale');
    await expect(applyAs(estimate(waiting.id, 2, 300))).resolves.toBe('applied');
  });

  test('a failed estimate is stored for the current version only, once, and never over an estimate', async () => {
    const client = person('client', 'failed');
    const meal = await logMeal(prisma, client, lunch());
    await expect(applyAs(failure(meal.id, 1, 'budget_exhausted'))).resolves.toBe('applied');
    expect(await getMeal(prisma, client, meal.id)).toMatchObject({
      estimateStatus: 'failed',
      estimateFailure: 'budget_exhausted',
      calories: null,
    });
    // A duplicate (even with another reason) changes nothing.
    await expect(applyAs(failure(meal.id, 1, 'invalid_output'))).resolves.toBe('stale');
    expect((await getMeal(prisma, client, meal.id)).estimateFailure).toBe('budget_exhausted');
    // An estimate of the same version that comes after all (a retry, a slow provider) wins.
    await expect(applyAs(estimate(meal.id, 1, 420))).resolves.toBe('applied');
    expect(await getMeal(prisma, client, meal.id)).toMatchObject({
      estimateStatus: 'estimated',
      estimateFailure: null,
      calories: 420,
    });
    // A late failure never overwrites a success.
    await expect(applyAs(failure(meal.id, 1))).resolves.toBe('stale');
    expect(await getMeal(prisma, client, meal.id)).toMatchObject({
      estimateStatus: 'estimated',
      calories: 420,
    });

    // A failure of a version that is no longer current is stale too.
    const edited = await logMeal(prisma, client, lunch());
    await updateMeal(prisma, client, { mealId: edited.id, expectedVersion: 1, meal: lunch('soup') });
    await expect(applyAs(failure(edited.id, 1))).resolves.toBe('stale');
    expect((await getMeal(prisma, client, edited.id)).estimateStatus).toBe('pending');
  });

  test('every failure reason the AI service may send can be stored', async () => {
    const client = person('client', 'reasons');
    for (const reason of ESTIMATION_FAILURE_REASONS) {
      const meal = await logMeal(prisma, client, lunch());
      await expect(applyAs(failure(meal.id, 1, reason))).resolves.toBe('applied');
      expect((await getMeal(prisma, client, meal.id)).estimateFailure).toBe(reason);
    }
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

describe('asking again for a failed estimate', () => {
  test('only a failed estimate can be asked for again: otherwise 409 and nothing changes', async () => {
    const client = person('client', 'retry-pending');
    const meal = await logMeal(prisma, client, lunch());
    await expect(retryMealEstimate(prisma, client, { mealId: meal.id, clientId: '' })).rejects.toMatchObject({
      code: 'already_exists',
    });
    await applyAs(estimate(meal.id, 1, 300));
    await expect(retryMealEstimate(prisma, client, { mealId: meal.id, clientId: '' })).rejects.toMatchObject({
      code: 'already_exists',
    });
    expect(await getMeal(prisma, client, meal.id)).toMatchObject({
      estimateStatus: 'estimated',
      calories: 300,
    });
    expect((await mealEvents(meal.id)).map((event) => event.type)).toEqual(['tracking.meal.logged']);
    expect((await auditActions(meal.id)).map((entry) => entry.action)).toEqual(['tracking.meal.logged']);
  });

  test('the client asks again: pending, and the current text goes to the AI service with an audit entry', async () => {
    const client = person('client', 'retry');
    const meal = await logMeal(prisma, client, lunch('a secret stew'));
    await applyAs(failure(meal.id, 1));
    const retried = await retryMealEstimate(prisma, client, { mealId: meal.id, clientId: '' });
    expect(retried).toMatchObject({ version: 1, estimateStatus: 'pending', estimateFailure: null });
    const events = await mealEvents(meal.id);
    expect(events.map((event) => event.type)).toEqual([
      'tracking.meal.logged',
      'tracking.meal.estimate_requested',
    ]);
    expect(mealLoggedSchema.parse(events[1]?.data)).toEqual({
      mealId: meal.id,
      clientId: client.userId,
      version: 1,
      mealType: 'lunch',
      description: 'a secret stew',
      eatenAt: meal.eatenAt.toISOString(),
      // The asker's plan: the AI service bounds estimates per day by it.
      plan: client.plan,
    });
    const audit = await auditActions(meal.id);
    expect(audit.map((entry) => entry.action)).toEqual([
      'tracking.meal.logged',
      'tracking.meal.estimate_requested',
    ]);
    for (const entry of audit) expect(entry.text).not.toContain('secret stew');
    // A second click before the AI service answers is a conflict.
    await expect(retryMealEstimate(prisma, client, { mealId: meal.id, clientId: '' })).rejects.toMatchObject({
      code: 'already_exists',
    });
    await expect(applyAs(estimate(meal.id, 1, 640))).resolves.toBe('applied');
  });

  test('their trainer may ask again, under the client’s name only; another trainer learns nothing', async () => {
    const trainer = person('trainer', 'retry-coach');
    const other = person('trainer', 'retry-other');
    const { client, mealId } = await coachedClient(prisma, trainer, 'retry-coached');
    const sibling = await coachedClient(prisma, trainer, 'retry-sibling');
    await applyAs(failure(mealId, 1));
    await expect(retryMealEstimate(prisma, other, { mealId, clientId: client.userId })).rejects.toMatchObject(
      {
        code: 'not_found',
      },
    );
    await expect(
      retryMealEstimate(prisma, trainer, { mealId, clientId: sibling.client.userId }),
    ).rejects.toMatchObject({ code: 'not_found' });
    expect((await getMeal(prisma, client, mealId)).estimateStatus).toBe('failed');
    await expect(
      retryMealEstimate(prisma, trainer, { mealId, clientId: client.userId }),
    ).resolves.toMatchObject({
      estimateStatus: 'pending',
    });
    const audit = await prisma.$queryRaw<{ role: string }[]>`
      SELECT payload->'actor'->>'role' AS role FROM outbox
       WHERE topic = ${TOPICS.auditEvents} AND message_key = ${mealId}
         AND payload->'data'->>'action' = 'tracking.meal.estimate_requested'`;
    expect(audit).toEqual([{ role: 'trainer' }]);
  });

  test('an admin under break-glass may read a failed meal but not ask for it again', async () => {
    const admin = person('admin', 'retry-admin');
    const client = person('client', 'retry-supported');
    const meal = await logMeal(prisma, client, lunch());
    await applyAs(failure(meal.id, 1));
    await openSupportAccess(prisma, admin, {
      clientId: client.userId,
      reason: 'ticket 7: stuck estimate',
      minutes: 5,
    });
    await expect(
      retryMealEstimate(prisma, admin, { mealId: meal.id, clientId: client.userId }),
    ).rejects.toMatchObject({ code: 'permission_denied' });
    expect((await getMeal(prisma, client, meal.id)).estimateStatus).toBe('failed');
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

describe('weekly reviews', () => {
  test('the request carries the week’s daily totals in the client’s time zone, and the goals', async () => {
    const client = person('client', 'review');
    const monday = '2026-03-02';
    // Berlin is UTC+1 in March. 00:30 on Wednesday there is still Tuesday in UTC, and midnight
    // starting the next Monday there is still the week's Sunday in UTC: the zone decides.
    const at = (local: string) => new Date(`${local}+01:00`);
    const a = await logMeal(prisma, client, { ...lunch('a'), eatenAt: at('2026-03-02T12:00:00') });
    const b = await logMeal(prisma, client, { ...lunch('b'), eatenAt: at('2026-03-02T19:00:00') });
    await logMeal(prisma, client, { ...lunch('c'), eatenAt: at('2026-03-03T23:30:00') });
    await logMeal(prisma, client, { ...lunch('d'), eatenAt: at('2026-03-04T00:30:00') });
    const gone = await logMeal(prisma, client, { ...lunch('e'), eatenAt: at('2026-03-02T13:00:00') });
    await deleteMeal(prisma, client, { mealId: gone.id, expectedVersion: 1 });
    // The Sunday before the week, and the Monday after it: in neither.
    await logMeal(prisma, client, { ...lunch('f'), eatenAt: at('2026-03-01T23:59:00') });
    await logMeal(prisma, client, { ...lunch('g'), eatenAt: at('2026-03-09T00:00:00') });
    await applyAs(estimate(a.id, 1, 600));
    await applyAs(estimate(b.id, 1, 900));
    await logMetric(prisma, client, { recordedAt: at('2026-03-02T07:00:00'), weightKg: 80.2, sleepHours: 7 });
    await logMetric(prisma, client, { recordedAt: at('2026-03-02T21:00:00'), weightKg: 80.6, steps: 9000 });
    await logMetric(prisma, client, { recordedAt: at('2026-03-08T23:00:00'), mood: 4, waterMl: 1500 });
    await logMetric(prisma, client, { recordedAt: at('2026-03-05T08:00:00'), steps: 150_000 });
    await setGoals(prisma, client, {
      clientId: '',
      expectedVersion: 0,
      goals: { calories: 2200, proteinG: 130, carbsG: 240, fatG: 75.5 },
    });

    const review = await requestReview(prisma, client, {
      clientId: '',
      weekStart: monday,
      timeZone: 'Europe/Berlin',
    });
    const [queued, ...others] = await prisma.$queryRaw<{ type: string; data: unknown }[]>`
      SELECT payload->>'type' AS type, payload->'data' AS data FROM outbox
       WHERE topic = ${TOPICS.trackingReview} AND message_key = ${client.userId}`;
    expect(others).toEqual([]);
    expect(queued?.type).toBe('tracking.review.requested');
    const body = reviewRequestedSchema.parse(queued?.data);
    expect(body).toMatchObject({ reviewId: review.id, clientId: client.userId, weekStart: monday });
    expect(body.goals).toEqual({ calories: 2200, proteinG: 130, carbsG: 240, fatG: 75.5 });
    expect(body.days.map((day) => day.date)).toEqual([
      '2026-03-02',
      '2026-03-03',
      '2026-03-04',
      '2026-03-05',
      '2026-03-06',
      '2026-03-07',
      '2026-03-08',
    ]);
    const empty = {
      meals: 0,
      unestimatedMeals: 0,
      calories: 0,
      proteinG: 0,
      carbsG: 0,
      fatG: 0,
      weightKg: null,
      sleepHours: null,
      steps: null,
      waterMl: null,
      mood: null,
    };
    expect(body.days[0]).toEqual({
      ...empty,
      date: '2026-03-02',
      meals: 2,
      calories: 1500,
      proteinG: 40,
      carbsG: 60,
      fatG: 20,
      weightKg: 80.4,
      sleepHours: 7,
      steps: 9000,
    });
    expect(body.days[1]).toEqual({ ...empty, date: '2026-03-03', meals: 1, unestimatedMeals: 1 });
    expect(body.days[2]).toEqual({ ...empty, date: '2026-03-04', meals: 1, unestimatedMeals: 1 });
    // 150 000 steps fit the table but not the event, which caps a day's amounts at 100 000.
    expect(body.days[3]).toEqual({ ...empty, date: '2026-03-05', steps: 100_000 });
    expect(body.days[6]).toEqual({ ...empty, date: '2026-03-08', mood: 4, waterMl: 1500 });
    // Numbers only: no meal text in what the AI service is sent.
    expect(JSON.stringify(queued?.data)).not.toMatch(/"(a|b|c|d)"|lunch/);
  });

  test('without goals the request says so; an unknown time zone is a 400 that records nothing', async () => {
    const client = person('client', 'review-zone');
    await expect(
      requestReview(prisma, client, { clientId: '', weekStart: '2026-03-02', timeZone: 'Mars/Olympus' }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      details: { timeZone: expect.any(String) as string },
    });
    await expect(
      requestReview(prisma, client, { clientId: '', weekStart: '2026-03-02', timeZone: 'US/Pacific-New' }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      details: { timeZone: expect.any(String) as string },
    });
    const review = await requestReview(prisma, client, { clientId: '', weekStart: lastMonday() });
    const [queued] = await prisma.$queryRaw<{ data: unknown }[]>`
      SELECT payload->'data' AS data FROM outbox
       WHERE topic = ${TOPICS.trackingReview} AND message_key = ${client.userId}`;
    const body = reviewRequestedSchema.parse(queued?.data);
    expect(body).toMatchObject({ reviewId: review.id, weekStart: lastMonday(), goals: null });
    expect(body.days[0]?.date).toBe(lastMonday());
  });

  test('a completed review keeps its estimator and model, and a failed one its reason', async () => {
    const trainer = person('trainer', 'review-coach');
    const { reviewId } = await coachedClient(prisma, trainer, 'reviewed');
    const completed = (data: Record<string, unknown>) =>
      applyAs(
        newEvent({
          type: 'ai.review.completed',
          actor: { service: 'ai-inference', userId: null, role: null },
          data: { reviewId, completedAt: new Date().toISOString(), ...data },
        }),
      );
    await expect(
      completed({ status: 'failed', content: '', failureReason: 'providers_unavailable' }),
    ).resolves.toBe('applied');
    await expect(
      completed({ status: 'ready', content: 'Good week', source: 'offline', model: 'm' }),
    ).resolves.toBe('stale');
    const [review] = await asActor(prisma, trainer, (tx) => tx.review.findMany({ where: { id: reviewId } }));
    expect(review).toMatchObject({ status: 'failed', failureReason: 'providers_unavailable', source: null });

    const other = await coachedClient(prisma, trainer, 'reviewed-ready');
    await expect(
      applyAs(
        newEvent({
          type: 'ai.review.completed',
          actor: { service: 'ai-inference', userId: null, role: null },
          data: {
            reviewId: other.reviewId,
            status: 'ready',
            content: 'Good week',
            failureReason: 'invalid_output',
            source: 'anthropic',
            model: 'claude-haiku-4-5',
            completedAt: new Date().toISOString(),
          },
        }),
      ),
    ).resolves.toBe('applied');
    const [ready] = await asActor(prisma, trainer, (tx) =>
      tx.review.findMany({ where: { id: other.reviewId } }),
    );
    expect(ready).toMatchObject({
      status: 'ready',
      failureReason: null,
      source: 'anthropic',
      model: 'claude-haiku-4-5',
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

  test('the invitee is mailed a link to the web app, and the trainer is told once it is accepted', async () => {
    const trainer = person('trainer', 'mailing');
    const invited = person('client', 'mailed');
    const app = { publicBaseUrl: 'https://app.example' };
    /** The mail asked for through the outbox, as the notifications service will receive it. */
    const mailTo = (recipient: object) =>
      prisma.$queryRaw<{ data: { template: string; params: Record<string, unknown> } }[]>`
        SELECT payload->'data' AS data FROM outbox
         WHERE topic = ${TOPICS.notificationsRequested}
           AND payload->'data'->'recipient' = ${JSON.stringify(recipient)}::jsonb ORDER BY id`;

    const invitation = await inviteClient(
      prisma,
      trainer,
      { email: invited.verifiedEmail, inviterName: 'Coach Kim' },
      7,
      app,
    );
    expect((await mailTo({ email: invited.verifiedEmail })).map((row) => row.data)).toEqual([
      {
        template: 'trainer_invitation',
        recipient: { email: invited.verifiedEmail },
        locale: 'en-NZ',
        params: {
          trainerName: 'Coach Kim',
          acceptUrl: `https://app.example/trainers?invitation=${invitation.id}`,
          expiresAt: invitation.expiresAt.toISOString(),
        },
      },
    ]);
    expect(await mailTo({ userId: trainer.userId })).toEqual([]);

    await acceptInvitation(prisma, invited, invitation.id, { accepterName: 'Sam' }, app);
    expect((await mailTo({ userId: trainer.userId })).map((row) => row.data.params)).toEqual([
      { clientName: 'Sam', clientUrl: `https://app.example/clients/${invited.userId}` },
    ]);
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

  test('an admin lists their own open grants, soonest to end first; never another admin’s, never an expired one (#23)', async () => {
    const admin = person('admin', 'admin');
    const other = person('admin', 'other-admin');
    const first = person('client', 'first');
    const second = person('client', 'second');
    const long = await openSupportAccess(prisma, admin, {
      clientId: first.userId,
      reason: 'ticket 44: the long look',
      minutes: 30,
    });
    const short = await openSupportAccess(prisma, admin, {
      clientId: second.userId,
      reason: 'ticket 45: a quick look',
      minutes: 2,
    });
    await openSupportAccess(prisma, other, {
      clientId: first.userId,
      reason: 'ticket 46: another admin',
      minutes: 10,
    });
    expect(await listSupportGrants(prisma, admin)).toEqual([
      expect.objectContaining({
        id: short.grantId,
        adminId: admin.userId,
        clientId: second.userId,
        reason: 'ticket 45: a quick look',
        expiresAt: short.expiresAt,
      }),
      expect.objectContaining({ id: long.grantId, clientId: first.userId, expiresAt: long.expiresAt }),
    ]);
    // Three minutes on, the two-minute grant is over and no longer listed.
    const later = new Date(Date.now() + 3 * 60_000);
    expect((await listSupportGrants(prisma, admin, later)).map((grant) => grant.id)).toEqual([long.grantId]);
    expect((await listSupportGrants(prisma, other)).map((grant) => grant.clientId)).toEqual([first.userId]);
    expect(await listSupportGrants(prisma, person('admin', 'none'))).toEqual([]);
    await expect(listSupportGrants(prisma, first)).rejects.toMatchObject({ code: 'permission_denied' });
    await expect(listSupportGrants(prisma, person('trainer', 'coach'))).rejects.toMatchObject({
      code: 'permission_denied',
    });
  });

  test('every break-glass read of goals, daily summaries, comments and reviews is its own audit entry (#20)', async () => {
    const admin = person('admin', 'admin');
    const client = person('client', 'coached');
    await openSupportAccess(prisma, admin, {
      clientId: client.userId,
      reason: 'ticket 43: goals',
      minutes: 5,
    });
    const reads = async () =>
      (
        await prisma.$queryRaw<{ action: string }[]>`
          SELECT payload->'data'->>'action' AS action FROM outbox
          WHERE payload->>'tenant' = ${client.userId} AND payload->'data'->>'action' LIKE 'tracking.support.read_%'
          ORDER BY id`
      ).map((row) => row.action);
    await getGoals(prisma, admin, client.userId);
    await dailySummary(prisma, admin, { clientId: client.userId, date: '2026-11-20', timeZone: 'UTC' });
    await listComments(prisma, admin, { clientId: client.userId, pageSize: 10, pageToken: '' });
    await listReviews(prisma, admin, client.userId);
    expect(await reads()).toEqual([
      'tracking.support.read_goals',
      'tracking.support.read_daily_summary',
      'tracking.support.read_comments',
      'tracking.support.read_reviews',
    ]);
    // The client's own reads are not break-glass.
    await getGoals(prisma, client, client.userId);
    expect(await reads()).toHaveLength(4);
  });
});
