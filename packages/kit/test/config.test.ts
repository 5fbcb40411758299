import { z } from 'zod';

import { baseConfig, brokerList, ConfigError, grpcTlsConfig, loadConfig, postgresUrl } from '../src';

describe('configuration', () => {
  const schema = baseConfig.extend({ DATABASE_URL: postgresUrl, KAFKA_BROKERS: brokerList });

  test('a valid environment is parsed into typed settings with defaults', () => {
    const config = loadConfig(schema, {
      DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
      KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093',
    });
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092', '127.0.0.1:9093']);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.OPS_PORT).toBe(0);
  });

  test('a missing or malformed setting fails fast naming every bad variable, without echoing the values', () => {
    const secret = 'mysql://root:hunter2-very-secret@db/x';
    let error: unknown;
    try {
      loadConfig(schema, { DATABASE_URL: secret, KAFKA_BROKERS: 'no-port-here', OPS_PORT: '99999' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/DATABASE_URL: must be a postgres:\/\/ connection URL/);
    expect(message).toMatch(/KAFKA_BROKERS/);
    expect(message).toMatch(/OPS_PORT/);
    expect(message).not.toContain('hunter2');
  });

  test('mutual TLS needs all three certificate files or none', () => {
    expect(() => loadConfig(grpcTlsConfig, { GRPC_TLS_CA_FILE: '/ca.pem' })).toThrow(
      /all of GRPC_TLS_CA_FILE/,
    );
    expect(loadConfig(grpcTlsConfig, {})).toEqual({});
    expect(() => loadConfig(z.object({ X: z.string() }), {})).toThrow(/X: /);
  });
});
