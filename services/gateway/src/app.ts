import { context, trace } from '@opentelemetry/api';
import {
  CORRELATION_HEADER,
  isCorrelationId,
  newCorrelationId,
  runWithContext,
  type Logger,
  type Metrics,
} from '@tracking/kit';
import type { AuditServiceClient } from '@tracking/proto/tracking/audit/v1/audit';
import type { AuthServiceClient } from '@tracking/proto/tracking/auth/v1/auth';
import express, { type NextFunction, type Request, type Response } from 'express';

import { auditRoutes } from './audit-routes';
import { authRoutes } from './auth-routes';
import { problemHandler, sendProblem } from './problem';

export interface GatewayDeps {
  auth: AuthServiceClient;
  audit: AuditServiceClient;
  log: Logger;
  metrics: Metrics;
  trustedProxies: string[];
  /** Deadline of the audit export and verification calls. */
  longCallDeadlineMs: number;
}

export function createApp(deps: GatewayDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Express then takes req.ip from X-Forwarded-For only through the configured proxies.
  app.set('trust proxy', deps.trustedProxies.length ? deps.trustedProxies : false);
  const fromTrustedProxy = app.get('trust proxy fn') as (address: string, hop: number) => boolean;

  app.use((req: Request, res: Response, next: NextFunction) => {
    const inbound = req.get(CORRELATION_HEADER);
    const peer = req.socket.remoteAddress ?? '';
    const correlationId =
      inbound && isCorrelationId(inbound) && fromTrustedProxy(peer, 0) ? inbound : newCorrelationId();
    res.set(CORRELATION_HEADER, correlationId);
    trace.getSpan(context.active())?.setAttribute('correlation.id', correlationId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      // The template, not the path (bounded label values); routers add their mount point.
      const template = (req.route as { path?: string } | undefined)?.path;
      const route = template ? `${String(res.locals.mount ?? '')}${template}` : 'unmatched';
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
    runWithContext(
      { correlationId, clientIp: req.ip, userAgent: req.get('user-agent')?.slice(0, 512) },
      next,
    );
  });

  app.use(express.json({ limit: '32kb' }));

  // Express restores req.baseUrl once a router is left, before 'finish'; keep the mount point for the route label.
  const mount = (path: string) => (_req: Request, res: Response, next: NextFunction) => {
    res.locals.mount = path;
    next();
  };
  app.use('/api/v1', mount('/api/v1'), authRoutes(deps.auth));
  app.use(
    '/api/v1',
    mount('/api/v1'),
    auditRoutes(deps.audit, { log: deps.log, longCallDeadlineMs: deps.longCallDeadlineMs }),
  );

  app.use((_req: Request, res: Response) => sendProblem(res, 'not_found', 'no such route'));
  app.use(problemHandler(deps.log));
  return app;
}
