import { createHash } from 'node:crypto';

import {
  ERASURE_FINAL_PARTICIPANT,
  PRIVACY_EVENT_TYPES,
  PRIVACY_TOPICS,
  erasureRequestedSchema,
  exportPartFileSchema,
  exportPartPrefix,
  exportRequestedSchema,
  type ErasureRequested,
  type ExportPartFile,
  type ExportRequested,
  type PrivacyParticipant,
  type PrivacyRequestKind,
  type StepCompleted,
  type StepFailed,
} from '@tracking/contracts';
import type { Kafka } from 'kafkajs';
import { Counter } from 'prom-client';
import type { z } from 'zod';

import type { SqlExecutor, TransactionRunner } from '../db';
import { DomainError } from '../errors';
import { newEvent, type EventEnvelope } from '../events';
import { PoisonMessageError, isTransientError, startConsumer, type RunningConsumer } from '../kafka';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import { enqueue } from '../outbox';
import { encryptForRecipients } from './encryption';
import { ObjectStoreError, type ObjectStore } from './store';

/**
 * The participant side of the privacy sagas (packages/contracts/src/privacy.ts): a service that
 * holds personal data by user id starts one of these beside its other consumers and supplies two
 * handlers; the runtime does the rest the same way everywhere.
 *
 * - It consumes `privacy.request.v1` with the kit's idempotent consumer (group
 *   `<service>-privacy`); a body that is not a valid request goes to `privacy.dlq.v1` with the
 *   reason. Erasure phase 1 is for every participant but auth, phase 2 for auth alone; a
 *   request for the other phase is recorded and skipped.
 * - Export: runs `exportSubject`, encrypts each file to PRIVACY_EXPORT_RECIPIENT with age and
 *   writes it to `<partPrefix><service>/<name>.age`, then answers `privacy.step.completed` with
 *   each file's key, plaintext size and plaintext SHA-256.
 * - Erasure: runs `eraseSubject` and answers `privacy.step.completed` with its counts.
 * - The answer goes on `privacy.step.v1` through the service's outbox, in the transaction that
 *   records the request as processed and in which the handler ran: erasure, answer and "done"
 *   commit together or not at all.
 * - An outage (database, object store: errors the kit calls transient; a DomainError
 *   `unavailable`) rolls back and retries for as long as it lasts. Any other error is retried `maxAttempts` times, each in a fresh
 *   savepoint; then the runtime answers `privacy.step.failed` with a reason an admin can read
 *   (a PrivacyStepError's message, else only the error's kind: never personal data).
 * - The coordinator may send the same request again (after its own crash): that is a new event,
 *   so the handler runs again and answers again. Handlers must therefore be idempotent: an
 *   erasure that finds nothing left erases nothing and says so.
 */

/**
 * A file of a participant's export part, before encryption. The export's README is written from
 * docs/data-inventory.yaml by these names: `<service>.json` holds the service's tables as
 * `{ "<table>": [rows keyed by column] }`, and `<table>.csv` one table with its columns as the
 * header, each table and column named as the inventory names them.
 */
export interface ExportFile {
  /** `meals.csv`, `tracking.json`: lower case, .json or .csv (exportPartFileSchema). */
  name: string;
  content: string | Uint8Array;
}

/**
 * Transaction limits for a participant on Prisma (prismaTransactionRunner's options): an export
 * writes its files to the object store inside the consumer's transaction, which takes longer than
 * Prisma's default 5 s on a slow store or a loaded machine.
 */
export const PRIVACY_TRANSACTION = { maxWait: 10_000, timeout: 60_000 } as const;

/** What a handler gets besides the subject: the request, and the consumer's open transaction. */
export interface PrivacyStepContext<Tx, R> {
  request: R;
  /** The service's own transaction handle (a pg client or a Prisma transaction client). */
  tx: Tx;
  /** The same transaction as plain SQL, e.g. `SELECT privacy_erase_subject($1::uuid) AS counts`. */
  sql: SqlExecutor;
}

export type StepCounts = Record<string, number>;

export interface PrivacyHandlers<Tx> {
  /** Everything the service holds about the subject, as JSON and CSV files; none when it holds nothing. */
  exportSubject(
    subjectId: string,
    context: PrivacyStepContext<Tx, ExportRequested>,
  ): Promise<{ files: ExportFile[]; counts?: StepCounts }>;
  /** Erases the subject (idempotent: a second run finds nothing and returns zeros). */
  eraseSubject(
    subjectId: string,
    context: PrivacyStepContext<Tx, ErasureRequested>,
  ): Promise<{ counts?: StepCounts }>;
  /**
   * Optional: sees, in the same transaction and without answering, an erasure request for the
   * other phase. Auth uses phase 1 to end the person's sessions and refuse sign-in while the
   * other services erase them, so nothing new is written in between. An outage retries; any
   * other error is retried like a step and then logged and left: the saga does not wait for it.
   */
  onOtherPhase?(subjectId: string, context: PrivacyStepContext<Tx, ErasureRequested>): Promise<void>;
}

/**
 * A failure whose message the admin's view may show as it is: one line, no personal data, no
 * secrets (e.g. "Stripe refused to delete the customer (HTTP 400)"). It is answered at once,
 * without retries. Any other error is reported only by its kind.
 */
export class PrivacyStepError extends Error {
  override name = 'PrivacyStepError';
}

export interface PrivacyParticipantOptions<Tx> {
  service: PrivacyParticipant;
  kafka: Kafka;
  topicPrefix?: string;
  log: Logger;
  metrics: Metrics;
  /** The service's transaction runner (pgTransactionRunner, prismaTransactionRunner). */
  transaction: TransactionRunner<Tx>;
  /** createObjectStore(config): where export parts go. */
  store: ObjectStore;
  /** config.PRIVACY_EXPORT_RECIPIENT. */
  recipients: readonly string[];
  handlers: PrivacyHandlers<Tx>;
  /** Attempts for an error that is not an outage before the step is answered as failed (default 3). */
  maxAttempts?: number;
  retryBackoffMs?: number;
  /** The consumer group (and processed-event consumer name); default `<service>-privacy`. */
  groupId?: string;
}

/** The logical dead-letter topic of privacy requests (in the topics manifest). */
export const PRIVACY_DLQ_TOPIC = 'privacy.dlq.v1';

type Answer = { type: string; data: StepCompleted | StepFailed };

interface Scope<Tx> {
  sql: SqlExecutor;
  tx: Tx;
}

const SAVEPOINT = 'privacy_participant_step';

export async function startPrivacyParticipant<Tx>(
  options: PrivacyParticipantOptions<Tx>,
): Promise<RunningConsumer> {
  const { service, handlers } = options;
  const log = options.log.child({ component: 'privacy-participant' });
  const maxAttempts = options.maxAttempts ?? 3;
  const steps = stepCounter(options.metrics);
  /** Failed attempts per event id (not an outage); cleared once the event is answered. */
  const attempts = new Map<string, number>();

  // The consumer hands the handler one value; carrying the SqlExecutor beside the service's own
  // transaction handle lets the runtime write the outbox row and savepoints in that transaction.
  const transaction: TransactionRunner<Scope<Tx>> = (fn) =>
    options.transaction((sql, tx) => fn(sql, { sql, tx }));

  async function run(
    event: EventEnvelope,
    scope: Scope<Tx>,
  ): Promise<{ kind: PrivacyRequestKind; answer: Answer | undefined }> {
    if (event.type === PRIVACY_EVENT_TYPES.exportRequested) {
      const request = parse(exportRequestedSchema, event.data, event.type);
      // A part goes only where its own request's parts go, never under another request.
      if (request.partPrefix !== exportPartPrefix(request.requestId))
        throw new PoisonMessageError(`invalid ${event.type} body: partPrefix is not the request's own`);
      const answer = await step(event, scope, 'export', request.requestId, undefined, () =>
        exportPart(request, scope),
      );
      return { kind: 'export', answer };
    }
    if (event.type === PRIVACY_EVENT_TYPES.erasureRequested) {
      const request = parse(erasureRequestedSchema, event.data, event.type);
      const mine = (request.phase === 2) === (service === ERASURE_FINAL_PARTICIPANT);
      if (!mine) {
        await observe(event, scope, request);
        return { kind: 'erasure', answer: undefined };
      }
      const answer = await step(event, scope, 'erasure', request.requestId, request.phase, async () => {
        const { counts } = await handlers.eraseSubject(request.subjectId, { request, ...scope });
        return { files: [], counts: checkedCounts(counts) };
      });
      return { kind: 'erasure', answer };
    }
    throw new PoisonMessageError(`${event.type} is not a privacy request`);
  }

  /** The other phase's request, shown to `onOtherPhase` in a savepoint of its own. */
  async function observe(event: EventEnvelope, scope: Scope<Tx>, request: ErasureRequested): Promise<void> {
    if (!handlers.onOtherPhase) return;
    await scope.sql.query(`SAVEPOINT ${SAVEPOINT}`);
    try {
      await handlers.onOtherPhase(request.subjectId, { request, ...scope });
      await scope.sql.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
    } catch (error) {
      if (isOutage(error)) throw error;
      await scope.sql.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
      const failed = (attempts.get(event.id) ?? 0) + 1;
      if (failed < maxAttempts) {
        attempts.set(event.id, failed);
        throw error;
      }
      log.error(
        {
          event: 'privacy.other_phase.failed',
          requestId: request.requestId,
          phase: request.phase,
          err: error,
        },
        'onOtherPhase failed; the request is left to its own phase',
      );
    }
  }

  /** Runs one handler in a savepoint and turns its outcome into the answer. */
  async function step(
    event: EventEnvelope,
    scope: Scope<Tx>,
    kind: PrivacyRequestKind,
    requestId: string,
    phase: 1 | 2 | undefined,
    work: () => Promise<{ files: ExportPartFile[]; counts: StepCounts }>,
  ): Promise<Answer> {
    const base = { requestId, kind, service, ...(phase === undefined ? {} : { phase }) };
    await scope.sql.query(`SAVEPOINT ${SAVEPOINT}`);
    try {
      const { files, counts } = await work();
      await scope.sql.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
      return { type: PRIVACY_EVENT_TYPES.stepCompleted, data: { ...base, files, counts } };
    } catch (error) {
      // An outage: the whole transaction rolls back and the consumer retries until it is over.
      if (isOutage(error)) throw error;
      await scope.sql.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
      const failed = (attempts.get(event.id) ?? 0) + 1;
      if (!(error instanceof PrivacyStepError) && failed < maxAttempts) {
        attempts.set(event.id, failed);
        throw error;
      }
      const reason = failureReason(error);
      log.error(
        { event: 'privacy.step.failed', requestId, kind, phase, attempts: failed, err: error },
        'privacy step failed; answering privacy.step.failed',
      );
      return { type: PRIVACY_EVENT_TYPES.stepFailed, data: { ...base, reason } };
    }
  }

  async function exportPart(
    request: ExportRequested,
    scope: Scope<Tx>,
  ): Promise<{ files: ExportPartFile[]; counts: StepCounts }> {
    const { files, counts } = await handlers.exportSubject(request.subjectId, { request, ...scope });
    const names = new Set<string>();
    const written: ExportPartFile[] = [];
    try {
      for (const file of files) {
        const name = exportPartFileSchema.shape.name.safeParse(file.name);
        if (!name.success) throw new PrivacyStepError(`${service} named an export file invalidly`);
        if (names.has(file.name)) throw new PrivacyStepError(`${service} wrote two export files of one name`);
        names.add(file.name);
        const plaintext = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
        const key = `${request.partPrefix}${service}/${file.name}.age`;
        await options.store.put(key, await encryptForRecipients(plaintext, options.recipients));
        written.push({
          name: file.name,
          key,
          bytes: plaintext.byteLength,
          sha256: createHash('sha256').update(plaintext).digest('hex'),
        });
      }
    } catch (error) {
      // No half part left behind by a step that did not finish (an outage retries and rewrites it).
      await options.store.remove(...written.map((file) => file.key)).catch(() => undefined);
      throw error;
    }
    return { files: written, counts: checkedCounts(counts) };
  }

  const consumer = await startConsumer<Scope<Tx>>({
    kafka: options.kafka,
    groupId: options.groupId ?? `${service}-privacy`,
    topics: [PRIVACY_TOPICS.request],
    dlqTopic: PRIVACY_DLQ_TOPIC,
    topicPrefix: options.topicPrefix,
    log: options.log,
    metrics: options.metrics,
    transaction,
    // Failures that are not outages are counted here and answered as step.failed; what reaches
    // the consumer is either an outage, retried until it ends, or a poison message.
    maxAttempts: Number.MAX_SAFE_INTEGER,
    retryBackoffMs: options.retryBackoffMs ?? 500,
    async handle(event, scope) {
      const { kind, answer } = await run(event, scope);
      attempts.delete(event.id);
      if (!answer) {
        steps.inc({ kind, outcome: 'skipped' });
        return;
      }
      await enqueue(scope.sql, [
        {
          topic: PRIVACY_TOPICS.step,
          key: answer.data.requestId,
          envelope: newEvent({
            type: answer.type,
            actor: { service, userId: null, role: null },
            data: answer.data,
          }),
        },
      ]);
      steps.inc({
        kind,
        outcome: answer.type === PRIVACY_EVENT_TYPES.stepCompleted ? 'completed' : 'failed',
      });
      log.info(
        {
          event: answer.type,
          requestId: answer.data.requestId,
          kind,
          ...('files' in answer.data ? { files: answer.data.files.length } : {}),
        },
        'privacy step answered',
      );
    },
  });
  log.info({ service }, 'privacy participant started');
  return consumer;
}

function parse<S extends z.ZodType>(schema: S, data: unknown, type: string): z.infer<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new PoisonMessageError(`invalid ${type} body: ${fields.join('; ')}`);
}

/**
 * Retried for as long as it lasts: the database or the object store out of reach, or a
 * dependency the service reports as `unavailable` (billing when Stripe is down).
 */
function isOutage(error: unknown): boolean {
  return (
    isTransientError(error) ||
    (error instanceof ObjectStoreError && error.transient) ||
    (error instanceof DomainError && error.code === 'unavailable')
  );
}

function checkedCounts(counts: StepCounts | undefined): StepCounts {
  const checked: StepCounts = {};
  for (const [name, value] of Object.entries(counts ?? {})) {
    if (name.length > 64 || !Number.isSafeInteger(value) || value < 0)
      throw new PrivacyStepError('a step count is not a non-negative integer under a short name');
    checked[name] = value;
  }
  return checked;
}

/** One line for the admin's view; only a PrivacyStepError's own words, otherwise the error's kind. */
function failureReason(error: unknown): string {
  if (error instanceof PrivacyStepError) return error.message.split('\n')[0]?.slice(0, 500) || 'step failed';
  if (error instanceof ObjectStoreError) return 'the object store refused the export part';
  const code = (error as { code?: unknown } | null)?.code;
  const kind = error instanceof Error ? error.name : typeof error;
  return `step failed (${kind}${typeof code === 'string' && /^[\w-]{1,16}$/.test(code) ? ` ${code}` : ''})`;
}

/** One counter per registry: several participants in one process (tests) share it. */
const stepCounters = new WeakMap<Metrics['registry'], Counter<'kind' | 'outcome'>>();

function stepCounter(metrics: Metrics): Counter<'kind' | 'outcome'> {
  const existing = stepCounters.get(metrics.registry);
  if (existing) return existing;
  const counter = new Counter({
    name: 'privacy_participant_steps_total',
    help: 'Privacy requests this service answered, by kind (export, erasure) and outcome (completed, failed, skipped: the other erasure phase).',
    labelNames: ['kind', 'outcome'] as const,
    registers: [metrics.registry],
  });
  for (const kind of ['export', 'erasure'])
    for (const outcome of ['completed', 'failed']) counter.inc({ kind, outcome }, 0);
  stepCounters.set(metrics.registry, counter);
  return counter;
}
