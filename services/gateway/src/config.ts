import { baseConfig, grpcAddress, grpcClientConfig, grpcTlsConfig, loadConfig, port } from '@tracking/kit';
import { z } from 'zod';

const cidrList = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
  );

export const configSchema = baseConfig
  .extend(grpcClientConfig.shape)
  .extend({
    BIND_HOST: z.string().default('127.0.0.1'),
    HTTP_PORT: port(8080),
    AUTH_GRPC_ADDR: grpcAddress,
    AUDIT_GRPC_ADDR: grpcAddress,
    /**
     * Addresses of the proxies in front of the gateway (the ingress), as IPs or CIDRs. Only a
     * request arriving from one of them may set X-Forwarded-For or X-Correlation-Id; from
     * anywhere else those headers are ignored. Empty: trust nobody.
     */
    TRUSTED_PROXIES: cidrList,
    /** For the calls that read a whole log: an audit export, a chain verification. */
    LONG_CALL_DEADLINE_MS: z.coerce.number().int().positive().default(600_000),
  })
  .and(grpcTlsConfig);

export type Config = z.infer<typeof configSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env);
}
