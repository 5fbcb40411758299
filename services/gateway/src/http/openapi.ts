import { httpStatusOf, type ErrorCode } from '@tracking/kit';
import {
  createDocument,
  type oas31,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathItemObject,
  type ZodOpenApiResponseObject,
  type ZodOpenApiResponsesObject,
} from 'zod-openapi';

import { assertDistinct, type ApiRoute, type Method, type ResponseHeaders, type ResponseSpec } from './route';
import { ERROR_CODES, problemSchema } from './problem';
import { SESSION_COOKIE } from './session';

/**
 * The OpenAPI 3.1 document of the public REST API, built from the declared routes (api.ts):
 * served at GET /api/openapi.json and checked in as services/gateway/openapi.json
 * (`npm run openapi`; docs/api.md).
 */

export type OpenApiDocument = ReturnType<typeof createDocument>;

const TAGS: Record<string, string> = {
  auth: 'Registration, sign-in, second factor and password reset.',
  account: "The signed-in person's own account: profile, sessions, password, email, MFA.",
  admin: 'User management, for admins.',
  audit: 'The tamper-evident audit log, for admins (docs/audit.md).',
  tracking: "A client's own meals, metrics, goals, comments, reviews and trainer links (docs/tracking.md).",
  coaching: "A trainer's clients: only those linked to the trainer exist here; any other id is a 404.",
  billing:
    "The signed-in person's plan: card details are only ever entered on Stripe's own pages (docs/billing.md).",
  privacy: 'My data export and account deletion, each asking for the password again (docs/privacy.md).',
  meta: 'About the API itself.',
};

const METHOD_ORDER: Method[] = ['get', 'put', 'post', 'delete', 'patch'];

const PROBLEM_MEDIA_TYPE = 'application/problem+json';

const STATUS_NAMES: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  412: 'PreconditionFailed',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'Unavailable',
};

/** The error codes every operation of its kind may answer with, whatever its own `errors` say. */
export function defaultErrors(route: ApiRoute): ErrorCode[] {
  const takesInput =
    Boolean(route.params ?? route.query ?? route.body ?? route.headers) || route.method !== 'get';
  return [
    ...(takesInput ? (['invalid_argument'] as const) : []),
    // A missing, expired or malformed session; a role without the permission; a session short of MFA; a missing CSRF token.
    ...(route.access === 'session'
      ? (['unauthenticated', 'permission_denied', 'mfa_required'] as const)
      : []),
    // Every API route spends the caller's rate-limit budgets (rate-limit.ts), and sits behind
    // the edge's checks: HTTPS only, allowed countries only (edge.ts, docs/edge.md).
    'resource_exhausted',
    'https_required',
    'geo_blocked',
    'internal',
    'unavailable',
  ];
}

/** The error codes an operation documents, grouped by the HTTP status they are sent with. */
export function errorStatuses(route: ApiRoute): Map<number, ErrorCode[]> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set([...defaultErrors(route), ...route.errors])) {
    const status = httpStatusOf(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return byStatus;
}

const codesOfStatus = (status: number) => ERROR_CODES.filter((code) => httpStatusOf(code) === status);

function problemResponse(status: number): ZodOpenApiResponseObject {
  const codes = codesOfStatus(status)
    .map((code) => `\`${code}\``)
    .join(', ');
  return {
    description: `A problem; \`code\` is one of ${codes}.`,
    headers: {
      'X-Correlation-Id': { $ref: '#/components/headers/CorrelationId' },
      ...(status === 429
        ? {
            'Retry-After': {
              description: 'Seconds until a retry may succeed; absent when waiting will not help.',
              schema: { type: 'integer', minimum: 1 },
            },
          }
        : {}),
    },
    content: { [PROBLEM_MEDIA_TYPE]: { schema: problemSchema } },
  };
}

const problemResponseName = (status: number) => STATUS_NAMES[status] ?? `Problem${String(status)}`;

function headersOf(headers: ResponseHeaders | undefined) {
  return {
    'X-Correlation-Id': { $ref: '#/components/headers/CorrelationId' },
    ...Object.fromEntries(
      Object.entries(headers ?? {}).map(([name, description]) => [
        name,
        { description, schema: { type: 'string' as const } },
      ]),
    ),
  };
}

function successResponse(spec: ResponseSpec): ZodOpenApiResponseObject {
  const base = { description: spec.description, headers: headersOf(spec.headers) };
  switch (spec.kind) {
    case 'empty':
      return base;
    case 'json':
      return { ...base, content: { 'application/json': { schema: spec.schema } } };
    case 'stream':
      return {
        ...base,
        content: Object.fromEntries(Object.entries(spec.content).map(([type, schema]) => [type, { schema }])),
      };
  }
}

function securityOf(route: ApiRoute): oas31.SecurityRequirementObject[] {
  if (route.access === 'public') return [];
  // A cookie session must add the CSRF token to every state-changing request (session.ts).
  const unsafe = route.method !== 'get';
  return [{ bearer: [] }, unsafe ? { sessionCookie: [], csrfToken: [] } : { sessionCookie: [] }];
}

function operationOf(route: ApiRoute): ZodOpenApiOperationObject {
  const responses: ZodOpenApiResponsesObject = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    if (spec) responses[status as `2${string}`] = successResponse(spec);
  }
  for (const status of [...errorStatuses(route).keys()].sort((a, b) => a - b)) {
    responses[String(status) as `4${string}`] = {
      $ref: `#/components/responses/${problemResponseName(status)}`,
    };
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [...route.tags],
    security: securityOf(route),
    ...(route.params || route.query || route.headers
      ? {
          requestParams: {
            ...(route.params ? { path: route.params } : {}),
            ...(route.query ? { query: route.query } : {}),
            ...(route.headers ? { header: route.headers } : {}),
          },
        }
      : {}),
    ...(route.body
      ? {
          requestBody: {
            // A body whose every field is optional may be left out (validation.ts reads it as {}).
            required: !route.body.safeParse({}).success,
            content: { 'application/json': { schema: route.body } },
          },
        }
      : {}),
    responses,
  };
}

const sortedKeys = <T>(record: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The document: paths, tags and components in a fixed order, so that it diffs well and rebuilds byte for byte. */
export function openApiDocument(routes: readonly ApiRoute[]): OpenApiDocument {
  assertDistinct(routes);
  const paths: Record<string, ZodOpenApiPathItemObject> = {};
  const sorted = [...routes].sort(
    (a, b) =>
      (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) ||
      METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method),
  );
  for (const route of sorted) (paths[route.path] ??= {})[route.method] = operationOf(route);

  const statuses = [...new Set(routes.flatMap((route) => [...errorStatuses(route).keys()]))].sort(
    (a, b) => a - b,
  );
  const usedTags = new Set(routes.flatMap((route) => route.tags));
  const unknownTag = [...usedTags].find((tag) => !(tag in TAGS));
  if (unknownTag) throw new Error(`tag '${unknownTag}' has no description in openapi.ts TAGS`);

  const document = createDocument({
    openapi: '3.1.1',
    info: {
      title: 'Tracking platform API',
      version: 'v1',
      description: [
        'The public REST API of the health and lifestyle tracking platform, served by the gateway.',
        '',
        'Every response carries an `X-Correlation-Id` header naming the request in our logs. Every error is an',
        'RFC 9457 problem (`application/problem+json`, schema `Problem`) with a stable `code`. Any request may',
        'also be refused at the edge: `403` with `geo_blocked` or `https_required`. A method that a path does not',
        'list is answered `405` (`method_not_allowed`) with an `Allow` header naming those it does.',
        '',
        'Signed-in operations take the session as `Authorization: Bearer <token>`, or as the `__Host-session`',
        'cookie, which needs the `X-CSRF-Token` header on every state-changing request. Nothing is cached on',
        'the way unless a response says so.',
      ].join('\n'),
    },
    tags: Object.entries(TAGS)
      .filter(([name]) => usedTags.has(name))
      .map(([name, description]) => ({ name, description })),
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'The session token from signing in with `session: "bearer"` (the default).',
        },
        sessionCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: SESSION_COOKIE,
          description: 'The HttpOnly session cookie set by signing in with `session: "cookie"`.',
        },
        csrfToken: {
          type: 'apiKey',
          in: 'header',
          name: 'X-CSRF-Token',
          description: 'The `csrfToken` from signing in with a cookie session.',
        },
      },
      headers: {
        CorrelationId: {
          description:
            'The id of this request in the platform logs and traces; quote it when reporting a problem.',
          schema: { type: 'string' },
        },
      },
      responses: Object.fromEntries(
        statuses.map((status) => [problemResponseName(status), problemResponse(status)]),
      ),
    },
  });
  return {
    ...document,
    components: {
      ...document.components,
      ...Object.fromEntries(
        Object.entries(document.components ?? {}).map(([kind, entries]) => [
          kind,
          sortedKeys(entries as Record<string, unknown>),
        ]),
      ),
    },
  };
}
