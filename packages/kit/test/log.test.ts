import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { captureLogger } from '@tracking/testing';

import { runWithContext } from '../src';

describe('structured logs', () => {
  test('every line is JSON in UTC with the service and the correlation id of the work in hand', () => {
    const { log, lines } = captureLogger('svc');
    runWithContext({ correlationId: 'corr-abcdef12' }, () => log.info({ event: 'thing.done' }, 'done'));
    const [line] = lines();
    expect(line).toMatchObject({
      service: 'svc',
      level: 'info',
      correlation_id: 'corr-abcdef12',
      event: 'thing.done',
      msg: 'done',
    });
    expect(String(line?.time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  test('a line logged inside a span carries its trace and span ids', () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const { log, lines } = captureLogger('svc');
    const tracer = new TracerProvider().getTracer('log-test');
    const spanContext = tracer.startActiveSpan('work', (span) => {
      log.info('inside');
      span.end();
      return span.spanContext();
    });
    expect(lines()[0]).toMatchObject({ trace_id: spanContext.traceId, span_id: spanContext.spanId });
    context.disable();
  });

  test('canaries planted in secret fields never reach a log line', () => {
    const { log, lines } = captureLogger('svc');
    const canary = 'CANARY-7f3a9c';
    log.info(
      {
        password: `${canary}-password`,
        user: { password: `${canary}-nested`, email: 'a@example.test' },
        token: `${canary}-token`,
        totpCode: `${canary}-totp`,
        code: `${canary}-code`,
        secret: `${canary}-secret`,
        apiKey: `${canary}-key`,
        description: `${canary} two eggs and toast`,
        meal: { description: `${canary} porridge`, text: `${canary} porridge text` },
        req: { headers: { authorization: `Bearer ${canary}`, cookie: `sid=${canary}` } },
      },
      'request handled',
    );
    const written = JSON.stringify(lines());
    expect(written).not.toContain(canary);
    expect(written).toContain('a@example.test');
    expect(written).toContain('[REDACTED]');
  });
});
