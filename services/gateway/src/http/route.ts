import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { ErrorCode } from '@tracking/kit';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';

import type { GatewayDeps } from '../deps';
import { AUTH_BUDGET_OPERATIONS, credentialKey } from '../edge/rate-limit';
import { sendProblem } from './problem';
import { credentialOf, sessionMetadata } from './session';
import { RequestParser } from './validation';

/**
 * The one way to add a REST route (docs/api.md). An operation is declared once, with its
 * schemas; the same declaration mounts the Express handler, which parses the request and checks
 * the response through those schemas, and becomes the operation in the OpenAPI document
 * (openapi.ts). The document and the code therefore cannot tell different stories.
 */

export type Method = 'get' | 'put' | 'post' | 'delete' | 'patch';

/**
 * Who may call. `session`: a signed-in caller, by `Authorization: Bearer` or by the session
 * cookie plus `X-CSRF-Token` on state-changing methods; the handler gets the session as gRPC
 * metadata, and the service behind decides what the session may do. `public`: anyone.
 */
export type Access = 'public' | 'session';

export type SessionMetadata = ReturnType<typeof sessionMetadata>;

/** A JSON body, checked against its schema before it leaves (see checkResponse). */
export interface JsonResponse<S extends z.ZodType = z.ZodType> {
  kind: 'json';
  description: string;
  schema: S;
  headers?: ResponseHeaders;
}

/** No body (204, or a status whose meaning is the whole answer). */
export interface EmptyResponse {
  kind: 'empty';
  description: string;
  headers?: ResponseHeaders;
}

/**
 * A body streamed as it is produced, in one of several media types. The schemas document it;
 * it is not checked, since its status line is sent before the body exists.
 */
export interface StreamResponse<T extends string = string> {
  kind: 'stream';
  description: string;
  content: Record<T, z.ZodType>;
  headers?: ResponseHeaders;
}

export type ResponseSpec = JsonResponse | EmptyResponse | StreamResponse;

/** Response headers worth documenting beyond X-Correlation-Id (which every response has): name → what it says. */
export type ResponseHeaders = Record<string, string>;

export const json = <S extends z.ZodType>(
  schema: S,
  description: string,
  headers?: ResponseHeaders,
): JsonResponse<S> => ({ kind: 'json', description, schema, ...(headers ? { headers } : {}) });

export const empty = (description: string, headers?: ResponseHeaders): EmptyResponse => ({
  kind: 'empty',
  description,
  ...(headers ? { headers } : {}),
});

export const stream = <T extends string>(
  content: Record<T, z.ZodType>,
  description: string,
  headers?: ResponseHeaders,
): StreamResponse<T> => ({ kind: 'stream', description, content, ...(headers ? { headers } : {}) });

/** Success statuses only: errors are problem responses, declared by code in `errors`. */
export type SuccessStatus = 200 | 201 | 202 | 204;
export type Responses = Partial<Record<SuccessStatus, ResponseSpec>>;

/** What a handler hands back for a streamed response; the router writes it. */
export interface StreamBody<T extends string = string> {
  /** One of the media types the response declares. */
  contentType: T;
  /** Sent as a download with this name (Content-Disposition: attachment). */
  filename?: string;
  body: AsyncIterable<string | Buffer>;
  /** Names the stream in the log lines about a cut-off download, e.g. 'audit export'. */
  label: string;
}

type ReplyTo<S, R> =
  R extends JsonResponse<infer Z>
    ? { status: S; body: z.input<Z> }
    : R extends EmptyResponse
      ? { status: S }
      : R extends StreamResponse<infer T>
        ? { status: S; stream: StreamBody<T> }
        : never;

/** A handler's answer: one of the declared statuses with the body its declaration asks for. */
export type Reply<R extends Responses> = { [S in keyof R]-?: ReplyTo<S, R[S]> }[keyof R];

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteContext<P, Q, B, A extends Access, H = undefined> {
  /** Path parameters, query and JSON body, each parsed by its declared schema (undefined if none is declared). */
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
  /** The declared request headers, parsed by their schema (undefined if none is declared). */
  headers: Out<H>;
  /** The caller's session token as gRPC metadata, for the call to the service that decides. */
  session: A extends 'session' ? SessionMetadata : undefined;
  deps: GatewayDeps;
  /** For what the declaration cannot say: request headers, cookies to set. */
  req: Request;
  res: Response;
}

/** Objects with a fixed key set: a path's parameters, a query string. */
type ObjectSchema = z.ZodObject;

export interface RouteSpec<
  P extends ObjectSchema | undefined,
  Q extends ObjectSchema | undefined,
  B extends z.ZodType | undefined,
  R extends Responses,
  A extends Access,
  H extends ObjectSchema | undefined = undefined,
> {
  method: Method;
  /** The public path, with OpenAPI-style parameters: '/api/v1/me/sessions/{sessionId}'. */
  path: `/${string}`;
  /** Unique and stable: clients generated from the document name their functions after it. */
  operationId: string;
  summary: string;
  description?: string;
  tags: [string, ...string[]];
  access: A;
  /** Must name exactly the path's {parameters}. */
  params?: P;
  /** Use z.strictObject, so that a misspelt parameter is a 400 rather than silently ignored. */
  query?: Q;
  /** A JSON body; if its schema accepts `{}`, the body may be left out. */
  body?: B;
  /**
   * Request headers the operation reads, keyed by their canonical names ('Idempotency-Key'):
   * documented as header parameters and parsed with the rest (case-insensitively, as HTTP is).
   */
  headers?: H;
  responses: R;
  /**
   * Error codes this operation may answer with beyond those every operation of its kind has
   * (see defaultErrors in openapi.ts), e.g. ['not_found', 'resource_exhausted'].
   */
  errors?: ErrorCode[];
  /** Default no-store: most answers carry tokens or personal data that no cache may keep. */
  cacheControl?: string;
}

export type Handler<
  P extends ObjectSchema | undefined,
  Q extends ObjectSchema | undefined,
  B extends z.ZodType | undefined,
  R extends Responses,
  A extends Access,
  H extends ObjectSchema | undefined = undefined,
> = (context: RouteContext<P, Q, B, A, H>) => Promise<Reply<R>>;

/** A declared route, its handler's types erased: what the router and the document builder read. */
export interface ApiRoute {
  readonly method: Method;
  readonly path: `/${string}`;
  readonly operationId: string;
  readonly summary: string;
  readonly description: string | undefined;
  readonly tags: readonly string[];
  readonly access: Access;
  readonly params: ObjectSchema | undefined;
  readonly query: ObjectSchema | undefined;
  readonly body: z.ZodType | undefined;
  readonly headers: ObjectSchema | undefined;
  readonly responses: Readonly<Partial<Record<number, ResponseSpec>>>;
  readonly errors: readonly ErrorCode[];
  readonly handle: (req: Request, res: Response, deps: GatewayDeps) => Promise<void>;
}

interface AnyReply {
  status: number;
  body?: unknown;
  stream?: StreamBody;
}

const PATH_PARAMETER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The path's parameter names, in order. */
export const pathParameters = (path: string): string[] =>
  [...path.matchAll(PATH_PARAMETER)].map((match) => match[1] ?? '');

/** '/a/{id}' → '/a/:id', the same template in Express's syntax. */
export const expressPath = (path: string): string => path.replace(PATH_PARAMETER, ':$1');

/**
 * Declares an operation; `.handle()` then gives its handler and yields the route. Two steps so
 * that the handler is typed by the finished declaration: its context by the schemas, its reply
 * by the declared statuses and bodies (`{ status: 201, body }` for a 200-only route is an error).
 */
export function defineRoute<
  R extends Responses,
  A extends Access,
  P extends ObjectSchema | undefined = undefined,
  Q extends ObjectSchema | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  H extends ObjectSchema | undefined = undefined,
>(spec: RouteSpec<P, Q, B, R, A, H>): { handle: (handler: Handler<P, Q, B, R, A, H>) => ApiRoute } {
  const declared = Object.keys(spec.params?.shape ?? {}).sort();
  const inPath = pathParameters(spec.path).sort();
  if (declared.join() !== inPath.join()) {
    throw new Error(
      `${spec.operationId}: the params schema names [${declared.join(', ')}] but the path has [${inPath.join(', ')}]`,
    );
  }
  if (Object.keys(spec.responses).length === 0) throw new Error(`${spec.operationId}: no response declared`);
  return { handle: (handler) => routeOf(spec, handler) };
}

function routeOf<
  R extends Responses,
  A extends Access,
  P extends ObjectSchema | undefined,
  Q extends ObjectSchema | undefined,
  B extends z.ZodType | undefined,
  H extends ObjectSchema | undefined,
>(spec: RouteSpec<P, Q, B, R, A, H>, handler: Handler<P, Q, B, R, A, H>): ApiRoute {
  const route: ApiRoute = {
    method: spec.method,
    path: spec.path,
    operationId: spec.operationId,
    summary: spec.summary,
    description: spec.description,
    tags: spec.tags,
    access: spec.access,
    params: spec.params,
    query: spec.query,
    body: spec.body,
    headers: spec.headers,
    responses: spec.responses,
    errors: spec.errors ?? [],
    handle: async (req, res, deps) => {
      res.set('cache-control', spec.cacheControl ?? 'no-store');
      await spendBudgets(route, req, deps);
      const parser = new RequestParser();
      const params = spec.params && parser.take(spec.params, req.params);
      const query = spec.query && parser.take(spec.query, req.query);
      const body = spec.body && parser.take(spec.body, req.body);
      const headers = spec.headers && parser.take(spec.headers, declaredHeaders(spec.headers, req));
      parser.done();
      // Shape first, then the session: the order the handlers always had.
      const context = {
        params,
        query,
        body,
        headers,
        session: spec.access === 'session' ? sessionMetadata(req) : undefined,
        deps,
        req,
        res,
      } as RouteContext<P, Q, B, A, H>;
      const reply = (await handler(context)) as AnyReply;
      await send(route, reply, res, deps);
    },
  };
  return route;
}

/** The declared headers' values under their declared names (Node joins a repeated one with ', '). */
function declaredHeaders(schema: ObjectSchema, req: Request): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const name of Object.keys(schema.shape)) {
    const value = req.headers[name.toLowerCase()];
    if (value !== undefined) values[name] = value;
  }
  return values;
}

/**
 * Every API request spends its client IP's budget (the stricter one on the public account
 * routes), and a signed-in request also its credential's: before any work is done for it.
 */
async function spendBudgets(route: ApiRoute, req: Request, deps: GatewayDeps): Promise<void> {
  if (!deps.rateLimits) return;
  const budget = AUTH_BUDGET_OPERATIONS.has(route.operationId) ? 'auth' : 'ip';
  await deps.rateLimits.consume(budget, req.ip ?? 'unknown', route.path);
  const credential = route.access === 'session' ? credentialOf(req) : undefined;
  if (credential) await deps.rateLimits.consume('account', credentialKey(credential.token), route.path);
}

async function send(route: ApiRoute, reply: AnyReply, res: Response, deps: GatewayDeps): Promise<void> {
  const declared = route.responses[reply.status];
  if (!declared) throw new Error(`${route.operationId} answered ${reply.status}, which it does not declare`);
  switch (declared.kind) {
    case 'empty':
      res.status(reply.status).end();
      return;
    case 'json': {
      if (deps.validateResponses === false) {
        res.status(reply.status).json(reply.body);
        return;
      }
      const checked = checkResponse(declared.schema, reply.body);
      if (!checked.ok) {
        // Paths and zod's messages only: the body may hold tokens or personal data.
        deps.log.error(
          {
            event: 'http.response_invalid',
            operationId: route.operationId,
            status: reply.status,
            problems: checked.problems,
          },
          'response does not match its declared schema',
        );
        sendProblem(res, 'internal');
        return;
      }
      res.status(reply.status).json(checked.body);
      return;
    }
    case 'stream': {
      const { stream: body } = reply;
      if (!body || !(body.contentType in declared.content)) {
        throw new Error(`${route.operationId} streamed an undeclared media type`);
      }
      res.status(reply.status);
      if (body.filename) res.attachment(body.filename);
      res.type(body.contentType);
      try {
        await pipeline(Readable.from(body.body), res);
      } catch (error) {
        // The status line is gone: the connection is cut, so the client sees a failed download
        // rather than a file that looks complete. A client that left is not our failure.
        const clientLeft = (error as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE';
        deps.log[clientLeft ? 'info' : 'error'](
          { err: error, operationId: route.operationId },
          clientLeft ? `${body.label} abandoned by the client` : `${body.label} aborted`,
        );
        res.destroy();
      }
      return;
    }
  }
}

type Checked = { ok: true; body: unknown } | { ok: false; problems: string[] };

/**
 * A response body against its schema: it must parse, and it may hold no field the schema does
 * not declare (zod would drop it silently; here it is drift, or a leak of a field nobody meant
 * to publish). What is sent is what the schema let through.
 */
export function checkResponse(schema: z.ZodType, body: unknown): Checked {
  const result = schema.safeParse(body);
  if (!result.success) {
    return {
      ok: false,
      problems: result.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`),
    };
  }
  const problems: string[] = [];
  undeclaredFields(body, result.data, '', problems);
  return problems.length ? { ok: false, problems } : { ok: true, body: result.data };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function undeclaredFields(sent: unknown, kept: unknown, path: string, problems: string[]): void {
  if (Array.isArray(sent) && Array.isArray(kept)) {
    sent.forEach((item, index) => {
      undeclaredFields(item, kept[index], `${path}${String(index)}.`, problems);
    });
    return;
  }
  if (!isRecord(sent) || !isRecord(kept)) return;
  for (const [key, value] of Object.entries(sent)) {
    if (value === undefined) continue; // JSON leaves it out anyway
    if (key in kept) undeclaredFields(value, kept[key], `${path}${key}.`, problems);
    else problems.push(`${path}${key}: not declared in the response schema`);
  }
}

/**
 * One Express router for every declared route. It refuses two routes with the same method and
 * path or the same operationId, so the document has exactly one operation per handler.
 */
export function apiRouter(routes: readonly ApiRoute[], deps: GatewayDeps): Router {
  assertDistinct(routes);
  const router = Router();
  for (const route of routes) {
    router[route.method](expressPath(route.path), (req: Request, res: Response) =>
      route.handle(req, res, deps),
    );
  }
  return router;
}

/**
 * Before the router: a request whose path is one of the API's but whose method none of its
 * routes takes gets 405 with the `Allow` header RFC 9110 §15.5.6 asks for (GET brings HEAD),
 * before any session or budget is looked at; OPTIONS gets 204 with the same `Allow`. A path the
 * API does not have falls through to 404. Where a literal path and a template both match
 * ('/me/meals/estimate' and '/me/meals/{mealId}'), the one with fewer parameters is the
 * resource: a PUT there is a 405, not an update of a meal whose id is 'estimate'.
 */
export function methodNotAllowed(routes: readonly ApiRoute[]): RequestHandler {
  const templates = new Map<string, { pattern: RegExp; parameters: number; methods: Set<string> }>();
  for (const route of routes) {
    const key = route.path.replace(PATH_PARAMETER, '{}');
    const entry = templates.get(key) ?? {
      pattern: pathPattern(route.path),
      parameters: pathParameters(route.path).length,
      methods: new Set<string>(),
    };
    entry.methods.add(route.method.toUpperCase());
    if (route.method === 'get') entry.methods.add('HEAD');
    templates.set(key, entry);
  }
  return (req, res, next) => {
    const matching = [...templates.values()].filter(({ pattern }) => pattern.test(req.path));
    if (matching.length === 0) {
      next();
      return;
    }
    const fewest = Math.min(...matching.map(({ parameters }) => parameters));
    const allowed = new Set(
      matching.filter(({ parameters }) => parameters === fewest).flatMap(({ methods }) => [...methods]),
    );
    if (allowed.has(req.method)) {
      next();
      return;
    }
    const allow = [...allowed].sort().join(', ');
    res.set('allow', allow);
    if (req.method === 'OPTIONS') {
      res.set('cache-control', 'no-store').status(204).end();
      return;
    }
    sendProblem(res, 'method_not_allowed', `${req.method} is not defined here; allowed: ${allow}`);
  };
}

/** A path template as Express matches it: each {parameter} is one non-empty segment. */
function pathPattern(path: string): RegExp {
  const literal = path
    .split(PATH_PARAMETER)
    .map((part, index) => (index % 2 ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${literal}/?$`, 'i');
}

export function assertDistinct(routes: readonly ApiRoute[]): void {
  const seen = new Set<string>();
  for (const route of routes) {
    // '/a/{id}' and '/a/{key}' are one route to Express.
    const template = route.path.replace(PATH_PARAMETER, '{}');
    for (const key of [`${route.method.toUpperCase()} ${template}`, route.operationId]) {
      if (seen.has(key)) throw new Error(`two routes declare ${key}`);
      seen.add(key);
    }
  }
}
