import { NotFoundError, PermissionDeniedError, StaleVersionError, type Principal } from '@tracking/kit';
import { randomUUID } from 'node:crypto';
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
import { asActor, type PrismaClient, type Tx } from './db';
import { record } from './changes';
import type { Metric as MetricRow } from './generated/prisma/client';
import { parseInput, timeRange, whenSchema } from './input';
import { recordSupportRead } from './meals';

const hundredths = (value: number) => Math.round(value * 100) / 100;

/** Body and habit metrics: any of them, at least one, each within what a person can measure. */
export const metricInputSchema = z
  .object({
    recordedAt: whenSchema,
    // Rounded to the column's two decimals first, so the range holds for what is stored
    // (699.999 would round to 700.00 and break the table's CHECK: a 500 instead of a 400).
    weightKg: z.number().transform(hundredths).pipe(z.number().gt(0).lt(700)).optional(),
    sleepHours: z.number().transform(hundredths).pipe(z.number().min(0).max(24)).optional(),
    steps: z.number().int().min(0).max(200_000).optional(),
    waterMl: z.number().int().min(0).max(20_000).optional(),
    mood: z.number().int().min(1).max(5).optional(),
    notes: z.string().trim().max(2000).default(''),
  })
  .refine(
    (metric) =>
      [metric.weightKg, metric.sleepHours, metric.steps, metric.waterMl, metric.mood].some(
        (value) => value !== undefined,
      ) || metric.notes !== '',
    { message: 'record at least one metric or a note', path: ['(request)'] },
  );

function columns(input: z.output<typeof metricInputSchema>) {
  return {
    recordedAt: input.recordedAt,
    weightKg: input.weightKg ?? null,
    sleepHours: input.sleepHours ?? null,
    steps: input.steps ?? null,
    waterMl: input.waterMl ?? null,
    mood: input.mood ?? null,
    notes: input.notes,
  };
}

export async function logMetric(
  prisma: PrismaClient,
  principal: Principal,
  raw: unknown,
): Promise<MetricRow> {
  if (principal.role !== 'client') throw new PermissionDeniedError('only clients log metrics');
  const input = parseInput(metricInputSchema, raw);
  return asActor(prisma, principal, async (tx) => {
    const metric = await tx.metric.create({
      data: { id: randomUUID(), clientId: principal.userId, ...columns(input) },
    });
    await record(tx, principal, {
      action: 'tracking.metric.logged',
      subject: { type: 'metric', id: metric.id },
      clientId: metric.clientId,
    });
    return metric;
  });
}

async function readableMetric(tx: Tx, id: string): Promise<MetricRow> {
  const metric = await tx.metric.findFirst({ where: { id: rowId(id, 'metric'), deletedAt: null } });
  if (!metric) throw new NotFoundError('no such metric');
  return metric;
}

export async function getMetric(prisma: PrismaClient, principal: Principal, id: string): Promise<MetricRow> {
  return asActor(prisma, principal, async (tx) => {
    const metric = await readableMetric(tx, id);
    if (principal.role === 'admin') await recordSupportRead(tx, principal, metric.clientId, 'metric');
    return metric;
  });
}

export async function listMetrics(
  prisma: PrismaClient,
  principal: Principal,
  request: {
    clientId: string;
    from: Date | undefined;
    to: Date | undefined;
    pageSize: number;
    pageToken: string;
  },
): Promise<{ metrics: MetricRow[]; nextPageToken: string }> {
  const clientId = clientOf(principal, request.clientId);
  const size = pageSize(request.pageSize);
  const cursor = decodeCursor(request.pageToken);
  const range = timeRange(request.from, request.to);
  return asActor(prisma, principal, async (tx) => {
    await requireReadable(tx, clientId);
    if (principal.role === 'admin') await recordSupportRead(tx, principal, clientId, 'metrics');
    const metrics = await tx.metric.findMany({
      where: { clientId, deletedAt: null, recordedAt: range, ...afterCursor('recordedAt', cursor) },
      orderBy: [{ recordedAt: 'desc' }, { id: 'desc' }],
      take: size + 1,
    });
    const { items, nextPageToken } = keysetPage(metrics, size, (metric) => metric.recordedAt);
    return { metrics: items, nextPageToken };
  });
}

async function ownMetricAt(
  tx: Tx,
  principal: Principal,
  id: string,
  expectedVersion: number,
): Promise<MetricRow> {
  return ownRowAt(principal, await readableMetric(tx, id), expectedVersion, 'metrics');
}

export async function updateMetric(
  prisma: PrismaClient,
  principal: Principal,
  request: { metricId: string; expectedVersion: number; metric: unknown },
): Promise<MetricRow> {
  const input = parseInput(metricInputSchema, request.metric);
  return asActor(prisma, principal, async (tx) => {
    const current = await ownMetricAt(tx, principal, request.metricId, request.expectedVersion);
    const { count } = await tx.metric.updateMany({
      where: { id: current.id, version: current.version },
      data: { ...columns(input), version: { increment: 1 }, updatedAt: new Date() },
    });
    if (count !== 1) throw new StaleVersionError(current.version + 1);
    await record(tx, principal, {
      action: 'tracking.metric.updated',
      subject: { type: 'metric', id: current.id },
      clientId: current.clientId,
    });
    return readableMetric(tx, current.id);
  });
}

export async function deleteMetric(
  prisma: PrismaClient,
  principal: Principal,
  request: { metricId: string; expectedVersion: number },
): Promise<void> {
  await asActor(prisma, principal, async (tx) => {
    const current = await ownMetricAt(tx, principal, request.metricId, request.expectedVersion);
    const { count } = await tx.metric.updateMany({
      where: { id: current.id, version: current.version, deletedAt: null },
      data: { deletedAt: new Date(), version: { increment: 1 } },
    });
    if (count !== 1) throw new StaleVersionError(current.version + 1);
    await record(tx, principal, {
      action: 'tracking.metric.deleted',
      subject: { type: 'metric', id: current.id },
      clientId: current.clientId,
    });
  });
}
