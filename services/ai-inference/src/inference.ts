import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { PLANS, type EstimationFailureReason, type Plan } from '@tracking/contracts';
import type { Logger, Metrics } from '@tracking/kit';
import CircuitBreaker from 'opossum';

import type { Budget } from './budget';
import { createAiMetrics, type AiMetrics } from './metrics';
import { checkEstimate, checkReview, type Checked, type MealEstimate, type Review } from './plausibility';
import { estimateTask, reviewTask, type ReviewAggregates } from './prompts';
import {
  ProviderError,
  type JsonTask,
  type Operation,
  type Provider,
  type ProviderAnswer,
  type ProviderName,
} from './providers/provider';

export interface BreakerOptions {
  errorPercent: number;
  minCalls: number;
  windowMs: number;
  resetMs: number;
}

/** A result and who produced it, or why nobody could. */
export type Outcome<T> =
  | { ok: true; value: T; source: ProviderName; model: string }
  | { ok: false; reason: EstimationFailureReason };

export interface Inference {
  /** `plan` is the asker's: it bounds the tenant's estimates per day (docs/billing.md). */
  estimateMeal(tenantId: string, description: string, plan: Plan): Promise<Outcome<MealEstimate>>;
  writeReview(tenantId: string, week: ReviewAggregates): Promise<Outcome<Review>>;
  /** Stops the breakers' timers. */
  close(): void;
}

type CallResult<T> =
  { answer: ProviderAnswer; checked: Checked<T> } | { error: ProviderError | 'circuit_open' };

const tracer = () => trace.getTracer('@tracking/ai-inference');

/** OpenTelemetry's GenAI semantic conventions: the operation is a chat call. */
const GEN_AI_OPERATION = 'chat';

export function createInference(deps: {
  providers: Provider[];
  budget: Budget;
  log: Logger;
  metrics: Metrics;
  aiMetrics?: AiMetrics;
  breaker: BreakerOptions;
  /** Deadline of one provider call, retries included. */
  callDeadlineMs: number;
}): Inference {
  const aiMetrics = deps.aiMetrics ?? createAiMetrics(deps.metrics);
  const log = deps.log.child({ component: 'inference' });
  const breakers = new Map(
    deps.providers.map((provider) => {
      const breaker = new CircuitBreaker(
        (task: JsonTask, signal: AbortSignal) => provider.complete(task, signal),
        {
          timeout: false, // the SDK's timeout and our deadline bound each call
          errorThresholdPercentage: deps.breaker.errorPercent,
          volumeThreshold: deps.breaker.minCalls,
          rollingCountTimeout: deps.breaker.windowMs,
          resetTimeout: deps.breaker.resetMs,
          // A malformed answer or an unrecognised meal says nothing about the provider being up.
          errorFilter: (error: unknown) =>
            error instanceof ProviderError && (error.kind === 'malformed' || error.kind === 'unrecognised'),
        },
      );
      aiMetrics.circuitOpen.set({ provider: provider.name }, 0);
      breaker.on('open', () => {
        aiMetrics.circuitOpen.set({ provider: provider.name }, 1);
        log.warn({ event: 'ai.circuit_open', provider: provider.name }, 'provider circuit opened');
      });
      breaker.on('halfOpen', () => aiMetrics.circuitOpen.set({ provider: provider.name }, 1));
      breaker.on('close', () => {
        aiMetrics.circuitOpen.set({ provider: provider.name }, 0);
        log.info({ event: 'ai.circuit_closed', provider: provider.name }, 'provider circuit closed');
      });
      return [provider.name, breaker] as const;
    }),
  );

  /**
   * One provider call, observed: a span and a log line with provider, model, operation,
   * outcome, latency, token counts and correlation id (the logger adds it), and the metrics.
   * Never the prompt, the meal text or the answer (GenAI content capture is off).
   */
  async function call<T>(
    provider: Provider,
    task: JsonTask,
    check: (output: unknown) => Checked<T>,
    attempt: number,
  ): Promise<CallResult<T>> {
    const breaker = breakers.get(provider.name);
    if (!breaker) throw new Error(`no breaker for ${provider.name}`);
    const operation = task.operation;
    const started = performance.now();
    return tracer().startActiveSpan(
      `${GEN_AI_OPERATION} ${provider.model}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': GEN_AI_OPERATION,
          'gen_ai.provider.name': provider.name,
          'gen_ai.request.model': provider.model,
          'gen_ai.request.max_tokens': task.maxTokens,
          'gen_ai.output.type': 'json',
          'app.ai.operation': operation,
          'app.ai.attempt': attempt,
        },
      },
      async (span) => {
        let outcome: string;
        let result: CallResult<T>;
        try {
          const answer = await breaker.fire(task, AbortSignal.timeout(deps.callDeadlineMs));
          const checked = check(answer.output);
          outcome = checked.ok ? 'success' : 'invalid_output';
          result = { answer, checked };
          span.setAttributes({
            'gen_ai.response.model': answer.model,
            'gen_ai.usage.input_tokens': answer.inputTokens,
            'gen_ai.usage.output_tokens': answer.outputTokens,
          });
          aiMetrics.tokens.inc(
            { provider: provider.name, operation, direction: 'input' },
            answer.inputTokens,
          );
          aiMetrics.tokens.inc(
            { provider: provider.name, operation, direction: 'output' },
            answer.outputTokens,
          );
          if (!checked.ok) span.setAttribute('app.ai.problem', checked.problem);
        } catch (error) {
          // While open (and half-open, beyond its one trial call) opossum refuses without calling.
          const open = (error as { code?: unknown } | null)?.code === 'EOPENBREAKER';
          const failure = open
            ? 'circuit_open'
            : error instanceof ProviderError
              ? error
              : new ProviderError('unavailable', 'unexpected error');
          outcome = failure === 'circuit_open' ? 'circuit_open' : failure.kind;
          result = { error: failure };
          span.setAttribute('error.type', outcome);
          if (failure !== 'circuit_open') {
            span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
            if (failure.status !== undefined) span.setAttribute('http.response.status_code', failure.status);
          }
        }
        const seconds = (performance.now() - started) / 1000;
        if (outcome !== 'circuit_open')
          aiMetrics.duration.observe({ provider: provider.name, operation }, seconds);
        aiMetrics.requests.inc({ provider: provider.name, operation, outcome });
        const answer = 'answer' in result ? result.answer : undefined;
        const problem = 'checked' in result && !result.checked.ok ? result.checked.problem : undefined;
        const failure = 'error' in result && result.error !== 'circuit_open' ? result.error : undefined;
        log[outcome === 'success' ? 'info' : 'warn'](
          {
            event: 'ai.request',
            'gen_ai.provider.name': provider.name,
            'gen_ai.request.model': provider.model,
            'gen_ai.response.model': answer?.model,
            'gen_ai.operation.name': GEN_AI_OPERATION,
            'gen_ai.usage.input_tokens': answer?.inputTokens,
            'gen_ai.usage.output_tokens': answer?.outputTokens,
            operation,
            outcome,
            attempt,
            durationMs: Math.round(seconds * 1000),
            problem,
            error: failure?.message,
            status: failure?.status,
          },
          'AI request',
        );
        span.end();
        return result;
      },
    );
  }

  /**
   * Tries the providers in order. Each gets two attempts when its answer is malformed, invalid
   * or implausible (the one retry the contract allows); an unavailable or refusing provider, or
   * one whose circuit is open, is passed over at once for the next.
   */
  async function run<T>(
    tenantId: string,
    task: JsonTask,
    check: (output: unknown) => Checked<T>,
    plan?: Plan,
  ): Promise<Outcome<T>> {
    const operation: Operation = task.operation;
    const reservation = await deps.budget.reserve(
      tenantId,
      plan === undefined ? undefined : { estimatesPerDay: PLANS[plan].aiEstimatesPerDay },
    );
    if (reservation !== 'reserved') {
      aiMetrics.results.inc({ operation, result: reservation });
      log.warn(
        { event: `ai.${reservation}`, operation, ...(plan === undefined ? {} : { plan }) },
        reservation === 'plan_limit'
          ? "the client's plan has no estimates left today"
          : "the client's daily AI budget is spent",
      );
      return { ok: false, reason: reservation };
    }
    let reason: EstimationFailureReason = 'providers_unavailable';
    let tokens = 0;
    try {
      for (const provider of deps.providers) {
        for (let attempt = 1; attempt <= 2; attempt++) {
          const result = await call(provider, task, check, attempt);
          if ('error' in result) {
            if (result.error !== 'circuit_open' && result.error.kind === 'malformed') {
              reason = 'invalid_output';
              continue;
            }
            if (result.error !== 'circuit_open' && result.error.kind === 'unrecognised')
              reason = 'unrecognised';
            break;
          }
          tokens += result.answer.inputTokens + result.answer.outputTokens;
          if (result.checked.ok) {
            aiMetrics.results.inc({ operation, result: 'success' });
            return {
              ok: true,
              value: result.checked.value,
              source: provider.name,
              model: result.answer.model,
            };
          }
          reason = 'invalid_output';
        }
      }
      aiMetrics.results.inc({ operation, result: reason });
      return { ok: false, reason };
    } finally {
      await deps.budget.spend(tenantId, tokens);
    }
  }

  return {
    estimateMeal: (tenantId, description, plan) =>
      run(tenantId, estimateTask(description), (output) => checkEstimate(output, description), plan),
    writeReview: (tenantId, week) => run(tenantId, reviewTask(week), checkReview),
    close() {
      for (const breaker of breakers.values()) breaker.shutdown();
    },
  };
}
