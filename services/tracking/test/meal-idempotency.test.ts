import { TOPICS } from '@tracking/contracts';

import { asActor, type PrismaClient } from '../src/db';
import { deleteMeal, listMeals, logMeal, updateMeal } from '../src/meals';
import { person, trackingDatabase } from './world';

const database = trackingDatabase();
let prisma: PrismaClient;
beforeAll(() => {
  prisma = database();
});

const eatenAt = new Date(Date.now() - 600_000);
const lunch = (description = 'two eggs on toast') => ({
  eatenAt,
  mealType: 'lunch',
  description,
  photoRef: '',
});

const allMeals = async (client: ReturnType<typeof person>) =>
  (
    await listMeals(prisma, client, {
      clientId: '',
      from: undefined,
      to: undefined,
      pageSize: 0,
      pageToken: '',
    })
  ).meals;

/** How many messages about a meal are queued on a topic. */
const queued = async (topic: string, mealId: string) =>
  (
    await prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM outbox WHERE topic = ${topic} AND message_key = ${mealId}`
  )[0]?.n;

describe('logging a meal with an Idempotency-Key', () => {
  test('a retry with the same key returns the first meal and logs, audits and estimates nothing more', async () => {
    const client = person('client', 'retrying');
    const first = await logMeal(prisma, client, lunch(), 'offline-7f3a');
    const retry = await logMeal(prisma, client, lunch(), 'offline-7f3a');
    expect(retry.id).toBe(first.id);
    expect(retry.version).toBe(first.version);
    expect((await allMeals(client)).map((meal) => meal.id)).toEqual([first.id]);
    expect(await queued(TOPICS.trackingMeal, first.id)).toBe(1n);
    expect(await queued(TOPICS.auditEvents, first.id)).toBe(1n);
  });

  test('requests racing with one key log one meal, and each gets it back', async () => {
    const client = person('client', 'racing');
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => logMeal(prisma, client, lunch('porridge'), 'double-tap')),
    );
    expect(new Set(answers.map((meal) => meal.id)).size).toBe(1);
    expect(await allMeals(client)).toHaveLength(1);
  });

  test('the same key with a different meal is refused and writes nothing', async () => {
    const client = person('client', 'reused');
    const first = await logMeal(prisma, client, lunch('a banana'), 'key-1');
    await expect(logMeal(prisma, client, lunch('a pie'), 'key-1')).rejects.toMatchObject({
      code: 'already_exists',
      details: { 'Idempotency-Key': 'was used for a different meal; send a new key for a new meal' },
    });
    expect((await allMeals(client)).map((meal) => meal.description)).toEqual([first.description]);
  });

  test('a retry answers with the meal as it is now after an edit, and never revives a deleted one', async () => {
    const client = person('client', 'editing');
    const first = await logMeal(prisma, client, lunch(), 'key-2');
    const edited = await updateMeal(prisma, client, {
      mealId: first.id,
      expectedVersion: 1,
      meal: lunch('two eggs on toast, and a flat white'),
    });
    const retry = await logMeal(prisma, client, lunch(), 'key-2');
    expect(retry).toMatchObject({ id: first.id, version: 2, description: edited.description });
    await deleteMeal(prisma, client, { mealId: first.id, expectedVersion: 2 });
    await expect(logMeal(prisma, client, lunch(), 'key-2')).rejects.toMatchObject({ code: 'already_exists' });
    expect(await allMeals(client)).toEqual([]);
  });

  test('keys belong to one client: another client with the same key logs their own meal', async () => {
    const [alice, bob] = [person('client', 'alice'), person('client', 'bob')];
    const mine = await logMeal(prisma, alice, lunch(), 'shared-key');
    const theirs = await logMeal(prisma, bob, lunch(), 'shared-key');
    expect(theirs.id).not.toBe(mine.id);
    expect(theirs.clientId).toBe(bob.userId);
  });

  test('without a key every request is a new meal; a malformed key is a 400 naming it', async () => {
    const client = person('client', 'keyless');
    await logMeal(prisma, client, lunch());
    await logMeal(prisma, client, lunch());
    expect(await allMeals(client)).toHaveLength(2);
    await expect(logMeal(prisma, client, lunch(), 'has space')).rejects.toMatchObject({
      code: 'invalid_argument',
      details: { idempotencyKey: '1 to 100 printable characters, no spaces' },
    });
    await expect(logMeal(prisma, client, lunch(), 'x'.repeat(101))).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });

  test('the key is stored with a digest of the request, never a second copy of the text', async () => {
    const client = person('client', 'stored');
    const meal = await logMeal(prisma, client, lunch('secret soup'), 'key-3');
    const row = await asActor(prisma, client, (tx) => tx.meal.findUnique({ where: { id: meal.id } }));
    expect(row?.idempotencyKey).toBe('key-3');
    expect(row?.idempotencyDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.idempotencyDigest).not.toContain('soup');
  });
});
