import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';

import { INGRESS_HEADERS, startPlatform, type Platform } from '@tracking/testing/platform';

import { accounts, type ApiResponse } from './accounts';
import { tableDigests } from './backup-support';

/**
 * Size and shape limits on every write route (docs/security.md): an oversized body, deeply nested
 * JSON, a too-long value in each string field the OpenAPI document lists (each must declare a
 * bound), and invalid UTF-8. Each is refused with a 4xx problem, quickly, and no database of the
 * platform changes.
 */

type Json = Record<string, unknown>;

interface Operation {
  method: string;
  template: string;
  operationId: string;
  body: Json | undefined;
}

/** How long a refusal may take: it is decided at the gateway, before any service is called. */
const FAST_MS = 1_000;

function resolve(document: Json, value: unknown): Json {
  const ref = (value as { $ref?: unknown } | undefined)?.$ref;
  if (typeof ref !== 'string') return (value ?? {}) as Json;
  let target: unknown = document;
  for (const part of ref.replace(/^#\//, '').split('/')) target = (target as Json)[part];
  return resolve(document, target);
}

/** Every string field of a request body schema, by path, with its maxLength (undefined: unbounded). */
function stringFields(
  document: Json,
  schema: unknown,
  path: string[] = [],
): { path: string[]; max?: number; bounded: boolean }[] {
  const node = resolve(document, schema);
  if (node.type === 'string') {
    const max = typeof node.maxLength === 'number' ? node.maxLength : undefined;
    const bounded = max !== undefined || Array.isArray(node.enum) || typeof node.pattern === 'string';
    return [{ path, ...(max === undefined ? {} : { max }), bounded }];
  }
  const fields = [];
  for (const [name, property] of Object.entries((node.properties ?? {}) as Json)) {
    fields.push(...stringFields(document, property, [...path, name]));
  }
  for (const variant of [...((node.anyOf ?? []) as unknown[]), ...((node.oneOf ?? []) as unknown[])]) {
    fields.push(...stringFields(document, variant, path));
  }
  return fields;
}

function withValue(path: string[], value: unknown): Json {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Json;
}

describe('hostile input to every write route', () => {
  let platform: Platform | undefined;
  const setup = () => {
    if (!platform) throw new Error('the platform was not started');
    return platform;
  };
  const { api, register, login } = accounts(setup);
  let document: Json = {};
  let token = '';
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    // No ai-inference: fewer writes in the background; the budgets lifted so that the gateway's
    // own rate_limit rows stay as they are and every request reaches the checks under test.
    platform = await startPlatform({ ai: false, gatewayEnv: { RATE_LIMITS_LIFTED: 'true' } });
    const { email, userId } = await register();
    token = await login(email);
    const at = new Date().toISOString();
    const meal = await api('POST', '/me/meals', {
      token,
      body: { eatenAt: at, mealType: 'lunch', description: 'two eggs on toast' },
    });
    const metric = await api('POST', '/me/metrics', { token, body: { recordedAt: at, weightKg: 70 } });
    Object.assign(ids, {
      mealId: String(meal.body.mealId),
      metricId: String(metric.body.metricId),
      clientId: userId,
      userId,
    });
    const response = await fetch(`${setup().api.replace(/\/v1$/, '')}/openapi.json`, {
      headers: INGRESS_HEADERS,
    });
    document = (await response.json()) as Json;
  }, 300_000);

  afterAll(async () => {
    const codes = (await platform?.stop()) ?? [];
    expect(codes).toEqual(codes.map(() => 0));
  });

  const writeOperations = (): Operation[] =>
    Object.entries(document.paths as Record<string, Record<string, Json>>).flatMap(([template, item]) =>
      Object.entries(item)
        .filter(([method]) => ['post', 'put', 'patch', 'delete'].includes(method))
        .map(([method, operation]) => ({
          method: method.toUpperCase(),
          template,
          operationId: String(operation.operationId),
          body: operation.requestBody
            ? (resolve(document, operation.requestBody).content as Record<string, Json>)['application/json']
            : undefined,
        })),
    );

  /** Every database of the platform, table by table, once nothing is being written any more. */
  async function quietState() {
    const snapshot = async () =>
      Object.fromEntries(
        await Promise.all(
          Object.entries(setup().databases).map(async ([service, db]) => [
            service,
            await tableDigests(db.database),
          ]),
        ),
      ) as Json;
    let previous = await snapshot();
    for (let attempt = 0; attempt < 30; attempt += 1) {
      await sleep(1_000);
      const current = await snapshot();
      if (isDeepStrictEqual(current, previous)) return current;
      previous = current;
    }
    throw new Error('the databases did not settle');
  }

  async function send(operation: Operation, body: string | Buffer): Promise<ApiResponse & { ms: number }> {
    const url = operation.template
      .replace(/^\/api\/v1/, '')
      .replace(/\{([^}]+)\}/g, (_all, name: string) => ids[name] ?? crypto.randomUUID());
    const started = performance.now();
    const response = await fetch(`${setup().api}${url}${operation.method === 'DELETE' ? '?version=1' : ''}`, {
      method: operation.method,
      headers: {
        ...INGRESS_HEADERS,
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
      },
      body,
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text.startsWith('{') ? JSON.parse(text) : { text }) as Json,
      ms: performance.now() - started,
    };
  }

  test('every string field of every request body declares a bound (a maximum length, a pattern or an enum)', () => {
    const unbounded = writeOperations().flatMap((operation) =>
      operation.body
        ? stringFields(document, operation.body.schema)
            .filter((field) => !field.bounded)
            .map((field) => `${operation.operationId}: ${field.path.join('.')}`)
        : [],
    );
    expect(unbounded).toEqual([]);
  });

  test('an oversized body, deep JSON, an overlong value in each string field and invalid UTF-8: a fast 4xx problem, and nothing changes', async () => {
    const before = await quietState();
    const answers: {
      request: string;
      invalidArgument: boolean;
      problem: boolean;
      fast: boolean;
      field?: boolean;
    }[] = [];
    let slowest = 0;
    const record = (request: string, response: ApiResponse & { ms: number }, field?: string) => {
      slowest = Math.max(slowest, response.ms);
      const errors = (response.body.errors ?? {}) as Json;
      answers.push({
        request,
        // 400 invalid_argument: refused for its shape, before the session is even looked at (a 401
        // or 403 would mean the shape was let through).
        invalidArgument: response.status === 400 && response.body.code === 'invalid_argument',
        problem: /^application\/problem\+json/.test(response.headers.get('content-type') ?? ''),
        fast: response.ms < FAST_MS,
        // An overlong field is named in the problem, unless the body as a whole was refused first (413).
        ...(field === undefined
          ? {}
          : {
              field:
                field in errors ||
                Object.keys(errors).some((key) => key.startsWith(`${field}.`)) ||
                response.body.detail === 'request body too large',
            }),
      });
    };
    let sent = 0;
    // Every write route, those without a body too: the body parser refuses before any route is chosen.
    for (const operation of writeOperations()) {
      const name = `${operation.method} ${operation.template}`;
      record(`${name} oversized`, await send(operation, JSON.stringify({ padding: 'x'.repeat(64 * 1024) })));
      record(`${name} deep`, await send(operation, `{"deep":${'['.repeat(5_000)}${']'.repeat(5_000)}}`));
      const fields = operation.body ? stringFields(document, operation.body.schema) : [];
      for (const field of fields) {
        const length = Math.min((field.max ?? 1_000) + 1, 20_000);
        const path = field.path.join('.');
        record(
          `${name} ${path} × ${String(length)}`,
          await send(operation, JSON.stringify(withValue(field.path, 'é'.repeat(length)))),
          path,
        );
      }
      // The bytes go inside the first string value: `{"description":"<here>"}`.
      const [head = '', tail = ''] = JSON.stringify(withValue(fields[0]?.path ?? ['text'], 'MARK')).split(
        'MARK',
      );
      const invalid = Buffer.concat([
        Buffer.from(head),
        Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
        Buffer.from(tail),
      ]);
      record(`${name} invalid UTF-8`, await send(operation, invalid));
      sent += 3 + fields.length;
    }
    const routes = writeOperations().length;
    process.stdout.write(
      `[hostile-input] ${String(sent)} hostile requests to ${String(routes)} write routes; ` +
        `slowest answer ${slowest.toFixed(0)} ms\n`,
    );
    expect(
      answers.filter(
        (answer) => !(answer.invalidArgument && answer.problem && answer.fast && answer.field !== false),
      ),
    ).toEqual([]);
    expect(await quietState()).toEqual(before);
  }, 600_000);
});
