import { z } from 'zod';

import { openApiDocument, type OpenApiDocument } from '../http/openapi';
import { defineRoute, json, type ApiRoute } from '../http/route';
import { aiRoutes } from './ai/routes';
import { auditRoutes } from './audit/routes';
import { backupRoutes } from './backup/routes';
import { accountRoutes } from './auth/account';
import { userAdminRoutes } from './auth/admin';
import { signInRoutes } from './auth/sign-in';
import { billingRoutes } from './billing/routes';
import { privacyAdminRoutes } from './privacy/admin';
import { myPrivacyRoutes } from './privacy/routes';
import { trackingAdminRoutes } from './tracking/admin';
import { coachingRoutes } from './tracking/coaching';
import { linkRoutes } from './tracking/links';
import { mealRoutes } from './tracking/meals';
import { metricRoutes } from './tracking/metrics';
import { progressRoutes } from './tracking/progress';

/**
 * Every route of the public REST API. A new router file adds its list here, and nowhere else:
 * this list is what the gateway mounts and what the OpenAPI document describes (docs/api.md).
 */
export const apiRoutes: readonly ApiRoute[] = [
  ...signInRoutes,
  ...accountRoutes,
  ...userAdminRoutes,
  ...auditRoutes,
  ...mealRoutes,
  ...metricRoutes,
  ...progressRoutes,
  ...linkRoutes,
  ...coachingRoutes,
  ...trackingAdminRoutes,
  ...aiRoutes,
  ...billingRoutes,
  ...backupRoutes,
  ...myPrivacyRoutes,
  ...privacyAdminRoutes,
  defineRoute({
    method: 'get',
    path: '/api/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    description: 'The OpenAPI 3.1 description of every operation of the API.',
    tags: ['meta'],
    access: 'public',
    // Public and the same for everyone; revalidated (ETag) so that a deploy is seen at once.
    cacheControl: 'no-cache',
    responses: {
      200: json(
        z.looseObject({ openapi: z.string().regex(/^3\.1\.\d+$/) }).meta({
          description: 'An OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1).',
        }),
        'The OpenAPI document.',
      ),
    },
  }).handle(() => Promise.resolve({ status: 200, body: { ...apiDocument() } })),
];

let document: OpenApiDocument | undefined;

/** Built once, on first use, from apiRoutes. */
export function apiDocument(): OpenApiDocument {
  document ??= openApiDocument(apiRoutes);
  return document;
}
