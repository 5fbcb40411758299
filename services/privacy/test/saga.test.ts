import { randomUUID } from 'node:crypto';

import {
  PRIVACY_EVENT_TYPES,
  PRIVACY_PARTICIPANTS,
  PRIVACY_TOPICS,
  TOPICS,
  type PrivacyParticipant,
} from '@tracking/contracts';
import { newEvent } from '@tracking/kit';

import {
  cancelErasure,
  getErasure,
  getExport,
  listRequests,
  openExportDownload,
  requestErasure,
  requestExport,
  transaction,
} from '../src/requests';
import { applyStepAnswer, purgeExpiredExports, runSagaTimer, startDueErasures } from '../src/saga';
import { admin, APP, client, sagaFixture, type SagaFixture } from './support';

const PARTICIPANT = { service: 'tracking', userId: null, role: null };

function answer(type: string, data: Record<string, unknown>) {
  return newEvent({ type, actor: PARTICIPANT, data });
}

async function complete(
  fixture: SagaFixture,
  requestId: string,
  kind: 'export' | 'erasure',
  service: PrivacyParticipant,
  extra: Record<string, unknown> = {},
) {
  const event = answer(PRIVACY_EVENT_TYPES.stepCompleted, { requestId, kind, service, ...extra });
  return transaction(fixture.pool, (sql) => applyStepAnswer(fixture.deps, sql, event));
}

async function metric(fixture: SagaFixture, name: string, labels: Record<string, string> = {}) {
  const found = (await fixture.registry.registry.getMetricsAsJSON()).find((entry) => entry.name === name);
  const value = found?.values.find((entry) =>
    Object.entries(labels).every(([key, wanted]) => entry.labels[key] === wanted),
  );
  return value?.value;
}

let fixture: SagaFixture;
beforeEach(async () => {
  fixture = await sagaFixture();
});
afterEach(async () => {
  await fixture.close();
});

describe('an export', () => {
  it('asks every participant once, assembles when all parts are in, tells the person and expires after its window', async () => {
    const me = randomUUID();
    const first = await requestExport(fixture.deps, client(me), '');
    expect(first.existing).toBe(false);
    expect(first.request).toMatchObject({
      kind: 'export',
      subjectId: me,
      requestedBy: me,
      state: 'collecting',
    });
    expect(first.request.steps.map((step) => step.service).sort()).toEqual([...PRIVACY_PARTICIPANTS].sort());
    expect(first.request.dueAt.getTime() - first.request.requestedAt.getTime()).toBeGreaterThan(
      27 * 86_400_000,
    );

    // A second request while it runs is the same request, and asks nobody again.
    const second = await requestExport(fixture.deps, client(me), '');
    expect(second).toMatchObject({ existing: true, request: { id: first.request.id } });
    const asked = (await fixture.outbox()).filter((event) => event.topic === PRIVACY_TOPICS.request);
    expect(asked).toEqual([
      {
        topic: PRIVACY_TOPICS.request,
        key: me,
        type: PRIVACY_EVENT_TYPES.exportRequested,
        data: {
          requestId: first.request.id,
          subjectId: me,
          requestedAt: first.request.requestedAt.toISOString(),
          partPrefix: `exports/${first.request.id}/`,
        },
      },
    ]);
    expect(await metric(fixture, 'privacy_requests_open', { kind: 'export' })).toBe(1);
    expect(await metric(fixture, 'privacy_steps_pending', { service: 'billing' })).toBe(1);

    const file = {
      name: 'meals.csv',
      key: `exports/${first.request.id}/tracking/meals.csv.age`,
      bytes: 10,
      sha256: 'a'.repeat(64),
    };
    for (const service of PRIVACY_PARTICIPANTS) {
      const { assemble } = await complete(fixture, first.request.id, 'export', service, {
        files: service === 'tracking' ? [file] : [],
        counts: { rows: 1 },
      });
      expect(assemble).toBe(service === PRIVACY_PARTICIPANTS.at(-1));
    }
    // The same answer again changes nothing.
    expect(await complete(fixture, first.request.id, 'export', 'tracking')).toEqual({ assemble: false });
    expect((await getExport(fixture.deps, client(me), first.request.id)).state).toBe('assembling');

    // A store that is down delays the export; the next run assembles it.
    fixture.exports.failNext = true;
    await runSagaTimer(fixture.deps);
    expect((await getExport(fixture.deps, client(me), first.request.id)).state).toBe('assembling');
    await runSagaTimer(fixture.deps);
    const ready = await getExport(fixture.deps, client(me), first.request.id);
    expect(ready.state).toBe('ready');
    const expiresAt = ready.expiresAt ?? new Date(0);
    expect(expiresAt.getTime() - (ready.finishedAt ?? new Date(0)).getTime()).toBe(7 * 86_400_000);
    expect(ready.steps.find((step) => step.service === 'tracking')).toMatchObject({
      state: 'completed',
      counts: { rows: 1 },
      files: [file],
    });
    const mail = (await fixture.outbox()).find((event) => event.topic === TOPICS.notificationsRequested);
    expect(mail?.data).toEqual({
      template: 'data_export_ready',
      recipient: { userId: me },
      locale: 'en-NZ',
      params: {
        downloadUrl: `${APP}/account/privacy?export=${first.request.id}`,
        expiresAt: expiresAt.toISOString(),
      },
    });
    expect(await metric(fixture, 'privacy_requests_total', { kind: 'export', outcome: 'ready' })).toBe(1);
    expect(await metric(fixture, 'privacy_requests_open', { kind: 'export' })).toBe(0);

    // Its subject downloads it; nobody else can, not even an admin: not found, as a missing one.
    const download = await openExportDownload(fixture.deps, client(me), first.request.id);
    expect(download.fileName).toMatch(/^tracking-export-\d{4}-\d{2}-\d{2}\.zip$/);
    const bytes: Buffer[] = [];
    for await (const chunk of await download.open()) bytes.push(chunk as Buffer);
    expect(Buffer.concat(bytes).length).toBe(download.sizeBytes);
    for (const other of [client(randomUUID()), admin(randomUUID())]) {
      await expect(openExportDownload(fixture.deps, other, first.request.id)).rejects.toMatchObject({
        code: 'not_found',
      });
    }
    await expect(getExport(fixture.deps, client(randomUUID()), first.request.id)).rejects.toMatchObject({
      code: 'not_found',
    });
    expect((await getExport(fixture.deps, admin(randomUUID()), first.request.id)).id).toBe(first.request.id);

    // After 7 days the object is deleted and the download refused.
    await fixture.age(first.request.id, 'expires_at', 7 * 86_400_000 + 1_000);
    expect(await purgeExpiredExports(fixture.deps)).toEqual({ expired: 1 });
    expect(fixture.exports.objects.size).toBe(0);
    expect((await getExport(fixture.deps, client(me), first.request.id)).state).toBe('expired');
    await expect(openExportDownload(fixture.deps, client(me), first.request.id)).rejects.toMatchObject({
      code: 'failed_precondition',
    });
    expect(await metric(fixture, 'privacy_export_purge_last_success_timestamp_seconds')).toBeGreaterThan(
      Date.now() / 1000 - 60,
    );
    const audited = (await fixture.outbox())
      .filter((event) => event.topic === TOPICS.auditEvents)
      .map((event) => event.data.action);
    expect(audited).toEqual([
      'privacy.export.requested',
      'privacy.export.ready',
      'privacy.export.downloaded',
      'privacy.export.expired',
    ]);

    // Now a new export may start.
    expect((await requestExport(fixture.deps, client(me), '')).existing).toBe(false);
  });

  it("fails with the participant's reason, visible to admins, when a step fails", async () => {
    const me = randomUUID();
    const { request } = await requestExport(fixture.deps, client(me), '');
    const failed = answer(PRIVACY_EVENT_TYPES.stepFailed, {
      requestId: request.id,
      kind: 'export',
      service: 'billing',
      reason: 'Stripe answered 500 three times',
    });
    await transaction(fixture.pool, (sql) => applyStepAnswer(fixture.deps, sql, failed));
    const page = await listRequests(fixture.deps, admin(randomUUID()), {
      kind: 'export',
      state: 'failed',
      subjectId: me,
      limit: 0,
      cursor: '',
    });
    expect(page.requests).toHaveLength(1);
    expect(page.requests[0]).toMatchObject({
      state: 'failed',
      failure: 'billing: Stripe answered 500 three times',
    });
    expect(page.requests[0]?.steps.find((step) => step.service === 'billing')?.state).toBe('failed');
    expect(await metric(fixture, 'privacy_requests_total', { kind: 'export', outcome: 'failed' })).toBe(1);
  });

  it('lists a person their own requests alone, newest first, and refuses to list anyone else’s', async () => {
    const me = randomUUID();
    const someoneElse = randomUUID();
    const { request: mine } = await requestExport(fixture.deps, client(me), '');
    await requestExport(fixture.deps, client(someoneElse), '');
    const everything = { kind: '', state: '', subjectId: '', limit: 0, cursor: '' };
    const page = await listRequests(fixture.deps, client(me), everything);
    expect(page.requests.map((request) => request.id)).toEqual([mine.id]);
    // The open count is the person's own, never the service's load.
    expect(page).toMatchObject({ openCount: 1, nextCursor: '' });
    const exports = await listRequests(fixture.deps, client(me), {
      ...everything,
      kind: 'export',
      subjectId: me,
    });
    expect(exports.requests.map((request) => request.id)).toEqual([mine.id]);
    expect(
      (await listRequests(fixture.deps, client(me), { ...everything, kind: 'erasure' })).requests,
    ).toEqual([]);
    await expect(
      listRequests(fixture.deps, client(me), { ...everything, subjectId: someoneElse }),
    ).rejects.toMatchObject({ code: 'permission_denied' });
    // An admin on their own account page asks for their own, and gets nobody else's.
    const boss = admin(randomUUID());
    const { request: theirs } = await requestExport(fixture.deps, boss, '');
    const own = await listRequests(fixture.deps, boss, { ...everything, own: true });
    expect(own.requests.map((request) => request.id)).toEqual([theirs.id]);
    expect(own.openCount).toBe(1);
  });

  it('lists every request for an admin, newest first, a page at a time, with the open count', async () => {
    const people = [randomUUID(), randomUUID(), randomUUID()];
    for (const person of people) await requestExport(fixture.deps, client(person), '');
    const boss = admin(randomUUID());
    const filter = { kind: 'export', state: '', subjectId: '', limit: 2, cursor: '' };
    const first = await listRequests(fixture.deps, boss, filter);
    expect(first.requests.map((request) => request.subjectId)).toEqual([people[2], people[1]]);
    expect(first.openCount).toBe(3);
    expect(first.nextCursor).not.toBe('');
    const second = await listRequests(fixture.deps, boss, { ...filter, cursor: first.nextCursor });
    expect(second.requests.map((request) => request.subjectId)).toEqual([people[0]]);
    expect(second.nextCursor).toBe('');
    await expect(listRequests(fixture.deps, boss, { ...filter, cursor: 'forged' })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    await expect(listRequests(fixture.deps, boss, { ...filter, state: 'dropped' })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });

  it('sends answers it cannot apply to the dead-letter topic (unknown request, wrong body)', async () => {
    const unknown = answer(PRIVACY_EVENT_TYPES.stepCompleted, {
      requestId: randomUUID(),
      kind: 'export',
      service: 'audit',
    });
    await expect(
      transaction(fixture.pool, (sql) => applyStepAnswer(fixture.deps, sql, unknown)),
    ).rejects.toMatchObject({ name: 'PoisonMessageError' });
    const invalid = answer(PRIVACY_EVENT_TYPES.stepCompleted, {
      requestId: 'x',
      kind: 'export',
      service: 'gateway',
    });
    await expect(
      transaction(fixture.pool, (sql) => applyStepAnswer(fixture.deps, sql, invalid)),
    ).rejects.toMatchObject({ name: 'PoisonMessageError' });
  });
});

describe('an erasure', () => {
  it('waits out the cooling-off period, can be cancelled during it, and then no longer', async () => {
    const me = randomUUID();
    const { request } = await requestErasure(fixture.deps, client(me), '', '');
    expect(request.state).toBe('scheduled');
    const scheduledFor = request.scheduledFor ?? new Date(0);
    expect(scheduledFor.getTime() - request.requestedAt.getTime()).toBe(3_600_000);
    const mail = (await fixture.outbox()).find((event) => event.topic === TOPICS.notificationsRequested);
    expect(mail?.data).toMatchObject({
      template: 'account_deletion_scheduled',
      recipient: { userId: me },
      params: { scheduledFor: scheduledFor.toISOString(), cancelUrl: `${APP}/account/privacy` },
    });
    expect((await requestErasure(fixture.deps, client(me), '', '')).existing).toBe(true);

    // Not yet due: the timer leaves it.
    expect(await startDueErasures(fixture.deps)).toBe(0);
    await expect(cancelErasure(fixture.deps, client(randomUUID()), request.id)).rejects.toMatchObject({
      code: 'not_found',
    });
    expect((await cancelErasure(fixture.deps, client(me), request.id)).state).toBe('cancelled');
    await expect(cancelErasure(fixture.deps, client(me), request.id)).rejects.toMatchObject({
      code: 'failed_precondition',
    });
    expect(fixture.ledger.writes).toBe(0);

    // A new request, left to run out: once it has begun it cannot be cancelled.
    const again = await requestErasure(fixture.deps, client(me), '', '');
    expect(again.existing).toBe(false);
    await fixture.age(again.request.id, 'scheduled_for', 3_600_000);
    expect(await startDueErasures(fixture.deps)).toBe(1);
    await expect(cancelErasure(fixture.deps, client(me), again.request.id)).rejects.toMatchObject({
      code: 'failed_precondition',
    });
    expect((await getErasure(fixture.deps, client(me), ''))?.id).toBe(again.request.id);
  });

  it('writes the ledger first, erases everyone but auth, then auth, and completes once', async () => {
    const me = randomUUID();
    const { request } = await requestErasure(fixture.deps, client(me), '', '');
    await fixture.age(request.id, 'scheduled_for', 3_600_000);
    await runSagaTimer(fixture.deps);

    const erasing = await getErasure(fixture.deps, client(me), '');
    expect(erasing).toMatchObject({ state: 'erasing', phase: 1 });
    expect(fixture.ledger.entries.get(me)).toEqual({
      subjectId: me,
      requestId: request.id,
      erasingSince: erasing?.erasingSince?.toISOString(),
    });
    const phases = async () =>
      (await fixture.outbox())
        .filter((event) => event.type === PRIVACY_EVENT_TYPES.erasureRequested)
        .map((event) => event.data.phase);
    expect(await phases()).toEqual([1]);
    expect(await metric(fixture, 'privacy_steps_pending', { service: 'tracking' })).toBe(1);
    expect(await metric(fixture, 'privacy_steps_pending', { service: 'auth' })).toBe(0);

    // auth cannot answer phase 1: it runs in phase 2.
    await expect(complete(fixture, request.id, 'erasure', 'auth', { phase: 1 })).rejects.toMatchObject({
      name: 'PoisonMessageError',
    });
    for (const service of ['tracking', 'ai-inference', 'billing', 'audit'] as const) {
      await complete(fixture, request.id, 'erasure', service, { phase: 1, counts: { rows: 2 } });
    }
    await complete(fixture, request.id, 'erasure', 'billing', { phase: 1 });
    expect(await phases()).toEqual([1, 2]);
    expect((await getErasure(fixture.deps, client(me), ''))?.state).toBe('erasing');

    await complete(fixture, request.id, 'erasure', 'auth', { phase: 2, counts: { users: 1 } });
    await complete(fixture, request.id, 'erasure', 'auth', { phase: 2, counts: { users: 1 } });
    const done = await getErasure(fixture.deps, admin(randomUUID()), me);
    expect(done?.state).toBe('completed');
    expect(await phases()).toEqual([1, 2]);
    const audited = (await fixture.outbox())
      .filter((event) => event.topic === TOPICS.auditEvents)
      .map((event) => event.data.action);
    expect(audited).toEqual([
      'privacy.erasure.scheduled',
      'privacy.erasure.started',
      'privacy.erasure.completed',
    ]);
    expect(await metric(fixture, 'privacy_requests_total', { kind: 'erasure', outcome: 'completed' })).toBe(
      1,
    );
  });

  it('resumes after a crash between the ledger write and phase 1, and asks phase 1 once', async () => {
    const me = randomUUID();
    const { request } = await requestErasure(fixture.deps, client(me), '', '');
    await fixture.age(request.id, 'scheduled_for', 3_600_000);

    fixture.ledger.crashAfterNextWrite = true;
    await expect(startDueErasures(fixture.deps)).rejects.toThrow('died after the ledger write');
    expect(fixture.ledger.entries.has(me)).toBe(true);
    expect((await getErasure(fixture.deps, client(me), ''))?.state).toBe('scheduled');
    expect((await fixture.outbox()).filter((event) => event.topic === PRIVACY_TOPICS.request)).toEqual([]);

    // The restarted service picks it up where the database says it is.
    expect(await startDueErasures(fixture.deps)).toBe(1);
    expect(await startDueErasures(fixture.deps)).toBe(0);
    const erasing = await getErasure(fixture.deps, client(me), '');
    expect(erasing?.state).toBe('erasing');
    expect(fixture.ledger.entries.get(me)?.erasingSince).toBe(erasing?.erasingSince?.toISOString());
    expect(
      (await fixture.outbox()).filter((event) => event.type === PRIVACY_EVENT_TYPES.erasureRequested),
    ).toHaveLength(1);
  });

  it('lets an admin erase someone only with a reason, and nobody else act for another person', async () => {
    const someone = randomUUID();
    await expect(requestErasure(fixture.deps, admin(randomUUID()), someone, 'short')).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    await expect(
      requestErasure(fixture.deps, client(randomUUID()), someone, 'a very good reason'),
    ).rejects.toMatchObject({
      code: 'permission_denied',
    });
    await expect(requestExport(fixture.deps, client(randomUUID()), someone)).rejects.toMatchObject({
      code: 'permission_denied',
    });
    const byAdmin = await requestErasure(
      fixture.deps,
      admin(randomUUID()),
      someone,
      'verified request by mail, ticket 1234',
    );
    expect(byAdmin.request).toMatchObject({
      subjectId: someone,
      reason: 'verified request by mail, ticket 1234',
    });
  });
});
