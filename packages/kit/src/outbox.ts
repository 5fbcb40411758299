import type { Span } from '@opentelemetry/api';
import type { Producer } from 'kafkajs';
import type pg from 'pg';

import { CORRELATION_HEADER } from './context';
import type { SqlExecutor } from './db';
import type { EventEnvelope } from './events';
import { markSpanFailed, startProducerSpan } from './kafka';
import type { Logger } from './log';
import type { Metrics } from './metrics';
import { injectTraceHeaders } from './trace';

/**
 * The transactional outbox. A service never writes its database and Kafka separately: it
 * calls `enqueue` inside the transaction that changes its state, and the relay publishes the
 * rows afterwards, at least once. A rolled-back transaction leaves no row, so no event.
 */
export interface OutgoingEvent {
  /** Logical topic name; the relay adds the deployment's prefix. */
  topic: string;
  /** Partition key: events with the same key stay in order. */
  key?: string;
  envelope: EventEnvelope;
}

export async function enqueue(sql: SqlExecutor, events: OutgoingEvent[]): Promise<void> {
  if (events.length === 0) return;
  // The trace context of the writing request travels with the row, so the publish span and
  // every consumer span join the request's trace however late the relay sends it.
  const trace = injectTraceHeaders();
  const params: unknown[] = [];
  const rows = events.map((event, index) => {
    const headers = {
      ...trace,
      [CORRELATION_HEADER]: event.envelope.correlationId,
      'event-id': event.envelope.id,
      'event-type': event.envelope.type,
      'content-type': 'application/json',
    };
    params.push(
      event.envelope.id,
      event.topic,
      event.key ?? null,
      JSON.stringify(event.envelope),
      JSON.stringify(headers),
    );
    const base = index * 5;
    return `($${base + 1}::uuid, $${base + 2}, $${base + 3}, $${base + 4}::jsonb, $${base + 5}::jsonb)`;
  });
  await sql.query(
    `INSERT INTO outbox (event_id, topic, message_key, payload, headers) VALUES ${rows.join(', ')} RETURNING id`,
    params,
  );
}

interface OutboxRow {
  id: string;
  event_id: string;
  topic: string;
  message_key: string | null;
  payload: unknown;
  headers: Record<string, string>;
}

export interface RelayOptions {
  pool: pg.Pool;
  producer: Producer;
  log: Logger;
  metrics: Metrics;
  topicPrefix?: string;
  batchSize?: number;
  /** Fallback poll interval; NOTIFY from the outbox trigger wakes the relay sooner. */
  pollIntervalMs?: number;
  /**
   * Published rows older than this are purged. 0 deletes each row in the transaction that
   * publishes it, for outboxes whose events carry health data (meal text) that must not stay
   * at rest once Kafka has it.
   */
  retainSentMs?: number;
}

/**
 * Publishes outbox rows in id order. Rows are claimed with FOR UPDATE SKIP LOCKED inside a
 * transaction that stays open until Kafka has acknowledged the batch, and only then marked
 * sent: a crash between the two re-sends the batch (duplicates are absorbed by idempotent
 * consumers), and nothing is marked sent that Kafka did not take.
 *
 * Only one relay per database publishes at a time: it holds a session advisory lock on its
 * LISTEN connection, and the others (more replicas of the service) stand by and take over when
 * that connection goes. Two relays publishing side by side could send a later batch before an
 * earlier one and break the per-key order consumers rely on.
 */
/** The backlog gauge counts at most this many rows (see updateBacklog). */
export const BACKLOG_COUNT_CAP = 100_000;

/** Advisory lock key for "publishes this database's outbox" (advisory locks are per database). */
const RELAY_LOCK_KEY = 0x6f7574626f78; // "outbox"

export class OutboxRelay {
  private running = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private listener: pg.PoolClient | undefined;
  private leader = false;
  private lastPurge = 0;
  private lastBacklogCount = 0;
  /** Counts NOTIFYs; a notification that lands while a batch is in flight must not be lost. */
  private notifications = 0;

  constructor(private readonly options: RelayOptions) {}

  /** Starts the publishing loop; connection and lock problems are retried inside it. */
  start(): Promise<void> {
    if (!this.running) {
      this.running = true;
      this.loop = this.run();
    }
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.dropListener();
  }

  /** Whether this relay currently holds the publishing lock (for tests and metrics). */
  get isLeader(): boolean {
    return this.leader;
  }

  /**
   * Connects the LISTEN connection if there is none, and tries to take the publishing lock on
   * it. The lock lives as long as that connection: if the process dies or the connection
   * breaks, PostgreSQL releases it and a standby relay takes over.
   */
  private async lead(log: Logger): Promise<boolean> {
    if (!this.listener) {
      const listener = await this.options.pool.connect();
      listener.on('notification', () => {
        this.notifications++;
        this.wake?.();
      });
      listener.on('error', (error) => {
        log.warn({ err: error }, 'outbox relay lost its listen connection; reconnecting');
        this.dropListener(error);
      });
      this.listener = listener;
      await listener.query('LISTEN outbox');
    }
    if (!this.leader) {
      const { rows } = await this.listener.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1) AS locked',
        [RELAY_LOCK_KEY],
      );
      this.leader = rows[0]?.locked === true;
      if (this.leader) log.info({ event: 'outbox.relay.leading' }, 'this relay now publishes the outbox');
    }
    return this.leader;
  }

  private dropListener(error?: Error): void {
    // Destroyed rather than returned to the pool: a pooled session would keep the lock.
    this.listener?.release(error ?? true);
    this.listener = undefined;
    this.leader = false;
  }

  private async run(): Promise<void> {
    const log = this.options.log.child({ component: 'outbox-relay' });
    let failures = 0;
    while (this.running) {
      const notificationsBefore = this.notifications;
      let published = 0;
      try {
        if (await this.lead(log)) {
          published = await this.publishBatch();
          if (published < (this.options.batchSize ?? 500)) await this.purgeSent();
        }
        failures = 0;
      } catch (error) {
        failures++;
        this.options.metrics.outboxFailures.inc();
        log.warn({ err: error, failures }, 'outbox batch not published; will retry');
      }
      if (failures === 0 && this.leader && published >= (this.options.batchSize ?? 500)) continue;
      const notified = this.notifications !== notificationsBefore;
      if (failures === 0 && this.leader && notified) continue;
      const delay =
        failures > 0 ? Math.min(100 * 2 ** failures, 5_000) : (this.options.pollIntervalMs ?? 1_000);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Publishes one batch; returns how many rows it sent. Exposed for tests and tools. */
  async publishBatch(): Promise<number> {
    const { pool, producer, metrics } = this.options;
    const prefix = this.options.topicPrefix ?? '';
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<OutboxRow>(
        `SELECT id, event_id, topic, message_key, payload, headers FROM outbox
          WHERE sent_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.options.batchSize ?? 500],
      );
      if (rows.length === 0) {
        await client.query('COMMIT');
        metrics.outboxBacklog.set(0);
        return 0;
      }
      const spans: Span[] = [];
      const byTopic = new Map<
        string,
        { key: string | null; value: string; headers: Record<string, string> }[]
      >();
      for (const row of rows) {
        const topic = prefix + row.topic;
        const { span, headers } = startProducerSpan(topic, row.headers, row.event_id);
        spans.push(span);
        const messages = byTopic.get(topic) ?? [];
        messages.push({ key: row.message_key, value: JSON.stringify(row.payload), headers });
        byTopic.set(topic, messages);
      }
      try {
        await producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
      } catch (error) {
        for (const span of spans) {
          markSpanFailed(span, error);
          span.end();
        }
        throw error;
      }
      for (const span of spans) span.end();
      await client.query(
        this.options.retainSentMs === 0
          ? 'DELETE FROM outbox WHERE id = ANY($1::bigint[])'
          : 'UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])',
        [rows.map((row) => row.id)],
      );
      await client.query('COMMIT');
      for (const row of rows) metrics.outboxPublished.inc({ topic: row.topic });
      await this.updateBacklog(client, rows.length);
      return rows.length;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * The backlog gauge. A short batch means the outbox was drained when it was claimed. While
   * catching up, the count is taken at most every 10 s and capped: an exact count visits every
   * unsent row, so counting after each batch made draining a large backlog quadratic.
   */
  private async updateBacklog(client: pg.PoolClient, claimed: number): Promise<void> {
    if (claimed < (this.options.batchSize ?? 500)) {
      this.options.metrics.outboxBacklog.set(0);
      return;
    }
    if (Date.now() - this.lastBacklogCount < 10_000) return;
    this.lastBacklogCount = Date.now();
    const { rows } = await client.query<{ n: string }>(
      'SELECT count(*) AS n FROM (SELECT 1 FROM outbox WHERE sent_at IS NULL LIMIT $1) unsent',
      [BACKLOG_COUNT_CAP],
    );
    this.options.metrics.outboxBacklog.set(Number(rows[0]?.n ?? 0));
  }

  private async purgeSent(): Promise<void> {
    const retain = this.options.retainSentMs ?? 7 * 24 * 3600 * 1000;
    if (Date.now() - this.lastPurge < 60_000) return;
    this.lastPurge = Date.now();
    await this.options.pool.query(
      `DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < now() - make_interval(secs => $1)`,
      [retain / 1000],
    );
  }
}
