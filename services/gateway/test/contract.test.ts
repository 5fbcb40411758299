import { readFileSync } from 'node:fs';
import { get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { compileErrors, validate } from '@readme/openapi-parser';
import { closeServer, createClient, createMetrics, listen } from '@tracking/kit';
import { AuditServiceClient } from '@tracking/proto/tracking/audit/v1/audit';
import { AuthServiceClient } from '@tracking/proto/tracking/auth/v1/auth';
import { captureLogger } from '@tracking/testing';
import Ajv2020 from 'ajv/dist/2020';
import express from 'express';
import { z } from 'zod';

import { createApp } from '../src/app';
import type { GatewayDeps } from '../src/deps';
import { problemHandler, problemSchema } from '../src/http/problem';
import { apiRouter, defineRoute, expressPath, json } from '../src/http/route';
import { apiDocument, apiRoutes } from '../src/routes';
import { offlineTracking } from './offline-services';
import { testEdge, viaIngress } from './edge-support';

/**
 * The public REST API's one source (src/http/route.ts, src/routes/index.ts) against what the gateway really
 * serves: the OpenAPI document is valid and current, every documented operation is a route and
 * every route is documented, errors are problems, and a response that strays from its schema
 * never leaves the gateway.
 */

type Document = ReturnType<typeof apiDocument>;
type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** Every documented operation as 'METHOD /path/{param}'. */
function documentedOperations(document: Document): string[] {
  return Object.entries(document.paths ?? {}).flatMap(([route, item]) =>
    METHODS.filter((method) => item[method]).map((method) => `${method.toUpperCase()} ${route}`),
  );
}

interface ListedRoute {
  path: string | RegExp;
  methods?: string[] | undefined;
  router?: Listable | undefined;
}
interface Listable {
  listRoutes?: () => ListedRoute[];
}

/** What Express itself will answer (router 2.3's listRoutes), nested routers included, as 'METHOD /path/:param'. */
function expressRoutes(router: Listable, prefix = ''): string[] {
  if (!router.listRoutes) throw new Error('this Express router cannot list its routes (router >= 2.3 can)');
  return router.listRoutes().flatMap((listed) => {
    if (typeof listed.path !== 'string') return [`ANY ${String(listed.path)}`];
    const full = `${prefix === '/' ? '' : prefix}${listed.path}`;
    if (listed.router) return expressRoutes(listed.router, full);
    // HEAD comes free with GET.
    return (listed.methods ?? ['*'])
      .filter((method) => method !== 'HEAD')
      .map((method) => `${method} ${full}`);
  });
}

/** Follows a local $ref ('#/components/responses/Forbidden') through the document. */
function resolve(document: Document, value: unknown): Json {
  const ref = (value as { $ref?: unknown }).$ref;
  if (typeof ref !== 'string') return value as Json;
  let target: unknown = document;
  for (const part of ref.replace(/^#\//, '').split('/')) target = (target as Json)[part];
  if (target === undefined) throw new Error(`unresolvable $ref ${ref}`);
  return resolve(document, target);
}

/** Every Schema Object in the document: components, parameters, bodies, responses. */
function* schemasOf(document: Document): Generator<[string, unknown]> {
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
    yield [`components.schemas.${name}`, schema];
  }
  for (const [route, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const where = `${method.toUpperCase()} ${route}`;
      for (const parameter of operation.parameters ?? []) {
        const { name, schema } = resolve(document, parameter) as { name: string; schema: unknown };
        yield [`${where} parameter ${name}`, schema];
      }
      const body = operation.requestBody && resolve(document, operation.requestBody);
      for (const [type, media] of Object.entries((body?.content ?? {}) as Record<string, Json>)) {
        yield [`${where} request ${type}`, media.schema];
      }
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const content = (resolve(document, response).content ?? {}) as Record<string, Json>;
        for (const [type, media] of Object.entries(content))
          yield [`${where} ${status} ${type}`, media.schema];
      }
    }
  }
}

/** A JSON Schema 2020-12 validator over the document's schemas, $refs to components included. */
function schemaValidator(document: Document) {
  // Strict: an unknown keyword or a keyword misplaced is an error, not silently ignored. Formats
  // are left to the patterns zod writes beside them.
  const ajv = new Ajv2020({ strict: true, validateFormats: false, allErrors: true });
  ajv.addVocabulary(['example']);
  const components = { $id: 'https://tracking.test/components', $defs: document.components?.schemas ?? {} };
  ajv.addSchema(
    JSON.parse(JSON.stringify(components).replaceAll('#/components/schemas/', '#/$defs/')) as Json,
  );
  return (schema: unknown) =>
    ajv.compile(
      JSON.parse(
        JSON.stringify(schema).replaceAll(
          '#/components/schemas/',
          'https://tracking.test/components#/$defs/',
        ),
      ) as Json,
    );
}

describe('the REST API and its OpenAPI document', () => {
  const { log, lines } = captureLogger('gateway');
  const metrics = createMetrics();
  // No auth or audit listens here: no test below gets as far as calling them.
  const auth = createClient(AuthServiceClient, '127.0.0.1:1', { tls: {}, deadlineMs: 500 });
  const audit = createClient(AuditServiceClient, '127.0.0.1:1', { tls: {}, deadlineMs: 500 });
  const servers: Server[] = [];
  const document = apiDocument();

  async function deps(overrides: Partial<GatewayDeps> = {}): Promise<GatewayDeps> {
    return {
      auth,
      audit,
      ...(await offlineTracking()),
      log,
      metrics,
      trustedProxies: ['127.0.0.1/32'],
      longCallDeadlineMs: 500,
      edge: await testEdge(),
      ...overrides,
    };
  }

  async function serve(app: express.Express): Promise<string> {
    const server = await listen(app, '127.0.0.1', 0);
    servers.push(server);
    return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  }

  afterAll(async () => {
    auth.close();
    audit.close();
    await Promise.all(servers.map((server) => closeServer(server)));
  });

  test('the document is a valid OpenAPI 3.1 document, and every schema in it a valid JSON Schema 2020-12', async () => {
    const result = await validate(structuredClone(document) as Parameters<typeof validate>[0]);
    if (!result.valid) throw new Error(compileErrors(result));
    expect(result.warnings).toEqual([]);
    expect(document.openapi).toMatch(/^3\.1\./);

    const compile = schemaValidator(document);
    const invalid: string[] = [];
    for (const [where, schema] of schemasOf(document)) {
      try {
        compile(schema);
      } catch (error) {
        invalid.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    expect(invalid).toEqual([]);
  });

  test('the checked-in services/gateway/openapi.json is the document the routes describe (npm run openapi)', () => {
    const file = path.join(__dirname, '..', 'openapi.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(JSON.stringify(document)));
  });

  test('every documented operation is an Express route, and every Express route under /api is documented', async () => {
    const app = createApp(await deps());
    const implemented = expressRoutes(app.router as Listable)
      .filter((route) => /^\S+ \/api(\/|$)/i.test(route))
      .sort();
    const documented = documentedOperations(document)
      .map((operation) => expressPath(operation))
      .sort();
    expect(implemented).toEqual(documented);
    expect(new Set(implemented).size).toBe(implemented.length);
  });

  test('each documented operation answers at its path, not with "no such route"', async () => {
    const base = await serve(createApp(await deps()));
    for (const operation of documentedOperations(document)) {
      const [method = '', template = ''] = operation.split(' ');
      const url = template.replace(/\{[^}]+\}/g, crypto.randomUUID());
      const response = await fetch(`${base}${url}`, {
        method,
        headers: { ...viaIngress(), 'content-type': 'application/json' },
        ...(method === 'GET' ? {} : { body: '{}' }),
      });
      const body = (await response.json()) as Json;
      expect({ operation, status: response.status, detail: body.detail }).not.toMatchObject({
        status: 404,
        detail: 'no such route',
      });
    }
  });

  test('every error response of every operation is application/problem+json with the shared Problem schema', () => {
    const problemRef = { $ref: '#/components/schemas/Problem' };
    for (const [route, item] of Object.entries(document.paths ?? {})) {
      for (const method of METHODS) {
        const responses = Object.entries(item[method]?.responses ?? {});
        for (const [status, response] of responses.filter(([status]) => Number(status) >= 400)) {
          const { content } = resolve(document, response) as { content?: Json };
          expect({ operation: `${method} ${route} ${status}`, content }).toEqual({
            operation: `${method} ${route} ${status}`,
            content: { 'application/problem+json': { schema: problemRef } },
          });
        }
        // And there is at least the 5xx pair: no operation claims it cannot fail.
        if (item[method])
          expect(responses.map(([status]) => status)).toEqual(expect.arrayContaining(['500', '503']));
      }
    }
  });

  test('a problem the gateway sends matches the Problem schema of the document', async () => {
    const base = await serve(createApp(await deps()));
    const response = await fetch(`${base}/api/v1/nope`, { headers: viaIngress() });
    expect(response.status).toBe(404);
    const body = (await response.json()) as Json;
    expect(problemSchema.parse(body)).toEqual(body);
    const check = schemaValidator(document)({ $ref: '#/components/schemas/Problem' });
    expect(check(body)).toBe(true);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  test('a method the API does not define at an existing path is a 405 problem whose Allow header names those it does (RFC 9110)', async () => {
    const base = await serve(createApp(await deps()));
    // The resource at a URL is the matching template with the fewest parameters: '/me/meals/estimate'
    // is not a meal whose id is 'estimate'.
    const operations = documentedOperations(document).map((operation) => {
      const [method = '', template = ''] = operation.split(' ');
      return {
        method,
        url: template.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000'),
        pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
        parameters: (template.match(/\{/g) ?? []).length,
      };
    });
    const methodsAt = new Map<string, Set<string>>();
    for (const { url } of operations) {
      const matching = operations.filter(({ pattern }) => pattern.test(url));
      const fewest = Math.min(...matching.map(({ parameters }) => parameters));
      methodsAt.set(
        url,
        new Set(matching.filter(({ parameters }) => parameters === fewest).map(({ method }) => method)),
      );
    }
    for (const [url, methods] of methodsAt) {
      const undefinedMethod = ['PATCH', 'PUT', 'DELETE', 'POST', 'GET'].find(
        (method) => !methods.has(method),
      );
      if (!undefinedMethod) continue;
      const response = await fetch(`${base}${url}`, { method: undefinedMethod, headers: viaIngress() });
      const allowed = [...methods, ...(methods.has('GET') ? ['HEAD'] : [])].sort();
      const body = (await response.json()) as Json;
      expect({
        request: `${undefinedMethod} ${url}`,
        status: response.status,
        type: response.headers.get('content-type'),
        allow: response.headers.get('allow')?.split(', ').sort(),
        code: body.code,
      }).toEqual({
        request: `${undefinedMethod} ${url}`,
        status: 405,
        type: expect.stringMatching(/^application\/problem\+json/) as unknown,
        allow: allowed,
        code: 'method_not_allowed',
      });
      expect(problemSchema.parse(body)).toEqual(body);
    }
    // A path the API does not have at all is still a 404.
    const unknown = await fetch(`${base}/api/v1/auth/nope`, { method: 'DELETE', headers: viaIngress() });
    expect(unknown.status).toBe(404);
    // OPTIONS names the same methods, with no body; a literal path is not also a {parameter}.
    const options = await fetch(`${base}/api/v1/me/meals/estimate`, {
      method: 'OPTIONS',
      headers: viaIngress(),
    });
    expect([options.status, options.headers.get('allow')]).toEqual([204, 'POST']);
    const put = await fetch(`${base}/api/v1/me/meals/estimate`, {
      method: 'PUT',
      headers: { ...viaIngress(), 'content-type': 'application/json' },
      body: '{}',
    });
    expect([put.status, put.headers.get('allow')]).toEqual([405, 'POST']);
  });

  test('a bad path parameter and a bad body are named together in one 400', async () => {
    const base = await serve(createApp(await deps()));
    const response = await fetch(`${base}/api/v1/admin/users/not-a-uuid/role`, {
      method: 'PUT',
      headers: { ...viaIngress(), 'content-type': 'application/json', authorization: 'Bearer x' },
      body: JSON.stringify({ role: 'emperor' }),
    });
    expect(response.status).toBe(400);
    const { errors } = (await response.json()) as { errors: Json };
    expect(Object.keys(errors).sort()).toEqual(['role', 'userId']);
  });

  test('a declared request header is checked with the rest: a malformed Idempotency-Key is named in the same 400', async () => {
    const base = await serve(createApp(await deps()));
    const response = await fetch(`${base}/api/v1/me/meals`, {
      method: 'POST',
      headers: {
        ...viaIngress(),
        'content-type': 'application/json',
        authorization: 'Bearer x',
        'idempotency-key': 'two words',
      },
      body: JSON.stringify({ eatenAt: new Date().toISOString(), mealType: 'feast', description: 'toast' }),
    });
    expect(response.status).toBe(400);
    const { errors } = (await response.json()) as { errors: Json };
    expect(errors).toEqual({
      'Idempotency-Key': '1 to 100 printable characters, no spaces',
      mealType: expect.any(String) as unknown,
    });
    const parameters = document.paths?.['/api/v1/me/meals']?.post?.parameters ?? [];
    expect(parameters).toContainEqual(expect.objectContaining({ in: 'header', name: 'Idempotency-Key' }));
  });

  test('GET /api/openapi.json serves the document to anyone, revalidated by ETag', async () => {
    const base = await serve(createApp(await deps()));
    const response = await fetch(`${base}/api/openapi.json`, { headers: viaIngress() });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(document)));

    const etag = response.headers.get('etag') ?? '';
    expect(etag).not.toBe('');
    // Not fetch(): it adds Cache-Control: no-cache to a conditional request, which forbids a 304.
    const again = await new Promise<number | undefined>((done, fail) => {
      get(`${base}/api/openapi.json`, { headers: { ...viaIngress(), 'if-none-match': etag } }, (reply) => {
        reply.resume();
        done(reply.statusCode);
      }).on('error', fail);
    });
    expect(again).toBe(304);
  });

  describe('a response that strays from its declared schema', () => {
    const canary = 'leak-canary-4711';
    const declared = json(z.object({ name: z.string() }), 'A name.');
    const strays = [
      defineRoute({
        method: 'get',
        path: '/api/v1/test/extra-field',
        operationId: 'extraField',
        summary: 'Answers with a field its schema does not declare',
        tags: ['meta'],
        access: 'public',
        responses: { 200: declared },
      }).handle(() => {
        const body = { name: 'ok', secret: canary };
        return Promise.resolve({ status: 200, body });
      }),
      defineRoute({
        method: 'get',
        path: '/api/v1/test/wrong-type',
        operationId: 'wrongType',
        summary: 'Answers with a field of the wrong type',
        tags: ['meta'],
        access: 'public',
        responses: { 200: declared },
      }).handle(() => Promise.resolve({ status: 200, body: { name: [canary] as unknown as string } })),
      defineRoute({
        method: 'get',
        path: '/api/v1/test/wrong-status',
        operationId: 'wrongStatus',
        summary: 'Answers with a status it does not declare',
        tags: ['meta'],
        access: 'public',
        responses: { 200: declared },
      }).handle(() => Promise.resolve({ status: 201 as 200, body: { name: canary } })),
    ];

    async function start(validateResponses?: boolean): Promise<string> {
      const app = express();
      app.use(apiRouter(strays, await deps(validateResponses === undefined ? {} : { validateResponses })));
      app.use(problemHandler(log, createMetrics()));
      return serve(app);
    }

    test.each(['extra-field', 'wrong-type', 'wrong-status'])(
      'is never sent (%s): the caller gets a 500 problem and the mismatch is logged without the body',
      async (name) => {
        const response = await fetch(`${await start()}/api/v1/test/${name}`);
        expect(response.status).toBe(500);
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        const text = await response.text();
        expect(JSON.parse(text)).toMatchObject({ code: 'internal' });
        expect(text).not.toContain(canary);
        expect(JSON.stringify(lines())).not.toContain(canary);
      },
    );

    test('is logged as http.response_invalid naming the operation and the offending field', async () => {
      await fetch(`${await start()}/api/v1/test/extra-field`);
      expect(lines()).toContainEqual(
        expect.objectContaining({
          event: 'http.response_invalid',
          operationId: 'extraField',
          problems: ['secret: not declared in the response schema'],
        }),
      );
    });

    test('goes out unchecked only when VALIDATE_RESPONSES is off', async () => {
      const response = await fetch(`${await start(false)}/api/v1/test/extra-field`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ name: 'ok', secret: canary });
    });
  });

  test('a declaration whose params do not match its path, or a second route at the same place, is refused', () => {
    const route = (path: `/${string}`, operationId: string, params?: z.ZodObject) =>
      defineRoute({
        method: 'get',
        path,
        operationId,
        summary: 'x',
        tags: ['meta'],
        access: 'public',
        params,
        responses: { 204: { kind: 'empty', description: 'x' } },
      }).handle(() => Promise.resolve({ status: 204 }));
    expect(() => route('/api/v1/x/{id}', 'a')).toThrow(/params schema names \[\] but the path has \[id\]/);
    expect(() => route('/api/v1/x', 'b', z.object({ id: z.string() }))).toThrow(/path has \[\]/);
    const first = route('/api/v1/x/{id}', 'c', z.object({ id: z.string() }));
    const same = route('/api/v1/x/{key}', 'd', z.object({ key: z.string() }));
    expect(() => apiRouter([first, same], {} as GatewayDeps)).toThrow(
      /two routes declare GET \/api\/v1\/x\/\{\}/,
    );
    expect(() => apiRouter([...apiRoutes, ...apiRoutes.slice(0, 1)], {} as GatewayDeps)).toThrow(
      /two routes/,
    );
  });
});
