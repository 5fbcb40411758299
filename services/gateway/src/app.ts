import { context, trace } from '@opentelemetry/api';
import {
  callUnary,
  CORRELATION_HEADER,
  isCorrelationId,
  newCorrelationId,
  runWithContext,
  ValidationError,
  type Logger,
  type Metrics,
} from '@tracking/kit';
import { Role, type AuthServiceClient } from '@tracking/proto/tracking/auth/v1/auth';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';

import { problemHandler, sendProblem } from './problem';

export interface GatewayDeps {
  auth: AuthServiceClient;
  log: Logger;
  metrics: Metrics;
  trustedProxies: string[];
}

const registerBody = z.object({
  email: z.string().max(254),
  password: z.string().max(256),
  displayName: z.string().max(80),
});

const roleName: Record<number, string> = {
  [Role.ROLE_CLIENT]: 'client',
  [Role.ROLE_TRAINER]: 'trainer',
  [Role.ROLE_ADMIN]: 'admin',
};

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
    runWithContext(
      { correlationId, clientIp: req.ip, userAgent: req.get('user-agent')?.slice(0, 512) },
      next,
    );
  });

  app.use(express.json({ limit: '32kb' }));

  app.post('/api/v1/auth/register', async (req: Request, res: Response) => {
    const body = registerBody.safeParse(req.body);
    if (!body.success) {
      throw new ValidationError(
        'invalid registration',
        Object.fromEntries(
          body.error.issues.map((issue) => [issue.path.join('.') || '(body)', issue.message]),
        ),
      );
    }
    const user = await callUnary(deps.auth.register.bind(deps.auth), body.data);
    res.status(201).json({
      userId: user.userId,
      role: roleName[user.role] ?? 'unknown',
      createdAt: user.createdAt?.toISOString(),
    });
  });

  app.use((_req: Request, res: Response) => sendProblem(res, 'not_found', 'no such route'));
  app.use(problemHandler(deps.log));
  return app;
}
