import { z } from 'zod';

import {
  createProducer,
  newCorrelationId,
  runWithContext,
  type Kafka,
  type Logger,
  type Producer,
} from '@tracking/kit';

import { verifyChain, type Verification } from './chain';
import type { PrismaClient } from './db';
import type { ChainMetrics } from './metrics';

/**
 * Attestation: on a schedule, verify the whole chain and publish its head (sequence and hash)
 * to a Kafka topic, where the audit database cannot rewrite it. Each run also checks the chain
 * against the last head published, which catches what the chain alone cannot: a chain rewritten
 * from an edited entry onwards, or entries cut off its end. A broken chain is never attested.
 */
export const CHAIN_HEAD_TOPIC = 'audit.chain-head.v1';

export const chainHeadSchema = z.object({
  sequence: z.string().regex(/^\d+$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  attestedAt: z.iso.datetime(),
});
export type ChainHead = z.infer<typeof chainHeadSchema>;

export interface Attestation extends Verification {
  /** Set when the chain disagrees with the head published before. */
  headMismatch?: { sequence: bigint; reason: 'published_head_missing' | 'published_head_mismatch' };
}

/**
 * An admin's verification of the chain from a sequence on. A break is logged as a security event
 * and raises audit_chain_broken at once; only ever raised here, because a partial verification
 * that passes proves nothing about the rest of the chain: clearing it is the attestor's full run's job.
 */
export async function verifyOnRequest(
  deps: { prisma: PrismaClient; log: Logger; chain: Pick<ChainMetrics, 'broken' | 'security'> },
  fromSequence: bigint,
): Promise<Verification> {
  const result = await verifyChain(deps.prisma, { fromSequence });
  const outcome = {
    verifiedThrough: result.verifiedThrough.toString(),
    firstBroken: result.firstBroken?.sequence.toString(),
    reason: result.firstBroken?.reason,
  };
  if (result.intact) deps.log.info({ event: 'audit.chain.verified', ...outcome }, 'audit chain verified');
  else {
    deps.chain.security.record('audit.chain.broken', outcome, 'audit chain is broken');
    deps.chain.broken.set(1);
  }
  return result;
}

export class ChainAttestor {
  private readonly producer: Producer;
  private lastHead: ChainHead | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      kafka: Kafka;
      log: Logger;
      metrics: ChainMetrics;
      topicPrefix: string;
    },
  ) {
    this.producer = createProducer(deps.kafka);
  }

  async start(intervalMs: number): Promise<void> {
    this.deps.metrics.interval.set(intervalMs / 1000);
    await this.producer.connect();
    this.lastHead = await readLastHead(this.deps.kafka, this.deps.topicPrefix + CHAIN_HEAD_TOPIC);
    // Each run has a correlation id of its own, so a broken-chain alert leads to that run's lines.
    const tick = () => {
      this.running = runWithContext({ correlationId: newCorrelationId() }, () =>
        this.attest().catch((error: unknown) => {
          this.deps.log.error({ err: error }, 'audit chain attestation failed to run');
        }),
      );
    };
    tick();
    this.timer = setInterval(tick, intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.producer.disconnect();
  }

  /** One run: verify, compare with the last published head, publish the new head if intact. */
  async attest(): Promise<Attestation> {
    const { prisma, log, metrics } = this.deps;
    const result: Attestation = await verifyChain(prisma);
    if (result.intact && this.lastHead) {
      const headMismatch = await checkAgainstHead(prisma, this.lastHead);
      if (headMismatch) Object.assign(result, { intact: false, headMismatch });
    }
    metrics.lastRun.set(Date.now() / 1000);
    metrics.verifiedSequence.set(Number(result.verifiedThrough));
    metrics.broken.set(result.intact ? 0 : 1);
    if (!result.intact) {
      metrics.security.record(
        'audit.chain.broken',
        {
          verifiedThrough: result.verifiedThrough.toString(),
          firstBroken: (result.firstBroken ?? result.headMismatch)?.sequence.toString(),
          reason: (result.firstBroken ?? result.headMismatch)?.reason,
        },
        'the audit chain is broken; not attesting it',
      );
      return result;
    }
    if (result.verifiedThrough === 0n) return result;
    const head: ChainHead = {
      sequence: result.verifiedThrough.toString(),
      hash: result.headHash,
      attestedAt: new Date().toISOString(),
    };
    await this.producer.send({
      topic: this.deps.topicPrefix + CHAIN_HEAD_TOPIC,
      acks: -1,
      messages: [
        { key: 'audit', value: JSON.stringify(head), headers: { 'content-type': 'application/json' } },
      ],
    });
    this.lastHead = head;
    log.info(
      { event: 'audit.chain.attested', sequence: head.sequence, hash: head.hash },
      'audit chain head published',
    );
    return result;
  }
}

/** The entry a published head names must still be there, with the same hash. */
export async function checkAgainstHead(
  prisma: PrismaClient,
  head: ChainHead,
): Promise<Attestation['headMismatch']> {
  const sequence = BigInt(head.sequence);
  const entry = await prisma.auditEntry.findUnique({ where: { sequence }, select: { hash: true } });
  if (!entry) return { sequence, reason: 'published_head_missing' };
  if (entry.hash !== head.hash) return { sequence, reason: 'published_head_mismatch' };
  return undefined;
}

/** The newest head on the topic (one partition), or undefined when none was ever published. */
export async function readLastHead(kafka: Kafka, topic: string): Promise<ChainHead | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const partition = offsets.find((offset) => offset.partition === 0);
  if (!partition || BigInt(partition.high) === 0n) return undefined;
  const consumer = kafka.consumer({ groupId: `audit-head-reader-${String(Date.now())}` });
  await consumer.connect();
  try {
    const value = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no chain head read from ${topic} in 30 s`)), 30_000);
      void consumer.subscribe({ topic, fromBeginning: true }).then(() =>
        consumer.run({
          autoCommit: false,
          eachMessage: ({ message }) => {
            if (BigInt(message.offset) === BigInt(partition.high) - 1n) {
              clearTimeout(timer);
              resolve(message.value?.toString('utf8') ?? '');
            }
            return Promise.resolve();
          },
        }),
      );
    });
    return chainHeadSchema.parse(JSON.parse(value));
  } finally {
    await consumer.disconnect();
  }
}
