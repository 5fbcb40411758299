import { trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';

import { currentCorrelationId } from './context';

export type { Logger } from 'pino';

/**
 * Paths pino blanks before a line is written. This is the safety net; the first rule is not
 * to log these values at all. Meal text is personal health data and counts as a secret here.
 */
export const REDACTED_PATHS = [
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'accessToken',
  'refreshToken',
  'sessionToken',
  'secret',
  'totp',
  'totpCode',
  'code',
  'recoveryCode',
  'recoveryCodes',
  'otpauthUri',
  'csrfToken',
  'apiKey',
  'authorization',
  'cookie',
  'description',
  'mealText',
  'text',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.sessionToken',
  '*.secret',
  '*.totp',
  '*.totpCode',
  '*.code',
  '*.recoveryCode',
  '*.recoveryCodes',
  '*.otpauthUri',
  '*.csrfToken',
  '*.apiKey',
  '*.authorization',
  '*.cookie',
  '*.description',
  '*.mealText',
  '*.text',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export interface LoggerOptions {
  service: string;
  level?: string;
  /** A file to append to instead of stdout (the local scripts use one file per service). */
  file?: string;
  /** Any other destination (tests capture lines this way). */
  stream?: DestinationStream;
}

/**
 * JSON lines in UTC, each stamped with the service, the correlation id and the active trace
 * and span, so a log line, a trace and an audit entry can be joined on one id.
 */
export function createLogger(options: LoggerOptions): Logger {
  const destination =
    options.stream ??
    (options.file
      ? pino.destination({ dest: options.file, mkdir: true, sync: false })
      : pino.destination({ dest: 1, sync: false }));
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      mixin() {
        const fields: Record<string, string> = {};
        const correlationId = currentCorrelationId();
        if (correlationId) fields.correlation_id = correlationId;
        const spanContext = trace.getActiveSpan()?.spanContext();
        if (spanContext) {
          fields.trace_id = spanContext.traceId;
          fields.span_id = spanContext.spanId;
        }
        return fields;
      },
    },
    destination,
  );
}
