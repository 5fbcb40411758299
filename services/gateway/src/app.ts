import { context, trace } from '@opentelemetry/api';
import {
  CORRELATION_ATTRIBUTE,
  CORRELATION_HEADER,
  isCorrelationId,
  newCorrelationId,
  runWithContext,
  withCorrelationBaggage,
} from '@tracking/kit';
import express, { type NextFunction, type Request, type Response } from 'express';

import type { GatewayDeps } from './deps';
import { edgeDefences, trustProxies } from './edge/defences';
import { checkJsonBody } from './http/body';
import { problemHandler, sendProblem } from './http/problem';
import { apiRouter, methodNotAllowed } from './http/route';
import { apiRoutes } from './routes';

export function createApp(deps: GatewayDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Express then takes req.ip from X-Forwarded-For only through the configured proxies.
  trustProxies(app, deps.trustedProxies, deps.edge.trustedProxyHops);
  const fromTrustedProxy = app.get('trust proxy fn') as (address: string, hop: number) => boolean;

  app.use((req: Request, res: Response, next: NextFunction) => {
    const inbound = req.get(CORRELATION_HEADER);
    const peer = req.socket.remoteAddress ?? '';
    const correlationId =
      inbound && isCorrelationId(inbound) && fromTrustedProxy(peer, 0) ? inbound : newCorrelationId();
    res.set(CORRELATION_HEADER, correlationId);
    trace.getSpan(context.active())?.setAttribute(CORRELATION_ATTRIBUTE, correlationId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      // The template, not the path (bounded label values): '/api/v1/admin/users/:userId/role'.
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      deps.metrics.httpRequests.inc({
        method: req.method,
        route,
        status_class: `${Math.floor(res.statusCode / 100)}xx`,
      });
      deps.metrics.httpDuration.observe({ method: req.method, route }, seconds);
      runWithContext({ correlationId }, () =>
        deps.log.info(
          {
            event: 'http.request',
            method: req.method,
            route,
            status: res.statusCode,
            durationMs: Math.round(seconds * 1000),
          },
          'request handled',
        ),
      );
    });
    // The rest of the request runs with the id as baggage too, so it travels in the W3C
    // `baggage` header of each gRPC call and Kafka record as well as in our own header.
    context.with(withCorrelationBaggage(correlationId), () =>
      runWithContext(
        { correlationId, clientIp: req.ip, userAgent: req.get('user-agent')?.slice(0, 512) },
        next,
      ),
    );
  });

  // After the context, so a refusal carries a correlation id and is logged and counted like any response.
  app.use(edgeDefences(deps.edge, { log: deps.log, registry: deps.metrics.registry }));

  app.use(express.json({ limit: '32kb', verify: checkJsonBody }));

  app.use(methodNotAllowed(apiRoutes));
  // Every API route, each mounted at its full public path, exactly as the OpenAPI document lists it.
  app.use(apiRouter(apiRoutes, deps));

  app.use((_req: Request, res: Response) => sendProblem(res, 'not_found', 'no such route'));
  app.use(problemHandler(deps.log, deps.metrics));
  return app;
}
