import { captureLogger } from '@tracking/testing';

import { createMetrics, createSecurityEvents, runWithContext } from '../src';

describe('security events', () => {
  function setup() {
    const { log, lines } = captureLogger('gateway');
    const metrics = createMetrics();
    const security = createSecurityEvents({ log, metrics }, ['ratelimit.hit', 'authz.denied']);
    return { lines, metrics, security, exposed: () => metrics.registry.metrics() };
  }

  test('each event the service records starts at 0, so the first occurrence is an increase', async () => {
    const { exposed } = setup();
    const text = await exposed();
    expect(text).toContain('security_events_total{event="ratelimit.hit"} 0');
    expect(text).toContain('security_events_total{event="authz.denied"} 0');
  });

  test('an event is one JSON line with its stable name, the correlation id and the client address, at warn', () => {
    const { lines, security } = setup();
    runWithContext({ correlationId: 'corr-0000000001', clientIp: '203.0.113.10' }, () =>
      security.record('ratelimit.hit', { route: '/api/v1/auth/login', budget: 'auth' }, 'refused'),
    );
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 'warn',
        event: 'ratelimit.hit',
        security: true,
        correlation_id: 'corr-0000000001',
        clientIp: '203.0.113.10',
        route: '/api/v1/auth/login',
        msg: 'refused',
      }),
    ]);
  });

  test('only the latest occurrence of an event is kept as its example, one series per event', async () => {
    const { security, exposed } = setup();
    for (const id of ['corr-0000000001', 'corr-0000000002'])
      runWithContext({ correlationId: id }, () => security.record('authz.denied'));
    const examples = (await exposed())
      .split('\n')
      .filter((line) => line.startsWith('security_event_last_seen_timestamp_seconds{'));
    expect(examples).toHaveLength(1);
    expect(examples[0]).toContain('event="authz.denied",correlation_id="corr-0000000002"');
    expect(await exposed()).toContain('security_events_total{event="authz.denied"} 2');
  });

  test('the correlation id rides as an exemplar only while it fits OpenMetrics’ 128 characters', async () => {
    const { security, exposed } = setup();
    runWithContext({ correlationId: 'corr-0000000003' }, () => security.record('ratelimit.hit'));
    expect(await exposed()).toMatch(
      /security_events_total\{event="ratelimit.hit"\} 1 # \{correlation_id="corr-0000000003"\} 1 /,
    );
    const long = `corr-${'x'.repeat(120)}`;
    runWithContext({ correlationId: long }, () => security.record('ratelimit.hit'));
    const text = await exposed();
    // Too long to ride along: the counter keeps its earlier exemplar, never a truncated id...
    expect(text).toMatch(
      /security_events_total\{event="ratelimit.hit"\} 2 # \{correlation_id="corr-0000000003"\}/,
    );
    expect(text).not.toContain(`# {correlation_id="${long}"}`);
    // ...and the gauge still names this latest occurrence whole, for the alert to quote.
    expect(text).toContain(`correlation_id="${long}"`);
  });
});
