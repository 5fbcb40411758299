import { PLANS } from '@tracking/contracts';
import { newEvent } from '@tracking/kit';

import { requestReview } from '../src/coaching';
import { asActor, type PrismaClient } from '../src/db';
import { applyAiResult } from '../src/ai-results';
import { acceptInvitation, endLink, inviteClient, listLinks } from '../src/links';
import { coachedClient, lastMonday, person, trackingDatabase } from './world';

const database = trackingDatabase();
let prisma: PrismaClient;
beforeAll(() => {
  prisma = database();
});

/** The Monday `weeks` weeks before last week's, as YYYY-MM-DD. */
const mondayBefore = (weeks: number) =>
  new Date(Date.parse(`${lastMonday()}T00:00:00Z`) - weeks * 7 * 86_400_000).toISOString().slice(0, 10);

const invite = (trainer: ReturnType<typeof person>, ttlDays = 7) =>
  inviteClient(prisma, trainer, { email: person('client', 'invitee').verifiedEmail }, ttlDays);

describe("a trainer's plan bounds their clients", () => {
  test('on free, the fourth client or invitation is refused with the plan that lifts it, and nothing is written', async () => {
    const trainer = person('trainer', 'free-coach', 'free');
    const { client } = await coachedClient(prisma, trainer, 'first');
    await invite(trainer);
    await invite(trainer);
    await expect(invite(trainer)).rejects.toMatchObject({
      code: 'failed_precondition',
      details: { plan: 'free', limit: String(PLANS.free.clientsPerTrainer), upgrade: 'pro' },
    });
    expect(await listLinks(prisma, trainer)).toHaveLength(PLANS.free.clientsPerTrainer);

    // Ending a link frees its place; the same trainer on pro has room for more.
    const [link] = (await listLinks(prisma, client)).filter((row) => row.status === 'active');
    await endLink(prisma, trainer, link?.id ?? '');
    await expect(invite(trainer)).resolves.toMatchObject({ status: 'pending' });
    await expect(invite(trainer)).rejects.toMatchObject({ code: 'failed_precondition' });
    await expect(invite({ ...trainer, plan: 'pro' })).resolves.toMatchObject({ status: 'pending' });
  });

  test('an invitation that ran out without an answer takes no place', async () => {
    const trainer = person('trainer', 'expired-coach', 'free');
    for (let i = 0; i < PLANS.free.clientsPerTrainer; i++) await invite(trainer, -1);
    for (let i = 0; i < PLANS.free.clientsPerTrainer; i++) await invite(trainer);
    await expect(invite(trainer)).rejects.toMatchObject({ code: 'failed_precondition' });
  });

  test('invitations sent at once cannot both take the last place', async () => {
    const trainer = person('trainer', 'racing-coach', 'free');
    await invite(trainer);
    await invite(trainer);
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => invite(trainer)));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((result) => result.status === 'rejected')).toHaveLength(5);
    expect(await listLinks(prisma, trainer)).toHaveLength(PLANS.free.clientsPerTrainer);
  });

  test('accepting an invitation the plan allowed is never refused for the plan', async () => {
    const trainer = person('trainer', 'full-coach', 'free');
    const invited = person('client', 'accepting');
    await invite(trainer);
    await invite(trainer);
    const invitation = await inviteClient(prisma, trainer, { email: invited.verifiedEmail }, 7);
    await expect(acceptInvitation(prisma, invited, invitation.id)).resolves.toMatchObject({
      status: 'active',
    });
  });
});

describe("AI reviews are bounded by the asker's plan, per client and week", () => {
  test('a free client asks for one review a week; the second is a 429 with the wait, and writes nothing', async () => {
    const trainer = person('trainer', 'quota-coach', 'team');
    const client = person('client', 'quota-client', 'free');
    const invitation = await inviteClient(prisma, trainer, { email: client.verifiedEmail }, 7);
    await acceptInvitation(prisma, client, invitation.id);

    await requestReview(prisma, client, { clientId: client.userId, weekStart: lastMonday() });
    const refused = requestReview(prisma, client, { clientId: client.userId, weekStart: mondayBefore(1) });
    await expect(refused).rejects.toMatchObject({
      code: 'resource_exhausted',
      message: 'the free plan allows 1 AI review a week for each client',
      details: { plan: 'free', limit: '1', upgrade: 'pro' },
    });
    const error = (await refused.catch((caught: unknown) => caught)) as { retryAfterSeconds: number };
    expect(error.retryAfterSeconds).toBeGreaterThan(7 * 86_400 - 60);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(7 * 86_400);
    // The same week again is a conflict, whatever the quota says.
    await expect(
      requestReview(prisma, client, { clientId: client.userId, weekStart: lastMonday() }),
    ).rejects.toMatchObject({ code: 'already_exists' });
    const count = () =>
      asActor(prisma, client, (tx) => tx.review.count({ where: { clientId: client.userId } }));
    expect(await count()).toBe(1);

    // Their trainer, on team, may ask for more reviews of the same client.
    await expect(
      requestReview(prisma, trainer, { clientId: client.userId, weekStart: mondayBefore(1) }),
    ).resolves.toMatchObject({ status: 'requested' });
    expect(await count()).toBe(2);
  });

  test('a review that failed does not count against the quota', async () => {
    const trainer = person('trainer', 'failing-coach', 'free');
    const { client, reviewId } = await coachedClient(prisma, trainer, 'failed-review');
    await expect(
      requestReview(prisma, trainer, { clientId: client.userId, weekStart: mondayBefore(1) }),
    ).rejects.toMatchObject({ code: 'resource_exhausted' });
    const failed = newEvent({
      type: 'ai.review.completed',
      actor: { service: 'ai-inference', userId: null, role: null },
      data: {
        reviewId,
        status: 'failed',
        content: '',
        failureReason: 'providers_unavailable',
        completedAt: new Date().toISOString(),
      },
    });
    await expect(asActor(prisma, { system: 'ai-results' }, (tx) => applyAiResult(tx, failed))).resolves.toBe(
      'applied',
    );
    await expect(
      requestReview(prisma, trainer, { clientId: client.userId, weekStart: mondayBefore(1) }),
    ).resolves.toMatchObject({ status: 'requested' });
  });
});
