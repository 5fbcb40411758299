import { baseConfig, grpcTlsConfig, kafkaConfig, loadConfig, port, postgresUrl } from '@tracking/kit';
import { z } from 'zod';

export const configSchema = baseConfig
  .extend(kafkaConfig.shape)
  .extend({
    BIND_HOST: z.string().default('127.0.0.1'),
    GRPC_PORT: port(50051),
    /** Runtime role (<db>_app); migrations run separately as <db>_migrator. */
    DATABASE_URL: postgresUrl,
  })
  .and(grpcTlsConfig);

export type Config = z.infer<typeof configSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env);
}
