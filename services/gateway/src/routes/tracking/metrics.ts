import { defineRoute, empty, json } from '../../http/route';
import { ask, OWN } from './ask';
import { listRequest, metricOut } from './mappers';
import { metricInput, metricParams, metricSchema, page, pageQuery, version, versionQuery } from './schemas';

/** A client's own body metrics: weight, sleep, steps, water, mood. */
export const metricRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/v1/me/metrics',
    operationId: 'logMetric',
    summary: 'Log body and habit metrics',
    description: 'Any of weight, sleep, steps, water and mood, and free notes; at least one.',
    tags: ['tracking'],
    access: 'session',
    body: metricInput,
    responses: { 201: json(metricSchema, 'The metrics as stored.') },
  }).handle(async ({ body, session, deps }) => {
    const request = { metric: { ...body, recordedAt: new Date(body.recordedAt) } };
    const { metric } = await ask(deps, session, OWN, (t) => t.logMetric.bind(t), request);
    return { status: 201, body: metricOut(metric) };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/me/metrics',
    operationId: 'listMyMetrics',
    summary: 'My metrics, newest first',
    tags: ['tracking'],
    access: 'session',
    query: pageQuery,
    responses: { 200: json(page(metricSchema), 'One page of metrics.') },
  }).handle(async ({ query, session, deps }) => {
    const result = await ask(deps, session, OWN, (t) => t.listMetrics.bind(t), listRequest('', query));
    return {
      status: 200,
      body: { items: result.metrics.map(metricOut), nextCursor: result.nextPageToken || null },
    };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/me/metrics/{metricId}',
    operationId: 'getMyMetric',
    summary: 'One of my metric entries',
    tags: ['tracking'],
    access: 'session',
    params: metricParams,
    responses: { 200: json(metricSchema, 'The entry.') },
    errors: ['not_found'],
  }).handle(async ({ params, session, deps }) => {
    const { metric } = await ask(deps, session, OWN, (t) => t.getMetric.bind(t), {
      metricId: params.metricId,
    });
    return { status: 200, body: metricOut(metric) };
  }),
  defineRoute({
    method: 'put',
    path: '/api/v1/me/metrics/{metricId}',
    operationId: 'updateMyMetric',
    summary: 'Edit one of my metric entries',
    tags: ['tracking'],
    access: 'session',
    params: metricParams,
    body: metricInput.extend({ version }),
    responses: { 200: json(metricSchema, 'The entry as stored now.') },
    errors: ['not_found', 'conflict'],
  }).handle(async ({ params, body, session, deps }) => {
    const { version: expectedVersion, ...fields } = body;
    const request = {
      metricId: params.metricId,
      expectedVersion,
      metric: { ...fields, recordedAt: new Date(fields.recordedAt) },
    };
    const { metric } = await ask(deps, session, OWN, (t) => t.updateMetric.bind(t), request);
    return { status: 200, body: metricOut(metric) };
  }),
  defineRoute({
    method: 'delete',
    path: '/api/v1/me/metrics/{metricId}',
    operationId: 'deleteMyMetric',
    summary: 'Delete one of my metric entries',
    tags: ['tracking'],
    access: 'session',
    params: metricParams,
    query: versionQuery,
    responses: { 204: empty('Deleted.') },
    errors: ['not_found', 'conflict'],
  }).handle(async ({ params, query, session, deps }) => {
    await ask(deps, session, OWN, (t) => t.deleteMetric.bind(t), {
      metricId: params.metricId,
      expectedVersion: query.version,
    });
    return { status: 204 };
  }),
];
