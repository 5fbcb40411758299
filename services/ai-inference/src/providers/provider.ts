/**
 * What every provider adapter does: send one instruction and one input, get one JSON object of
 * a given shape back. The adapters differ only in wire format (Anthropic's forced tool use,
 * Qwen's JSON mode, the offline estimator's tables); validation and plausibility checks are
 * done once, above them, for all.
 */
export const PROVIDER_NAMES = ['anthropic', 'qwen', 'offline'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export type Operation = 'estimate_meal' | 'write_review';

export interface JsonTask {
  operation: Operation;
  /** The output's name: Anthropic's tool name, a label in Qwen's prompt. */
  name: string;
  description: string;
  system: string;
  /** The only user content: a meal's text, or a week's aggregates as JSON. Never logged. */
  input: string;
  /** JSON schema of the expected object, without numeric bounds (providers reject them). */
  schema: Record<string, unknown>;
  maxTokens: number;
}

export interface ProviderAnswer {
  /** The parsed JSON object, not yet validated. */
  output: unknown;
  /** The model id the provider reports having used. */
  model: string;
  inputTokens: number;
  outputTokens: number;
}

export interface Provider {
  readonly name: ProviderName;
  /** The configured model id (the answer reports the one actually used). */
  readonly model: string;
  complete(task: JsonTask, signal: AbortSignal): Promise<ProviderAnswer>;
}

/**
 * Why a call failed, as far as the caller cares:
 * - `unavailable`: network, timeout, 429 or 5xx after the SDK's retries; try the next provider.
 * - `rejected`: a non-retryable 4xx (a bad key, a refused request); also the next provider.
 * - `malformed`: an answer that is not the JSON object asked for; worth one retry.
 * - `unrecognised`: the offline estimator found no food it knows in the text; no retry.
 */
export type ProviderErrorKind = 'unavailable' | 'rejected' | 'malformed' | 'unrecognised';

export class ProviderError extends Error {
  override name = 'ProviderError';
  constructor(
    readonly kind: ProviderErrorKind,
    /** A short, content-free description, e.g. "HTTP 503" or "no tool_use block". */
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}
