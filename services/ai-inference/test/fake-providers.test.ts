/**
 * The fakes speak the providers' wire formats: the official SDKs, unchanged but for `baseURL` and a
 * `fetch` that trusts the throwaway CA, get what they would get from the real services, and
 * their own retry logic reacts to the scripted faults as it would to real ones.
 */
import Anthropic, { type ClientOptions as AnthropicOptions } from '@anthropic-ai/sdk';
import OpenAI, { type ClientOptions as OpenAIOptions } from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { Agent, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';

import { estimateTask, reviewTask, type ReviewAggregates } from '../src/prompts';
import type { JsonTask } from '../src/providers/provider';
import {
  DEFAULT_ESTIMATE,
  DEFAULT_REVIEW,
  makeTestCertificate,
  startFakeProvider,
  type FakeProvider,
  type FakeRequest,
} from './fake-providers';

const tls = makeTestCertificate();
const dispatcher = new Agent({ connect: { ca: tls.ca } });
/**
 * A fetch that trusts the throwaway CA, for both SDKs (their `Fetch` types are the same). undici's
 * own Request, RequestInit and Response are not the globals' types (another undici-types copy),
 * so the SDK's URL string and init go in with a cast, and the answer comes back as a global
 * Response around undici's body stream.
 */
const fetch: NonNullable<AnthropicOptions['fetch'] & OpenAIOptions['fetch']> = async (input, init) => {
  const url = typeof input === 'string' || input instanceof URL ? input : input.url;
  try {
    const response = await undiciFetch(url, { ...(init as UndiciRequestInit), dispatcher });
    return new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers: [...response.headers],
    });
  } catch (error) {
    throw inThisRealm(error);
  }
};

/**
 * Under jest only: the SDK's timeout aborts through Node's own AbortController, whose
 * DOMException comes from outside jest's sandbox and so is not `instanceof Error` in here.
 * openai's castToError (unlike Anthropic's, which also knows `[object DOMException]`) then
 * flattens it to `Error: {}`, losing the AbortError name it tells a timeout by, and reports a
 * plain APIConnectionError. Plain Node has one realm and no such issue.
 */
function inThisRealm(error: unknown): unknown {
  if (error instanceof Error || typeof error !== 'object' || error === null) return error;
  const { name, message } = error as { name?: unknown; message?: unknown };
  return Object.assign(new Error(String(message)), { name: String(name) });
}
afterAll(async () => {
  await dispatcher.close();
});

const MEAL = 'two fried eggs on buttered toast and a glass of orange juice';

const week: ReviewAggregates = {
  weekStart: '2026-03-02',
  days: Array.from({ length: 7 }, (_, index) => ({
    date: `2026-03-0${index + 2}`,
    meals: 3,
    unestimatedMeals: 0,
    calories: 2_100,
    proteinG: 95,
    carbsG: 240,
    fatG: 70,
    weightKg: 72.4,
    sleepHours: 7.5,
    steps: 8_000,
    waterMl: 1_800,
    mood: 4,
  })),
  goals: { calories: 2_200, proteinG: 100, carbsG: 250, fatG: 70 },
};

/** A gap between two recorded attempts, in ms. */
function gap(fake: FakeProvider, first: number, second: number): number {
  const a = fake.requests[first];
  const b = fake.requests[second];
  if (!a || !b) throw new Error(`expected requests ${first} and ${second}, got ${fake.requests.length}`);
  return b.at - a.at;
}

describe('the fake Anthropic Messages API, driven by @anthropic-ai/sdk', () => {
  let fake: FakeProvider;
  const answers: FakeRequest[] = [];

  beforeAll(async () => {
    fake = await startFakeProvider({
      kind: 'anthropic',
      tls,
      answer: (request) => {
        answers.push(request);
        return request.task === 'write_review' ? DEFAULT_REVIEW : DEFAULT_ESTIMATE;
      },
    });
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.reset();
    answers.length = 0;
  });

  const client = (options: Partial<AnthropicOptions> = {}) =>
    new Anthropic({ apiKey: fake.apiKey, baseURL: fake.url, maxRetries: 0, fetch, ...options });

  /** What the adapter sends: the task's system prompt, its input as the only user content, a forced tool. */
  const complete = (anthropic: Anthropic, task: JsonTask = estimateTask(MEAL)) =>
    anthropic.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: task.maxTokens,
      system: task.system,
      messages: [{ role: 'user', content: task.input }],
      tools: [
        { name: task.name, description: task.description, input_schema: { ...task.schema, type: 'object' } },
      ],
      tool_choice: { type: 'tool', name: task.name },
    });

  test('a forced tool call returns the answer as the tool_use input', async () => {
    const message = await complete(client());

    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-haiku-4-5',
      stop_reason: 'tool_use',
      content: [{ type: 'tool_use', name: 'record_meal_estimate', input: DEFAULT_ESTIMATE }],
    });
    expect(message.id).toMatch(/^msg_/);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    expect(message._request_id).toMatch(/^req_/);

    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({
      task: 'estimate_meal',
      input: MEAL,
      model: 'claude-haiku-4-5',
      method: 'POST',
      path: '/v1/messages',
      status: 200,
    });
    // 1.x of the SDK sends a newer version than the long-lived 2023-06-01.
    expect(fake.requests[0]?.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
    expect(answers).toEqual([expect.objectContaining({ task: 'estimate_meal', input: MEAL })]);
  });

  test('a review is told from an estimate by its system prompt', async () => {
    const message = await complete(client(), reviewTask(week));

    expect(message.content).toEqual([
      expect.objectContaining({ type: 'tool_use', name: 'record_weekly_review', input: DEFAULT_REVIEW }),
    ]);
    expect(fake.requests[0]?.task).toBe('write_review');
  });

  test('scripted outputs and prose replace the answer', async () => {
    fake.enqueue({ output: { calories: 'lots' } }, { textInsteadOfJson: true });

    await expect(complete(client())).resolves.toMatchObject({
      content: [{ type: 'tool_use', input: { calories: 'lots' } }],
    });
    const prose = await complete(client());
    expect(prose.stop_reason).toBe('end_turn');
    expect(prose.content).toEqual([expect.objectContaining({ type: 'text' })]);
    expect(fake.pending).toBe(0);
  });

  test('a 429 with retry-after 1 is retried after a second and then succeeds', async () => {
    fake.enqueue({ status: 429, retryAfterSeconds: 1 });

    await expect(complete(client({ maxRetries: 2 }))).resolves.toMatchObject({ stop_reason: 'tool_use' });

    expect(fake.requests.map((request) => request.status)).toEqual([429, 200]);
    expect(gap(fake, 0, 1)).toBeGreaterThanOrEqual(900);
    expect(fake.requests[1]?.headers['x-stainless-retry-count']).toBe('1');
  });

  test('retry-after-ms takes precedence over retry-after', async () => {
    fake.enqueue({ status: 429, retryAfterMs: 20, retryAfterSeconds: 5 });

    await complete(client({ maxRetries: 1 }));

    expect(gap(fake, 0, 1)).toBeLessThan(1_000);
  });

  test('a 400 is not retried', async () => {
    fake.enqueue({ status: 400 });

    const error = await complete(client({ maxRetries: 2 })).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error).toMatchObject({ status: 400, type: 'invalid_request_error' });
    expect(fake.requests).toHaveLength(1);
  });

  test('529 and 503 are retried', async () => {
    fake.enqueue({ status: 529 }, { status: 503 });

    await expect(complete(client({ maxRetries: 2 }))).resolves.toMatchObject({ stop_reason: 'tool_use' });

    expect(fake.requests.map((request) => request.status)).toEqual([529, 503, 200]);
  });

  test('a persistent overload exhausts the retries as an OverloadedError', async () => {
    fake.setDown(529);

    const error = await complete(client({ maxRetries: 1 })).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Anthropic.OverloadedError);
    expect(error).toMatchObject({ status: 529, type: 'overloaded_error' });
    expect(fake.requests.map((request) => request.status)).toEqual([529, 529]);
  });

  test('x-should-retry: false stops the retry of a 503', async () => {
    fake.enqueue({ status: 503, shouldRetry: false });

    await expect(complete(client({ maxRetries: 2 }))).rejects.toBeInstanceOf(
      Anthropic.ServiceUnavailableError,
    );
    expect(fake.requests).toHaveLength(1);
  });

  test('a malformed JSON body surfaces as a SyntaxError, not retried', async () => {
    fake.enqueue({ malformedJson: true });

    const error = await complete(client({ maxRetries: 2 })).catch((caught: unknown) => caught);

    // Response.json()'s SyntaxError, from outside jest's sandbox here: told by its name, not instanceof.
    expect(error).toMatchObject({ name: 'SyntaxError' });
    expect(error).not.toBeInstanceOf(Anthropic.AnthropicError);
    expect(fake.requests.map((request) => request.status)).toEqual([200]);
  });

  test('a wrong key is an AuthenticationError, not retried', async () => {
    const error = await complete(client({ apiKey: 'sk-ant-wrong', maxRetries: 2 })).catch(
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(error).toMatchObject({
      status: 401,
      type: 'authentication_error',
      error: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } },
    });
    expect(error).toMatchObject({ requestID: expect.stringMatching(/^req_/) as unknown });
    expect(fake.requests.map((request) => request.status)).toEqual([401]);
  });

  test('a response slower than the timeout is an APIConnectionTimeoutError', async () => {
    fake.enqueue({ delayMs: 2_000 });

    await expect(complete(client({ timeout: 300 }))).rejects.toBeInstanceOf(
      Anthropic.APIConnectionTimeoutError,
    );
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.status).toBeNull();
  });

  test('a timed-out attempt is retried', async () => {
    fake.enqueue({ delayMs: 2_000 });

    await expect(complete(client({ timeout: 300, maxRetries: 1 }))).resolves.toMatchObject({
      stop_reason: 'tool_use',
    });
    expect(fake.requests).toHaveLength(2);
  });

  test('a dropped connection is an APIConnectionError, retried', async () => {
    fake.enqueue({ dropConnection: true });
    await expect(complete(client())).rejects.toBeInstanceOf(Anthropic.APIConnectionError);

    fake.enqueue({ dropConnection: true });
    await expect(complete(client({ maxRetries: 1 }))).resolves.toMatchObject({ stop_reason: 'tool_use' });
    expect(fake.requests.map((request) => request.status)).toEqual([null, null, 200]);
  });

  test('thinking with a forced tool is refused as the API refuses it', async () => {
    const task = estimateTask(MEAL);
    const request = client().messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 2_048,
      system: task.system,
      messages: [{ role: 'user', content: task.input }],
      tools: [{ name: task.name, input_schema: { ...task.schema, type: 'object' } }],
      tool_choice: { type: 'tool', name: task.name },
      thinking: { type: 'enabled', budget_tokens: 1_024 },
    });

    await expect(request).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining(
        'Thinking may not be enabled when tool_choice forces tool use',
      ) as unknown,
    });
  });
});

describe('the fake DashScope OpenAI-compatible API, driven by openai', () => {
  let fake: FakeProvider;

  beforeAll(async () => {
    fake = await startFakeProvider({ kind: 'openai', tls });
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.reset();
  });

  const client = (options: Partial<OpenAIOptions> = {}) =>
    new OpenAI({ apiKey: fake.apiKey, baseURL: fake.url, maxRetries: 0, fetch, ...options });

  /** DashScope's extra body parameter, which the SDK's types do not know. */
  type QwenParams = ChatCompletionCreateParamsNonStreaming & { enable_thinking?: boolean };

  /** What the adapter sends: JSON mode, thinking off, the task's system prompt and its input. */
  const complete = (openai: OpenAI, task: JsonTask = estimateTask(MEAL), extra: Partial<QwenParams> = {}) => {
    const params: QwenParams = {
      model: 'qwen-plus',
      messages: [
        { role: 'system', content: task.system },
        { role: 'user', content: task.input },
      ],
      response_format: { type: 'json_object' },
      enable_thinking: false,
      ...extra,
    };
    return openai.chat.completions.create(params);
  };

  test('a JSON-mode call returns the answer as the message content', async () => {
    const completion = await complete(client());

    expect(completion).toMatchObject({
      object: 'chat.completion',
      model: 'qwen-plus',
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant' } }],
    });
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(JSON.parse(completion.choices[0]?.message.content ?? '')).toEqual(DEFAULT_ESTIMATE);
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
    expect(completion._request_id).toBeTruthy();

    expect(fake.requests[0]).toMatchObject({
      task: 'estimate_meal',
      input: MEAL,
      model: 'qwen-plus',
      path: '/compatible-mode/v1/chat/completions',
      status: 200,
      body: expect.objectContaining({ enable_thinking: false }) as unknown,
    });
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
  });

  test('a review is told from an estimate by its system prompt', async () => {
    const completion = await complete(client(), reviewTask(week));

    expect(JSON.parse(completion.choices[0]?.message.content ?? '')).toEqual(DEFAULT_REVIEW);
    expect(fake.requests[0]?.task).toBe('write_review');
  });

  test('JSON mode without the word "json" in the messages is a 400 BadRequestError', async () => {
    const error = await complete(client({ maxRetries: 2 }), {
      ...estimateTask(MEAL),
      system: 'Estimate the energy of the meal.',
    }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({
      status: 400,
      code: 'invalid_parameter_error',
      type: 'invalid_request_error',
    });
    expect((error as Error).message).toContain("'messages' must contain the word 'json'");
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.task).toBe('unknown');
  });

  test('a forced tool choice on a Qwen3 model with thinking left on is refused; off, it is called', async () => {
    const task = estimateTask(MEAL);
    const tool = {
      tools: [
        {
          type: 'function' as const,
          function: { name: task.name, description: task.description, parameters: task.schema },
        },
      ],
      tool_choice: { type: 'function' as const, function: { name: task.name } },
    };
    // An undefined field is left out of the JSON body: enable_thinking is absent, not false.
    const thinkingByDefault = { model: 'qwen3-235b-a22b', ...tool, enable_thinking: undefined };

    await expect(complete(client(), task, thinkingByDefault)).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining(
        'does not support being set to required or object in thinking mode',
      ) as unknown,
    });
    expect(fake.requests[0]?.body).not.toHaveProperty('enable_thinking');

    const completion = await complete(client(), task, {
      model: 'qwen3-235b-a22b',
      ...tool,
      enable_thinking: false,
    });
    const call = completion.choices[0]?.message.tool_calls?.[0];
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.type === 'function' ? JSON.parse(call.function.arguments) : undefined).toEqual(
      DEFAULT_ESTIMATE,
    );
  });

  test('a 429 with retry-after 1 is retried after a second and then succeeds', async () => {
    fake.enqueue({ status: 429, retryAfterSeconds: 1 });

    await expect(complete(client({ maxRetries: 2 }))).resolves.toMatchObject({ object: 'chat.completion' });

    expect(fake.requests.map((request) => request.status)).toEqual([429, 200]);
    expect(gap(fake, 0, 1)).toBeGreaterThanOrEqual(900);
  });

  test('a retry-after beyond 60 s is ignored for the default backoff', async () => {
    fake.enqueue({ status: 429, retryAfterSeconds: 120 });

    await complete(client({ maxRetries: 1 }));

    expect(gap(fake, 0, 1)).toBeLessThan(2_000);
  });

  test('a 400 is not retried', async () => {
    fake.enqueue({ status: 400 });

    await expect(complete(client({ maxRetries: 2 }))).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    expect(fake.requests).toHaveLength(1);
  });

  test('529 and 503 are retried; a persistent 503 exhausts the retries', async () => {
    fake.enqueue({ status: 529 }, { status: 503 });
    await expect(complete(client({ maxRetries: 2 }))).resolves.toMatchObject({ object: 'chat.completion' });
    expect(fake.requests.map((request) => request.status)).toEqual([529, 503, 200]);

    fake.reset();
    fake.setDown(503);
    const error = await complete(client({ maxRetries: 1 })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 503, code: 'service_unavailable' });
    expect(fake.requests.map((request) => request.status)).toEqual([503, 503]);
  });

  test('a malformed JSON body surfaces as a SyntaxError, not retried', async () => {
    fake.enqueue({ malformedJson: true });

    const error = await complete(client({ maxRetries: 2 })).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ name: 'SyntaxError' });
    expect(error).not.toBeInstanceOf(OpenAI.OpenAIError);
    expect(fake.requests).toHaveLength(1);
  });

  test('prose instead of JSON comes back as content that does not parse', async () => {
    fake.enqueue({ textInsteadOfJson: true }, { rawText: '```json\n{"calories": 450}\n```' });

    const prose = await complete(client());
    expect(() => JSON.parse(prose.choices[0]?.message.content ?? '') as unknown).toThrow(SyntaxError);
    const fenced = await complete(client());
    expect(fenced.choices[0]?.message.content).toMatch(/^```json/);
  });

  test('a wrong key is an AuthenticationError, not retried', async () => {
    const error = await complete(client({ apiKey: 'sk-wrong', maxRetries: 2 })).catch(
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect(fake.requests).toHaveLength(1);
  });

  test('a response slower than the timeout is an APIConnectionTimeoutError', async () => {
    fake.enqueue({ delayMs: 2_000 });

    await expect(complete(client({ timeout: 300 }))).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(fake.requests[0]?.status).toBeNull();
  });

  test('a dropped connection is an APIConnectionError', async () => {
    fake.setDown('drop');

    await expect(complete(client({ maxRetries: 1 }))).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    expect(fake.requests).toHaveLength(2);
  });
});
