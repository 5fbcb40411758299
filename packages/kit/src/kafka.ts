import { readFileSync } from 'node:fs';

import { SpanKind, SpanStatusCode, context, propagation, trace, type Span } from '@opentelemetry/api';
import {
  Kafka,
  Partitioners,
  logLevel as KafkaLogLevel,
  type Admin,
  type IHeaders,
  type KafkaMessage,
  type Message,
  type Producer,
} from 'kafkajs';
import { z } from 'zod';

import {
  CORRELATION_ATTRIBUTE,
  CORRELATION_HEADER,
  isCorrelationId,
  newCorrelationId,
  runWithContext,
} from './context';
import { ConfigError } from './config';
import type { TransactionRunner } from './db';
import { envelopeSchema, type EventEnvelope } from './events';
import type { Logger } from './log';
import type { Metrics } from './metrics';
import { createSecurityEvents } from './security';
import { extractTraceContext, tracer } from './trace';

export type { Kafka, Producer, Consumer } from 'kafkajs';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const kafkaLevels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/**
 * How a client proves who it is: SASL/SCRAM-SHA-512 inside TLS that verifies the broker against
 * `ca`. Without it the connection is plaintext and unauthenticated, which only a development
 * broker accepts (kafkaConnection refuses it in production).
 */
export interface KafkaSecurity {
  username: string;
  password: string;
  /** PEM of the CA that signed the broker's certificate. */
  ca: string;
}

export interface KafkaOptions {
  clientId: string;
  brokers: string[];
  security?: KafkaSecurity;
  log: Logger;
  /** Where a refused login or a refused request is counted as the security event `kafka.refused`. */
  metrics?: Pick<Metrics, 'registry'>;
}

/**
 * kafkajs logs every refused login and every error response; the refusals among them are
 * security events (docs/security-events.md): someone is using a wrong password, or a service is
 * trying a topic the manifest does not give it.
 */
const REFUSALS: { reason: 'authentication' | 'authorization'; pattern: RegExp }[] = [
  {
    reason: 'authentication',
    pattern: /SASL .*authentication failed|Authentication failed|SASL_AUTHENTICATION/i,
  },
  { reason: 'authorization', pattern: /authorization failed|not authorized|_AUTHORIZATION_FAILED/i },
];

export function kafkaRefusal(text: string): 'authentication' | 'authorization' | undefined {
  return REFUSALS.find(({ pattern }) => pattern.test(text))?.reason;
}

export function createKafka(options: KafkaOptions): Kafka {
  const log = options.log.child({ component: 'kafkajs' });
  const security = options.metrics
    ? createSecurityEvents({ log, metrics: options.metrics }, ['kafka.refused'])
    : undefined;
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    ...(options.security
      ? {
          ssl: { ca: [options.security.ca], rejectUnauthorized: true },
          sasl: {
            mechanism: 'scram-sha-512' as const,
            username: options.security.username,
            password: options.security.password,
          },
        }
      : {}),
    logLevel: KafkaLogLevel.WARN,
    // Ride out a broker restart or a coordinator that is still loading (~1 min in all).
    retry: { initialRetryTime: 300, retries: 10, maxRetryTime: 10_000 },
    logCreator:
      () =>
      ({ namespace, level, log: entry }) => {
        const { message, ...fields } = entry;
        const refusal =
          level <= KafkaLogLevel.WARN ? kafkaRefusal(`${message} ${String(fields.error ?? '')}`) : undefined;
        if (refusal) {
          const record = {
            reason: refusal,
            principal: options.security?.username ?? 'anonymous',
            broker: typeof fields.broker === 'string' ? fields.broker : undefined,
            detail: typeof fields.error === 'string' ? fields.error : message,
          };
          if (security) security.record('kafka.refused', record, 'the Kafka broker refused this client');
          else
            log.warn(
              { event: 'kafka.refused', security: true, ...record },
              'the Kafka broker refused this client',
            );
          return;
        }
        log[kafkaLevels[level] ?? 'info']({ namespace, ...fields }, message);
      },
  });
}

/**
 * The brokers and credentials of a service's config. Either all of KAFKA_SASL_USERNAME,
 * KAFKA_SASL_PASSWORD_FILE and KAFKA_CA_FILE are set, or none; and with NODE_ENV=production
 * plaintext is refused, so a forgotten Secret mount stops the pod instead of talking to Kafka
 * without a login.
 */
export function kafkaConnection(config: {
  NODE_ENV?: string;
  KAFKA_BROKERS: string[];
  KAFKA_SASL_USERNAME?: string;
  KAFKA_SASL_PASSWORD_FILE?: string;
  KAFKA_CA_FILE?: string;
}): { brokers: string[]; security?: KafkaSecurity } {
  const parts = [config.KAFKA_SASL_USERNAME, config.KAFKA_SASL_PASSWORD_FILE, config.KAFKA_CA_FILE];
  if (parts.every((part) => !part)) {
    if (config.NODE_ENV === 'production') {
      throw new ConfigError([
        'KAFKA_SASL_USERNAME: plaintext Kafka is refused in production; set KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD_FILE and KAFKA_CA_FILE',
      ]);
    }
    return { brokers: config.KAFKA_BROKERS };
  }
  if (!parts.every(Boolean)) {
    throw new ConfigError([
      'KAFKA_SASL_USERNAME: set all of KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD_FILE and KAFKA_CA_FILE, or none',
    ]);
  }
  const password = readFileSync(config.KAFKA_SASL_PASSWORD_FILE ?? '', 'utf8').trim();
  if (!password) throw new ConfigError(['KAFKA_SASL_PASSWORD_FILE: the file is empty']);
  return {
    brokers: config.KAFKA_BROKERS,
    security: {
      username: config.KAFKA_SASL_USERNAME ?? '',
      password,
      ca: readFileSync(config.KAFKA_CA_FILE ?? '', 'utf8'),
    },
  };
}

/** A producer for at-least-once publishing: idempotent, acks from all in-sync replicas. */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}

/**
 * A readiness check on one long-lived admin connection (a fresh admin client per probe would
 * leak a connection every few seconds under Kubernetes probes). Close it on shutdown.
 */
export async function kafkaReadiness(
  kafka: Kafka,
): Promise<{ check: () => Promise<unknown>; close: () => Promise<void> }> {
  const admin = kafka.admin();
  await admin.connect();
  return { check: () => admin.describeCluster(), close: () => admin.disconnect() };
}

// ---------------------------------------------------------------------------------------------
// Topics manifest

/** A service's Kafka principal: its name, which is also the prefix of its consumer groups. */
const servicePrincipal = z.string().regex(/^[a-z][a-z0-9-]*$/);

export const topicsManifestSchema = z.object({
  $comment: z.string().optional(),
  topics: z
    .array(
      z.object({
        name: z.string().regex(/^[a-z][a-z0-9-]*\.[a-z][a-z0-9_-]*\.v\d+$/),
        partitions: z.number().int().min(1).max(64),
        retentionMs: z.number().int().min(-1),
        cleanupPolicy: z.enum(['delete', 'compact']).default('delete'),
        description: z.string(),
        /** The services that may write the topic: the broker refuses every other principal. */
        producers: z.array(servicePrincipal).min(1),
        /** The services whose consumer groups may read it; operators read as the admin principal. */
        readers: z.array(servicePrincipal).default([]),
      }),
    )
    .min(1),
});
export type TopicsManifest = z.infer<typeof topicsManifestSchema>;

export function readTopicsManifest(file: string): TopicsManifest {
  return topicsManifestSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/**
 * Creates the manifest's topics that do not exist yet (the broker has auto-create off) and
 * returns the names it created. Existing topics are left as they are: changing partitions or
 * retention of a live topic is an operator's decision.
 */
export async function ensureTopics(
  kafka: Kafka,
  manifest: { topics: Omit<TopicsManifest['topics'][number], 'producers' | 'readers'>[] },
  prefix = '',
): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = manifest.topics.filter((topic) => !existing.has(prefix + topic.name));
    if (missing.length === 0) return [];
    await admin.createTopics({
      // kafkajs's own wait gives up when a broker that has just started does not yet know the
      // new topic (UNKNOWN_TOPIC_OR_PARTITION); waitForTopicLeaders below waits that out.
      waitForLeaders: false,
      topics: missing.map((topic) => ({
        topic: prefix + topic.name,
        numPartitions: topic.partitions,
        replicationFactor: -1,
        configEntries: [
          { name: 'retention.ms', value: String(topic.retentionMs) },
          { name: 'cleanup.policy', value: topic.cleanupPolicy },
        ],
      })),
    });
    const created = missing.map((topic) => prefix + topic.name);
    await waitForTopicLeaders(admin, created);
    return created;
  } finally {
    await admin.disconnect();
  }
}

/** Errors a broker answers while a topic it has just created is still reaching its metadata. */
const TOPIC_NOT_YET_KNOWN = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/** Waits until every partition of `topics` has a leader, so the first produce or join succeeds. */
async function waitForTopicLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
      const led = metadata.every(
        (topic) =>
          topic.partitions.length > 0 && topic.partitions.every((partition) => partition.leader >= 0),
      );
      if (led && metadata.length === topics.length) return;
    } catch (error) {
      const type = (error as { type?: unknown }).type;
      if (typeof type !== 'string' || !TOPIC_NOT_YET_KNOWN.has(type)) throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`topics have no leader after ${timeoutMs} ms: ${topics.join(', ')}`);
    await sleep(250);
  }
}

// ---------------------------------------------------------------------------------------------
// Trace context in record headers

export function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) result[key] = first.toString();
  }
  return result;
}

const TRACE_HEADERS = ['traceparent', 'tracestate', 'baggage'];

/**
 * Starts the producer span for one message, as a child of the trace context the message
 * carries (for the outbox: the context of the request that wrote the row), and returns the
 * message headers with that span's context injected.
 */
export function startProducerSpan(
  topic: string,
  carried: Record<string, string>,
  eventId: string,
): { span: Span; headers: Record<string, string> } {
  const parent = extractTraceContext(carried);
  const span = tracer().startSpan(
    `publish ${topic}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'send',
        'messaging.destination.name': topic,
        'messaging.message.id': eventId,
        ...(carried[CORRELATION_HEADER] ? { [CORRELATION_ATTRIBUTE]: carried[CORRELATION_HEADER] } : {}),
      },
    },
    parent,
  );
  const headers = Object.fromEntries(Object.entries(carried).filter(([key]) => !TRACE_HEADERS.includes(key)));
  propagation.inject(trace.setSpan(parent, span), headers);
  return { span, headers };
}

export function markSpanFailed(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : new Error(String(error)));
  span.setStatus({ code: SpanStatusCode.ERROR });
}

// ---------------------------------------------------------------------------------------------
// Consumers: idempotent, traced, with a dead-letter topic

/** Thrown by a handler for a message that can never succeed; it goes to the DLQ at once. */
export class PoisonMessageError extends Error {
  override name = 'PoisonMessageError';
}

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  '53300', // too many connections
  '40001', // serialization failure
  '40P01', // deadlock detected
  'P1001', // Prisma: cannot reach database
  'P1002',
  'P1008',
  'P1017',
  'P2024', // Prisma: pool timeout
  'P2034', // Prisma: write conflict or deadlock
]);

/**
 * Errors from an unreachable or overloaded dependency are retried for as long as it takes:
 * dead-lettering every message during a database outage would turn an outage into a backlog
 * someone must replay by hand. The consumer stays on the message and its lag shows it.
 */
export function isTransientError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return TRANSIENT_CODES.has(code) || code.startsWith('08') || code.startsWith('57P');
}

export interface MessageMeta {
  topic: string;
  partition: number;
  offset: string;
}

/** One event of a batch handed to `handleBatch`. */
export interface BatchItem {
  event: EventEnvelope;
  meta: MessageMeta;
  /** Runs `fn` in this event's correlation context and consumer span (for its log lines). */
  inContext<T>(fn: () => T): T;
}

export interface ConsumerOptions<Tx> {
  kafka: Kafka;
  /** Also the consumer name under which processed event ids are recorded. */
  groupId: string;
  /** Logical topic names (without the prefix). */
  topics: string[];
  /** Logical name of this consumer's dead-letter topic. */
  dlqTopic: string;
  topicPrefix?: string;
  log: Logger;
  metrics: Metrics;
  /** Opens the transaction in which the processed id is recorded and the handler runs. */
  transaction: TransactionRunner<Tx>;
  handle(event: EventEnvelope, tx: Tx, meta: MessageMeta): Promise<void>;
  /**
   * Optional: applies several new events, in offset order, in one transaction. When given, the
   * consumer takes Kafka's batches in chunks of up to `batchSize`, records the chunk's event ids
   * and calls this once with the ones not seen before, then commits the chunk's offsets. If a
   * chunk fails for a reason that is not transient, it is replayed one event per transaction
   * through `handle`, so a poison event is still retried, isolated and dead-lettered alone.
   */
  handleBatch?(events: BatchItem[], tx: Tx): Promise<void>;
  /** Most events per `handleBatch` transaction (default 100). */
  batchSize?: number;
  /** Attempts for a non-transient failure before the message is dead-lettered. */
  maxAttempts?: number;
  retryBackoffMs?: number;
  /** How often the group's lag is measured for `kafka_consumer_lag_messages`. */
  lagIntervalMs?: number;
  /** The group's session timeout (kafkajs default 30 s); heartbeats continue while a handler runs. */
  sessionTimeoutMs?: number;
}

export interface RunningConsumer {
  /** Stops fetching, lets the message in hand finish and commits offsets. */
  stop(): Promise<void>;
}

/**
 * How often a long handler asks kafkajs to heartbeat. kafkajs sends at most one heartbeat per
 * heartbeatInterval (3 s), counted from when the previous one was answered, so a tick of exactly
 * 3 s lands just short of that every other time and halves the rate: one heartbeat per 6 s, the
 * broker's minimum session. Ticking every second keeps the gap at most about 4 s.
 */
const HEARTBEAT_TICK_MS = 1_000;

/**
 * Runs `work` while heartbeating. kafkajs heartbeats only between messages, so a handler that
 * outlasts the session timeout (an LLM call with its retries) would lose its partitions, and its
 * message would be handled again by whoever took them. A failed heartbeat (a rebalance under way)
 * is left to the consumer loop, which sees the same rebalance on its next request.
 */
async function keepingAlive<T>(heartbeat: () => Promise<void>, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => {
    heartbeat().catch(() => undefined);
  }, HEARTBEAT_TICK_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

export async function startConsumer<Tx>(options: ConsumerOptions<Tx>): Promise<RunningConsumer> {
  const prefix = options.topicPrefix ?? '';
  const maxAttempts = options.maxAttempts ?? 5;
  const backoff = options.retryBackoffMs ?? 200;
  const log = options.log.child({ component: 'consumer', group: options.groupId });
  const consumer = options.kafka.consumer({
    groupId: prefix + options.groupId,
    allowAutoTopicCreation: false,
    ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeout: options.sessionTimeoutMs }),
  });
  const producer = createProducer(options.kafka);
  await Promise.all([consumer.connect(), producer.connect()]);
  await consumer.subscribe({ topics: options.topics.map((topic) => prefix + topic), fromBeginning: true });
  // Every subscribed topic's counts start at 0, so increase() sees the first dead letter after a
  // restart (KafkaDeadLetterGrowth) instead of taking it for the series' first sample.
  for (const topic of options.topics.map((name) => prefix + name)) {
    options.metrics.deadLettered.inc({ topic }, 0);
    for (const outcome of ['processed', 'duplicate', 'dead_lettered'])
      options.metrics.consumed.inc({ topic, outcome }, 0);
  }

  /** The attributes of a consumer's `process <topic>` span (OpenTelemetry messaging conventions). */
  const processAttributes = (meta: MessageMeta, correlationId: string, eventId: string | undefined) => ({
    'messaging.system': 'kafka',
    'messaging.operation.type': 'process',
    'messaging.destination.name': meta.topic,
    'messaging.consumer.group.name': options.groupId,
    'messaging.kafka.offset': Number(meta.offset),
    [CORRELATION_ATTRIBUTE]: correlationId,
    ...(eventId === undefined ? {} : { 'messaging.message.id': eventId }),
  });

  const logicalTopic = (topic: string) => (topic.startsWith(prefix) ? topic.slice(prefix.length) : topic);

  async function deadLetter(message: KafkaMessage, meta: MessageMeta, error: unknown): Promise<void> {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    await producer.send({
      topic: prefix + options.dlqTopic,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            'dlq-error': reason.slice(0, 2000),
            'dlq-source-topic': meta.topic,
            'dlq-source-partition': String(meta.partition),
            'dlq-source-offset': meta.offset,
            'dlq-consumer-group': options.groupId,
            'dlq-failed-at': new Date().toISOString(),
          },
        },
      ],
    });
    options.metrics.deadLettered.inc({ topic: meta.topic });
    options.metrics.consumed.inc({ topic: meta.topic, outcome: 'dead_lettered' });
    log.error(
      {
        event: 'kafka.dead_lettered',
        topic: meta.topic,
        partition: meta.partition,
        offset: meta.offset,
        err: reason,
      },
      'message sent to the dead-letter topic',
    );
  }

  async function processOnce(event: EventEnvelope, meta: MessageMeta): Promise<'processed' | 'duplicate'> {
    return options.transaction(async (sql, tx) => {
      const fresh = await sql.query(
        'INSERT INTO processed_event (consumer, event_id) VALUES ($1, $2::uuid) ON CONFLICT DO NOTHING RETURNING event_id',
        [options.groupId, event.id],
      );
      if (fresh.length === 0) return 'duplicate';
      await options.handle(event, tx, meta);
      return 'processed';
    });
  }

  async function handleMessage(message: KafkaMessage, meta: MessageMeta, heartbeat: () => Promise<void>) {
    const headers = headersToStrings(message.headers);
    const parsed = parseEnvelope(message.value);
    const headerCorrelation = headers[CORRELATION_HEADER];
    const correlationId = parsed.success
      ? parsed.data.correlationId
      : isCorrelationId(headerCorrelation)
        ? headerCorrelation
        : newCorrelationId();
    const parent = extractTraceContext(headers);
    await tracer().startActiveSpan(
      `process ${meta.topic}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: processAttributes(meta, correlationId, parsed.success ? parsed.data.id : undefined),
      },
      parent,
      (span) =>
        runWithContext({ correlationId }, async () => {
          try {
            if (!parsed.success) {
              await deadLetter(message, meta, parsed.error);
              return;
            }
            for (let attempt = 1; ; attempt++) {
              try {
                const outcome = await keepingAlive(heartbeat, () => processOnce(parsed.data, meta));
                options.metrics.consumed.inc({ topic: meta.topic, outcome });
                log.debug({ event: 'kafka.consumed', outcome, eventId: parsed.data.id }, 'event consumed');
                return;
              } catch (error) {
                const transient = isTransientError(error);
                if (error instanceof PoisonMessageError || (!transient && attempt >= maxAttempts)) {
                  await deadLetter(message, meta, error);
                  return;
                }
                options.metrics.consumerRetries.inc({ topic: meta.topic });
                log.warn(
                  { err: error, attempt, transient, eventId: parsed.data.id },
                  'event processing failed; retrying',
                );
                await sleep(Math.min(backoff * 2 ** Math.min(attempt - 1, 5), 5_000));
                await heartbeat();
              }
            }
          } catch (error) {
            markSpanFailed(span, error);
            throw error;
          } finally {
            span.end();
          }
        }),
    );
  }

  /**
   * One chunk of a batch in one transaction: ids recorded with one statement, the new events
   * applied with one handleBatch call. Each message still gets its own consumer span, parented
   * on its producer's, so traces look the same as one-by-one processing.
   */
  async function handleChunk(
    messages: KafkaMessage[],
    topic: string,
    partition: number,
    heartbeat: () => Promise<void>,
    handleBatch: NonNullable<ConsumerOptions<Tx>['handleBatch']>,
  ): Promise<void> {
    const parsed = messages.map((message) => ({ message, envelope: parseEnvelope(message.value) }));
    const perMessage = async () => {
      for (const { message } of parsed) {
        await handleMessage(message, { topic, partition, offset: message.offset }, heartbeat);
      }
    };
    // A message we cannot read takes the one-by-one path, which dead-letters it in its place.
    if (parsed.some(({ envelope }) => !envelope.success)) return perMessage();
    const spans: Span[] = [];
    const events = parsed.flatMap(({ message, envelope }) =>
      envelope.success ? [{ event: envelope.data, message }] : [],
    );
    const items: BatchItem[] = events.map(({ event, message }) => {
      const meta = { topic, partition, offset: message.offset };
      const span = tracer().startSpan(
        `process ${topic}`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            ...processAttributes(meta, event.correlationId, event.id),
            'messaging.batch.message_count': events.length,
          },
        },
        extractTraceContext(headersToStrings(message.headers)),
      );
      spans.push(span);
      return {
        event,
        meta,
        inContext: (fn) =>
          context.with(trace.setSpan(context.active(), span), () =>
            runWithContext({ correlationId: event.correlationId }, fn),
          ),
      };
    });
    const endSpans = (error?: unknown) => {
      for (const span of spans) {
        if (error) markSpanFailed(span, error);
        span.end();
      }
    };
    for (let attempt = 1; ; attempt++) {
      try {
        const fresh = await keepingAlive(heartbeat, () =>
          options.transaction(async (sql, tx) => {
            const recorded = await sql.query<{ event_id: string }>(
              'INSERT INTO processed_event (consumer, event_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING RETURNING event_id',
              [options.groupId, items.map(({ event }) => event.id)],
            );
            const ids = new Set(recorded.map((row) => row.event_id.toLowerCase()));
            // The first delivery of each new id; a repeat within the chunk is a duplicate too.
            const todo = items.filter(({ event }) => ids.delete(event.id.toLowerCase()));
            if (todo.length > 0) await handleBatch(todo, tx);
            return todo.length;
          }),
        );
        options.metrics.consumed.inc({ topic, outcome: 'processed' }, fresh);
        if (items.length > fresh)
          options.metrics.consumed.inc({ topic, outcome: 'duplicate' }, items.length - fresh);
        log.debug(
          { event: 'kafka.consumed_batch', processed: fresh, duplicates: items.length - fresh },
          'events consumed',
        );
        endSpans();
        return;
      } catch (error) {
        if (isTransientError(error)) {
          options.metrics.consumerRetries.inc({ topic });
          log.warn({ err: error, attempt, events: items.length }, 'batch failed transiently; retrying');
          await sleep(Math.min(backoff * 2 ** Math.min(attempt - 1, 5), 5_000));
          await heartbeat();
          continue;
        }
        endSpans(error);
        log.warn({ err: error, events: items.length }, 'batch failed; replaying it one event at a time');
        return perMessage();
      }
    }
  }

  const handleBatch = options.handleBatch?.bind(options);
  if (handleBatch) {
    const batchSize = options.batchSize ?? 100;
    await consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const heartbeat = () => payload.heartbeat();
        const topic = logicalTopic(batch.topic);
        for (let start = 0; start < batch.messages.length; start += batchSize) {
          // Stopping, or the partition moved to another member: what is done is resolved, the rest is refetched.
          if (!payload.isRunning() || payload.isStale()) return;
          const chunk = batch.messages.slice(start, start + batchSize);
          await handleChunk(chunk, topic, batch.partition, heartbeat, handleBatch);
          const last = chunk[chunk.length - 1];
          if (last) payload.resolveOffset(last.offset);
          await heartbeat();
        }
      },
    });
  } else {
    await consumer.run({
      eachMessage: async (payload) => {
        const { topic, partition, message } = payload;
        const heartbeat = () => payload.heartbeat();
        await handleMessage(
          message,
          { topic: logicalTopic(topic), partition, offset: message.offset },
          heartbeat,
        );
      },
    });
  }
  log.info({ topics: options.topics }, 'consumer started');

  // Lag: how far the group's committed offsets trail each topic's end, every few seconds.
  const admin = options.kafka.admin();
  await admin.connect();
  const lagTimer = setInterval(() => {
    consumerLag(
      admin,
      prefix + options.groupId,
      options.topics.map((topic) => prefix + topic),
    )
      .then((lags) => {
        for (const [topic, lag] of lags) options.metrics.consumerLag.set({ topic: logicalTopic(topic) }, lag);
      })
      .catch((error: unknown) => {
        log.warn({ err: error }, 'consumer lag could not be measured');
      });
  }, options.lagIntervalMs ?? 10_000);

  return {
    async stop() {
      clearInterval(lagTimer);
      await consumer.disconnect();
      await producer.disconnect();
      await admin.disconnect();
    },
  };
}

/**
 * Messages each topic holds beyond what `groupId` has committed, summed over partitions. A
 * partition the group never committed counts from its earliest retained message.
 */
export async function consumerLag(
  admin: ReturnType<Kafka['admin']>,
  groupId: string,
  topics: string[],
): Promise<Map<string, number>> {
  const committed = await admin.fetchOffsets({ groupId, topics });
  const lags = new Map<string, number>();
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic);
    const offsets = committed.find((entry) => entry.topic === topic)?.partitions ?? [];
    let lag = 0;
    for (const end of ends) {
      const at = Number(offsets.find((offset) => offset.partition === end.partition)?.offset ?? '-1');
      lag += Number(end.high) - (at >= 0 ? at : Number(end.low));
    }
    lags.set(topic, lag);
  }
  return lags;
}

function parseEnvelope(value: Buffer | null) {
  let json: unknown;
  try {
    json = JSON.parse(value?.toString('utf8') ?? '');
  } catch {
    return { success: false as const, error: new PoisonMessageError('message body is not JSON') };
  }
  const result = envelopeSchema.safeParse(json);
  if (result.success) return { success: true as const, data: result.data as EventEnvelope };
  const fields = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  return {
    success: false as const,
    error: new PoisonMessageError(`invalid event envelope: ${fields.join('; ')}`),
  };
}

/** Builds a Kafka message for an envelope outside the outbox (tests and tools). */
export function envelopeMessage(envelope: EventEnvelope, key?: string): Message {
  return {
    key: key ?? null,
    value: JSON.stringify(envelope),
    headers: {
      [CORRELATION_HEADER]: envelope.correlationId,
      'event-id': envelope.id,
      'event-type': envelope.type,
      'content-type': 'application/json',
    },
  };
}
