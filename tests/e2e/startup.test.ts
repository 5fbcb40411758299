import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { startProcess } from '@tracking/testing';

const ROOT = path.resolve(__dirname, '..', '..');

describe('starting a service with bad settings', () => {
  test.each(['auth', 'audit', 'tracking', 'ai-inference', 'gateway'])(
    '%s exits at once with every bad variable named and no value echoed',
    async (service) => {
      const secret = 'hunter2-do-not-echo';
      const started = await startProcess({
        name: `${service}-bad-config`,
        entry: path.join(ROOT, 'services', service, 'src', 'main.ts'),
        env: {
          DATABASE_URL: `mysql://root:${secret}@db/x`,
          KAFKA_BROKERS: `no-port-${secret}`,
          AUTH_GRPC_ADDR: `not an address ${secret}`,
          OPS_PORT: '99999',
          OTEL_SDK_DISABLED: 'true',
          AI_PROVIDERS: 'anthropic',
          ANTHROPIC_API_KEY: secret,
          ANTHROPIC_BASE_URL: `http://proxy.example/${secret}`,
        },
      });
      const code = await started.exited;
      expect(code).toBe(1);
      const output = await readFile(started.logFile, 'utf8');
      expect(output).toContain(`${service} failed to start: invalid configuration`);
      expect(output).toMatch(/OPS_PORT/);
      expect(output).not.toContain(secret);
      if (service !== 'gateway') {
        expect(output).toMatch(/DATABASE_URL: must be a postgres:\/\/ connection URL/);
        expect(output).toMatch(/KAFKA_BROKERS/);
      }
      // Gateway and audit call auth; the others call no one.
      if (service === 'gateway' || service === 'audit') {
        expect(output).toMatch(/AUTH_GRPC_ADDR: must be host:port/);
      }
      if (service === 'ai-inference') {
        expect(output).toMatch(/ANTHROPIC_BASE_URL: must be an https:\/\/ URL/);
        expect(output).toMatch(/ANTHROPIC_MODEL: is required when AI_PROVIDERS lists anthropic/);
      }
    },
  );
});
