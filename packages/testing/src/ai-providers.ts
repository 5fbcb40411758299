/**
 * Local HTTPS stand-ins for the two LLM providers, speaking their wire formats closely enough that
 * the official SDKs run against them unchanged, pointed here by `baseURL`:
 * - `anthropic`: Anthropic's Messages API (`POST /v1/messages`, `x-api-key` or `Authorization:
 *   Bearer`, forced tool use);
 * - `openai`: Alibaba DashScope's OpenAI-compatible Chat Completions
 *   (`POST /compatible-mode/v1/chat/completions`, `Authorization: Bearer`, JSON mode), with
 *   DashScope's own rules (the word "json" in JSON mode, no forced tool choice while thinking).
 *
 * Faults are scripted per request (`enqueue`) or persistent (`setDown`), and every request is
 * recorded with its arrival time and the status it got, so tests can count attempts and check the
 * spacing of retries. The fake tells an estimate from a review by the AI service's system prompts,
 * which the caller passes in (`prompts`). Test code only: never imported from src/.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export type FakeProviderKind = 'anthropic' | 'openai';
export type FakeTask = 'estimate_meal' | 'write_review' | 'unknown';

/** One request as the fake understood it. */
export interface FakeRequest {
  /** Which task, told by the system prompt containing one of the options' `prompts`. */
  task: FakeTask;
  /** The user messages' text (joined by newlines if there are several). */
  input: string;
  model: string;
  /** The raw request body, parsed; undefined when it was not JSON. */
  body: unknown;
  headers: IncomingHttpHeaders;
}

export interface RecordedRequest extends FakeRequest {
  /** When the request arrived (ms since the epoch). */
  at: number;
  method: string;
  /** The request path, query string included. */
  path: string;
  /** The status it was answered with; null when none was sent (connection dropped, or the client left first). */
  status: number | null;
}

export type FakeErrorStatus = 400 | 401 | 403 | 404 | 408 | 409 | 413 | 429 | 500 | 502 | 503 | 504 | 529;

/** An error response with the provider's real error body. */
export interface FakeErrorStep {
  status: FakeErrorStatus;
  /** Sent as `retry-after` (seconds), which both SDKs honour. */
  retryAfterSeconds?: number;
  /** Sent as `retry-after-ms`, which both SDKs prefer over `retry-after`. */
  retryAfterMs?: number;
  /** Sent as `x-should-retry`, which overrides both SDKs' own choice of what to retry. */
  shouldRetry?: boolean;
  /** Replaces the error message in the body. */
  message?: string;
}

/** One scripted behaviour, consumed by the next request that passes authentication and validation. */
export type FakeStep =
  | FakeErrorStep
  /** Wait, then answer normally (or with `thenStatus`'s error). */
  | { delayMs: number; thenStatus?: FakeErrorStatus }
  /** 200 with a JSON content type and a truncated body. */
  | { malformedJson: true }
  /** 200 with this as the tool input (Anthropic) or the message content's JSON (OpenAI). */
  | { output: unknown }
  /** 200 with the assistant answering in prose: a text block and no tool_use; content that is not JSON. */
  | { textInsteadOfJson: true }
  /** 200 with exactly this assistant text (e.g. JSON wrapped in a markdown fence). */
  | { rawText: string }
  /** Destroy the socket without answering. */
  | { dropConnection: true };

/** The AI service's system prompt for each task (its ESTIMATE_ and REVIEW_SYSTEM_PROMPT). */
export type FakeTaskPrompts = Record<Exclude<FakeTask, 'unknown'>, string>;

export interface FakeProviderOptions {
  kind: FakeProviderKind;
  tls: { cert: string | Buffer; key: string | Buffer };
  prompts: FakeTaskPrompts;
  /** The object the "model" answers with; defaults to defaultAnswer. May return a promise. */
  answer?: (request: FakeRequest) => unknown;
}

export interface FakeProvider {
  readonly kind: FakeProviderKind;
  /** The base URL to give the SDK: `https://127.0.0.1:<port>` or `https://127.0.0.1:<port>/compatible-mode/v1`. */
  readonly url: string;
  readonly port: number;
  /** The only key the fake accepts. */
  readonly apiKey: string;
  /** Every request received since the start or the last reset, in order of arrival. */
  readonly requests: readonly RecordedRequest[];
  /** How many scripted steps are still queued. */
  readonly pending: number;
  /** Queues one-shot behaviours for the next requests, in order; the `answer` resumes when they run out. */
  enqueue(...steps: FakeStep[]): void;
  /**
   * A persistent outage: every request gets this status with the provider's error body ('drop':
   * the connection is destroyed), before authentication and without consuming queued steps.
   */
  setDown(status: FakeErrorStatus | 'drop' | false): void;
  /** Clears the queue, the outage and the recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

export const DEFAULT_ESTIMATE = {
  items: [{ name: 'meal', grams: 300, calories: 450 }],
  calories: 450,
  proteinG: 25,
  carbsG: 50,
  fatG: 15,
  confidence: 'medium',
};

export const DEFAULT_REVIEW = {
  summary:
    'A steady week: you logged most meals, your energy intake stayed close to your goal and you kept a regular sleep rhythm.',
  suggestions: [
    'Add a portion of vegetables to one more meal a day.',
    'Take a short walk after lunch on the days your step count dips.',
  ],
};

/** Well-formed but impossible: a 9,000 kcal apple whose macros account for 84 kcal. */
export const IMPLAUSIBLE_ESTIMATE = {
  items: [{ name: 'apple', grams: 150, calories: 9_000 }],
  calories: 9_000,
  proteinG: 1,
  carbsG: 20,
  fatG: 0,
  confidence: 'high',
};

/**
 * The service's provider settings pointed at a pair of fakes (Claude and Qwen, in that order),
 * trusting the fakes' CA: what the in-process tests parse and the system tests pass to the
 * ai-inference process.
 */
export function fakeProviderEnv(fakes: {
  anthropic: FakeProvider;
  qwen: FakeProvider;
  caFile: string;
}): Record<string, string> {
  return {
    AI_PROVIDERS: 'anthropic,qwen',
    ANTHROPIC_BASE_URL: fakes.anthropic.url,
    ANTHROPIC_MODEL: 'claude-test-model',
    ANTHROPIC_API_KEY: fakes.anthropic.apiKey,
    QWEN_BASE_URL: fakes.qwen.url,
    QWEN_MODEL: 'qwen3-test-model',
    QWEN_API_KEY: fakes.qwen.apiKey,
    AI_PROVIDER_CA_FILE: fakes.caFile,
  };
}

/** The default answer: a plausible estimate or review, an empty object for anything else. */
export function defaultAnswer(request: FakeRequest): unknown {
  switch (request.task) {
    case 'estimate_meal':
      return DEFAULT_ESTIMATE;
    case 'write_review':
      return DEFAULT_REVIEW;
    case 'unknown':
      return {};
  }
}

/**
 * A throwaway CA and a server certificate it signed for IP:127.0.0.1 and DNS:localhost, valid for
 * one day, made with openssl in a temporary directory (removed before returning).
 */
export function makeTestCertificate(): { cert: string; key: string; ca: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'fake-provider-tls-'));
  try {
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    writeFileSync(
      path.join(dir, 'server.ext'),
      [
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        'basicConstraints=CA:FALSE',
        'keyUsage=digitalSignature',
        'extendedKeyUsage=serverAuth',
        '',
      ].join('\n'),
    );
    openssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '1',
      '-subj',
      '/CN=fake-provider-ca',
    );
    openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
    openssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '1',
      '-extfile',
      'server.ext',
    );
    const read = (name: string) => readFileSync(path.join(dir, name), 'utf8');
    return { cert: read('server.crt'), key: read('server.key'), ca: read('ca.crt') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startFakeProvider(options: FakeProviderOptions): Promise<FakeProvider> {
  const fake = new FakeProviderServer(options);
  await fake.listen();
  return fake;
}

// ---------------------------------------------------------------------------------------------
// The two dialects.

type Json = Record<string, unknown>;

/** A request the provider refuses before any scripted step: bad path, key, body or parameters. */
interface Rejection {
  status: number;
  message: string;
  /** DashScope's error code; Anthropic has none in the body. */
  code?: string;
}

type Reply = { kind: 'json'; output: unknown } | { kind: 'text'; text: string };

interface Dialect {
  /** The prefix of `url` after the origin. */
  basePath: string;
  /** The one path served. */
  endpoint: string;
  requestIdHeader: string;
  newRequestId(): string;
  authorized(headers: IncomingHttpHeaders, apiKey: string): boolean;
  /** The request's system prompt, user text and model. */
  describe(body: unknown): Pick<FakeRequest, 'input' | 'model'> & { system: string };
  check(body: Json, headers: IncomingHttpHeaders): Rejection | undefined;
  errorBody(status: number, requestId: string, message?: string, code?: string): unknown;
  reply(body: Json, reply: Reply): unknown;
}

const PROSE =
  'That sounds like a hearty meal! I would guess somewhere around 450 kcal, but it depends a lot on the portion.';

const anthropic: Dialect = {
  basePath: '',
  endpoint: '/v1/messages',
  requestIdHeader: 'request-id',
  newRequestId: () => `req_011C${randomId(20)}`,

  // The API takes a key as `x-api-key`; @anthropic-ai/sdk 1.x sends `apiKey` as `Authorization: Bearer`.
  authorized: (headers, apiKey) =>
    headers['x-api-key'] === apiKey || headers.authorization === `Bearer ${apiKey}`,

  describe(body) {
    const json = isRecord(body) ? body : {};
    const messages = listOf(json.messages) ?? [];
    return {
      system: textOf(json.system),
      input: userText(messages),
      model: typeof json.model === 'string' ? json.model : '',
    };
  },

  check(body, headers) {
    const invalid = (message: string): Rejection => ({ status: 400, message });
    if (headers['anthropic-version'] === undefined) return invalid('anthropic-version: header is required');
    if (typeof body.model !== 'string' || body.model === '') return invalid('model: Field required');
    if (body.max_tokens === undefined) return invalid('max_tokens: Field required');
    if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1) {
      return invalid('max_tokens: Input should be a valid integer greater than or equal to 1');
    }
    const messages = listOf(body.messages);
    if (messages === undefined) return invalid('messages: Field required');
    if (messages.length === 0) return invalid('messages: at least one message is required');
    for (const [index, message] of messages.entries()) {
      if (!isRecord(message) || (message.role !== 'user' && message.role !== 'assistant')) {
        return invalid(`messages.${index}.role: Input should be 'user' or 'assistant'`);
      }
      if (typeof message.content !== 'string' && !Array.isArray(message.content)) {
        return invalid(`messages.${index}.content: Field required`);
      }
    }
    if (body.stream === true) return invalid('stream: this fake provider does not stream');
    const tools = body.tools === undefined ? [] : listOf(body.tools);
    if (tools === undefined) return invalid('tools: Input should be a valid list');
    const names: string[] = [];
    for (const [index, tool] of tools.entries()) {
      if (!isRecord(tool) || typeof tool.name !== 'string')
        return invalid(`tools.${index}.name: Field required`);
      if (!isRecord(tool.input_schema)) return invalid(`tools.${index}.custom.input_schema: Field required`);
      if (tool.input_schema.type !== 'object') {
        return invalid(`tools.${index}.custom.input_schema.type: Input should be 'object'`);
      }
      names.push(tool.name);
    }
    const choice = body.tool_choice;
    if (choice !== undefined) {
      if (!isRecord(choice) || !['auto', 'any', 'tool', 'none'].includes(String(choice.type))) {
        return invalid("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
      }
      if (choice.type !== 'auto' && choice.type !== 'none' && names.length === 0) {
        return invalid('tool_choice: tool_choice may only be specified while providing tools.');
      }
      if (choice.type === 'tool' && !names.includes(String(choice.name))) {
        return invalid(`tool_choice.name: Tool '${String(choice.name)}' not found in tools`);
      }
      const thinking = isRecord(body.thinking) ? body.thinking.type : undefined;
      if (
        (choice.type === 'any' || choice.type === 'tool') &&
        (thinking === 'enabled' || thinking === 'adaptive')
      ) {
        return invalid('Thinking may not be enabled when tool_choice forces tool use.');
      }
    }
    return undefined;
  },

  errorBody(status, requestId, message) {
    const [type, fallback] = ANTHROPIC_ERRORS[status] ?? ['api_error', 'Internal server error'];
    return { type: 'error', error: { type, message: message ?? fallback }, request_id: requestId };
  },

  reply(body, reply) {
    const inputTokens = tokens(JSON.stringify([body.system, body.messages, body.tools]));
    const tools = (listOf(body.tools) ?? []).filter(isRecord);
    const choice = isRecord(body.tool_choice) ? body.tool_choice : { type: 'auto' };
    // A forced tool, else the first tool (what a model handed one tool does), else plain text.
    const toolName =
      choice.type === 'none'
        ? undefined
        : choice.type === 'tool'
          ? String(choice.name)
          : tools.length > 0
            ? String(tools[0]?.name)
            : undefined;
    const base = {
      id: `msg_01${randomId(22)}`,
      type: 'message',
      role: 'assistant',
      model: body.model,
      stop_sequence: null,
      container: null,
      stop_details: null,
    };
    const usage = (outputTokens: number) => ({
      input_tokens: inputTokens,
      output_tokens: outputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      server_tool_use: null,
      service_tier: 'standard',
    });
    if (reply.kind === 'json' && toolName !== undefined) {
      return {
        ...base,
        content: [
          {
            type: 'tool_use',
            id: `toolu_01${randomId(22)}`,
            name: toolName,
            input: reply.output,
            caller: { type: 'direct' },
          },
        ],
        stop_reason: 'tool_use',
        usage: usage(tokens(JSON.stringify(reply.output)) + 30),
      };
    }
    const text = reply.kind === 'json' ? jsonText(reply.output) : reply.text;
    return {
      ...base,
      content: [{ type: 'text', text, citations: null }],
      stop_reason: 'end_turn',
      usage: usage(tokens(text)),
    };
  },
};

const ANTHROPIC_ERRORS: Partial<Record<number, [type: string, message: string]>> = {
  400: ['invalid_request_error', 'Invalid request.'],
  401: ['authentication_error', 'invalid x-api-key'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'Not found'],
  408: ['timeout_error', 'Request timed out'],
  409: ['conflict_error', 'Conflict'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
  429: ['rate_limit_error', 'Number of requests has exceeded your rate limit. Please try again later.'],
  500: ['api_error', 'Internal server error'],
  502: ['api_error', 'Bad gateway'],
  503: ['api_error', 'Service unavailable'],
  504: ['timeout_error', 'Request timed out'],
  529: ['overloaded_error', 'Overloaded'],
};

const openai: Dialect = {
  basePath: '/compatible-mode/v1',
  endpoint: '/compatible-mode/v1/chat/completions',
  requestIdHeader: 'x-request-id',
  newRequestId: () => randomUuid(),

  authorized: (headers, apiKey) => headers.authorization === `Bearer ${apiKey}`,

  describe(body) {
    const json = isRecord(body) ? body : {};
    const messages = (listOf(json.messages) ?? []).filter(isRecord);
    const system = messages
      .filter((message) => message.role === 'system' || message.role === 'developer')
      .map((message) => textOf(message.content))
      .join('\n');
    return {
      system,
      input: userText(messages),
      model: typeof json.model === 'string' ? json.model : '',
    };
  },

  check(body) {
    const invalid = (message: string, code = 'invalid_parameter_error'): Rejection => ({
      status: 400,
      message,
      code,
    });
    if (typeof body.model !== 'string' || body.model === '') {
      return invalid('Required parameter(s) missing or invalid, please check the request parameters: model.');
    }
    const messages = listOf(body.messages);
    if (messages === undefined || messages.length === 0) {
      return invalid(
        'Required parameter(s) missing or invalid, please check the request parameters: messages.',
      );
    }
    for (const message of messages) {
      if (!isRecord(message) || typeof message.role !== 'string') {
        return invalid(
          'Required parameter(s) missing or invalid, please check the request parameters: role.',
        );
      }
    }
    if (body.stream === true) return invalid('stream: this fake provider does not stream');
    const format = isRecord(body.response_format) ? body.response_format.type : undefined;
    if (format === 'json_object') {
      const all = messages.filter(isRecord).map((message) => textOf(message.content));
      if (!/json/i.test(all.join('\n'))) {
        return invalid(
          "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
        );
      }
    }
    // Qwen3's thinking defaults differ between models; taken as on unless turned off explicitly.
    const thinking =
      body.enable_thinking === true || (body.enable_thinking === undefined && body.model.startsWith('qwen3'));
    const forcedTool = body.tool_choice === 'required' || isRecord(body.tool_choice);
    if (thinking && forcedTool) {
      return invalid(
        'The tool_choice parameter does not support being set to required or object in thinking mode',
      );
    }
    if (thinking) return invalid('parameter.enable_thinking must be set to false for non-streaming calls');
    return undefined;
  },

  errorBody(status, requestId, message, code) {
    const [type, fallbackCode, fallback] = OPENAI_ERRORS[status] ?? [
      'internal_error',
      'internal_error',
      'An internal error has occured, please try again later or contact service support.',
    ];
    return {
      error: { message: message ?? fallback, type, param: null, code: code ?? fallbackCode },
      id: `chatcmpl-${randomUuid()}`,
      request_id: requestId,
    };
  },

  reply(body, reply) {
    const promptTokens = tokens(JSON.stringify([body.messages, body.tools]));
    const tools = (listOf(body.tools) ?? []).filter(isRecord);
    const choice = body.tool_choice;
    const functionName = (tool: unknown) =>
      isRecord(tool) && isRecord(tool.function) ? String(tool.function.name) : undefined;
    // A forced function (an object, or 'required': the first tool) is called; otherwise the model writes.
    const toolName = isRecord(choice)
      ? functionName(choice)
      : choice === 'required'
        ? functionName(tools[0])
        : undefined;
    let message: Json;
    let finishReason: string;
    let completionTokens: number;
    if (reply.kind === 'json' && toolName !== undefined) {
      const args = jsonText(reply.output);
      message = {
        role: 'assistant',
        content: '',
        tool_calls: [
          {
            index: 0,
            id: `call_${randomId(24)}`,
            type: 'function',
            function: { name: toolName, arguments: args },
          },
        ],
      };
      finishReason = 'tool_calls';
      completionTokens = tokens(args) + 10;
    } else {
      const content = reply.kind === 'json' ? jsonText(reply.output) : reply.text;
      message = { role: 'assistant', content };
      finishReason = 'stop';
      completionTokens = tokens(content);
    }
    return {
      id: `chatcmpl-${randomUuid()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message, finish_reason: finishReason, logprobs: null }],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
        prompt_tokens_details: { cached_tokens: 0 },
      },
      system_fingerprint: null,
    };
  },
};

const OPENAI_ERRORS: Partial<Record<number, [type: string, code: string, message: string]>> = {
  400: [
    'invalid_request_error',
    'invalid_parameter_error',
    'Required parameter(s) missing or invalid, please check the request parameters.',
  ],
  401: ['invalid_request_error', 'invalid_api_key', 'Incorrect API key provided. '],
  403: ['access_denied', 'access_denied', 'Access denied.'],
  404: [
    'invalid_request_error',
    'model_not_found',
    'The model or the path does not exist or you do not have access to it.',
  ],
  408: ['request_timeout', 'request_timeout', 'Request timed out, please try again later.'],
  409: ['invalid_request_error', 'conflict', 'Conflict.'],
  413: ['invalid_request_error', 'invalid_parameter_error', 'Request entity too large.'],
  429: ['limit_requests', 'limit_requests', 'Requests rate limit exceeded, please try again later.'],
  500: [
    'internal_error',
    'internal_error',
    'An internal error has occured, please try again later or contact service support.',
  ],
  502: ['internal_error', 'bad_gateway', 'Bad gateway.'],
  503: [
    'service_unavailable',
    'service_unavailable',
    'The service is temporarily unavailable, please try again later.',
  ],
  504: ['request_timeout', 'gateway_timeout', 'Gateway timeout.'],
  529: ['service_unavailable', 'overloaded', 'The model is overloaded, please try again later.'],
};

// ---------------------------------------------------------------------------------------------
// The server.

class FakeProviderServer implements FakeProvider {
  readonly kind: FakeProviderKind;
  readonly apiKey: string;
  private readonly dialect: Dialect;
  private readonly answer: (request: FakeRequest) => unknown;
  private readonly prompts: FakeTaskPrompts;
  private readonly server: Server;
  private readonly recorded: RecordedRequest[] = [];
  private queue: FakeStep[] = [];
  private down: FakeErrorStatus | 'drop' | false = false;
  /** Ends every pending delay, so close() does not wait for them. */
  private readonly wakers = new Set<() => void>();

  constructor(options: FakeProviderOptions) {
    this.kind = options.kind;
    this.dialect = options.kind === 'anthropic' ? anthropic : openai;
    this.apiKey = `${options.kind === 'anthropic' ? 'sk-ant-fake-' : 'sk-fake-'}${randomId(32)}`;
    this.answer = options.answer ?? defaultAnswer;
    this.prompts = options.prompts;
    this.server = createServer({ cert: options.tls.cert, key: options.tls.key }, (req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        const message = `fake provider failure: ${error instanceof Error ? error.message : String(error)}`;
        const requestId = this.dialect.newRequestId();
        respond(res, 500, jsonText(this.dialect.errorBody(500, requestId, message)), {
          [this.dialect.requestIdHeader]: requestId,
        });
      });
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}${this.dialect.basePath}`;
  }

  get requests(): readonly RecordedRequest[] {
    return this.recorded;
  }

  get pending(): number {
    return this.queue.length;
  }

  enqueue(...steps: FakeStep[]): void {
    this.queue.push(...steps);
  }

  setDown(status: FakeErrorStatus | 'drop' | false): void {
    this.down = status;
  }

  reset(): void {
    this.queue = [];
    this.down = false;
    this.recorded.length = 0;
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      this.server.closeAllConnections();
      for (const wake of this.wakers) wake();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const body = parseJson(await readBody(req));
    const { system, ...described } = this.dialect.describe(body);
    const record: RecordedRequest = {
      task: taskOf(system, this.prompts),
      ...described,
      body,
      headers: req.headers,
      at,
      method: req.method ?? '',
      path: req.url ?? '',
      status: null,
    };
    this.recorded.push(record);
    const requestId = this.dialect.newRequestId();
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      const text = typeof payload === 'string' ? payload : jsonText(payload);
      if (respond(res, status, text, { [this.dialect.requestIdHeader]: requestId, ...headers })) {
        record.status = status;
      }
    };
    const fail = (step: FakeErrorStep) => {
      const headers: Record<string, string> = {};
      if (step.retryAfterSeconds !== undefined) headers['retry-after'] = String(step.retryAfterSeconds);
      if (step.retryAfterMs !== undefined) headers['retry-after-ms'] = String(step.retryAfterMs);
      if (step.shouldRetry !== undefined) headers['x-should-retry'] = String(step.shouldRetry);
      send(step.status, this.dialect.errorBody(step.status, requestId, step.message), headers);
    };
    const reject = (rejection: Rejection) =>
      send(
        rejection.status,
        this.dialect.errorBody(rejection.status, requestId, rejection.message, rejection.code),
      );

    if (this.down === 'drop') {
      req.socket.destroy();
      return;
    }
    if (this.down !== false) {
      fail({ status: this.down });
      return;
    }
    const pathname = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || pathname !== this.dialect.endpoint) {
      reject({
        status: 404,
        message: `${req.method ?? ''} ${pathname ?? ''} is not served`,
        code: 'not_found',
      });
      return;
    }
    if (!this.dialect.authorized(req.headers, this.apiKey)) {
      reject({
        status: 401,
        message: this.kind === 'anthropic' ? 'invalid x-api-key' : 'Incorrect API key provided. ',
      });
      return;
    }
    if (!isRecord(body)) {
      reject({
        status: 400,
        message: 'The request body is not valid JSON.',
        code: 'invalid_parameter_error',
      });
      return;
    }
    const rejection = this.dialect.check(body, req.headers);
    if (rejection) {
      reject(rejection);
      return;
    }

    let step = this.queue.shift();
    if (step && 'delayMs' in step) {
      await this.delay(step.delayMs, res);
      if (gone(res)) return; // the client gave up (its timeout): the record keeps status null
      step = step.thenStatus === undefined ? undefined : { status: step.thenStatus };
    }
    if (step === undefined) {
      const request: FakeRequest = {
        task: record.task,
        input: record.input,
        model: record.model,
        body,
        headers: req.headers,
      };
      send(200, this.dialect.reply(body, { kind: 'json', output: await this.answer(request) }));
    } else if ('status' in step) {
      fail(step);
    } else if ('dropConnection' in step) {
      req.socket.destroy();
    } else if ('malformedJson' in step) {
      // A real reply cut off halfway, as a proxy or a dying connection might deliver it.
      const whole = jsonText(this.dialect.reply(body, { kind: 'json', output: DEFAULT_ESTIMATE }));
      send(200, whole.slice(0, Math.floor(whole.length / 2)));
    } else if ('output' in step) {
      send(200, this.dialect.reply(body, { kind: 'json', output: step.output }));
    } else if ('rawText' in step) {
      send(200, this.dialect.reply(body, { kind: 'text', text: step.rawText }));
    } else {
      send(200, this.dialect.reply(body, { kind: 'text', text: PROSE }));
    }
  }

  /** Waits, or less if the client leaves or the fake closes. */
  private delay(ms: number, res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        res.off('close', wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
      res.on('close', wake);
    });
  }
}

/** Whether the response can no longer be sent: already sent, or the connection is gone. */
function gone(res: ServerResponse): boolean {
  return res.destroyed || res.writableEnded || res.socket?.destroyed !== false;
}

/** Writes a JSON response unless the client has gone; false if it had. */
function respond(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string>,
): boolean {
  if (gone(res)) return false;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
  return true;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The text of a content field: a string, or the text parts of an array of blocks. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  return (listOf(content) ?? [])
    .filter(isRecord)
    .filter((part) => part.type === 'text' && typeof part.text === 'string')
    .map((part) => String(part.text))
    .join('\n');
}

function userText(messages: unknown[]): string {
  return messages
    .filter(isRecord)
    .filter((message) => message.role === 'user')
    .map((message) => textOf(message.content))
    .join('\n');
}

function taskOf(system: string, prompts: FakeTaskPrompts): FakeTask {
  if (system.includes(prompts.estimate_meal)) return 'estimate_meal';
  if (system.includes(prompts.write_review)) return 'write_review';
  return 'unknown';
}

/** JSON text; 'null' for undefined, which JSON.stringify turns into undefined despite its type. */
function jsonText(output: unknown): string {
  return output === undefined ? 'null' : JSON.stringify(output);
}

/** A rough token count: four characters a token. */
function tokens(text: string | undefined): number {
  return Math.max(1, Math.ceil((text ?? '').length / 4));
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomId(length: number): string {
  return Array.from(randomBytes(length), (byte) => ALPHABET[byte % ALPHABET.length]).join('');
}

function randomUuid(): string {
  return randomUUID();
}

/** An array's elements as unknowns (Array.isArray alone would make them `any`). */
function listOf(value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? (value as unknown[]) : undefined;
}
