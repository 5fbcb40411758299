import { accessSync, constants } from 'node:fs';

import { z } from 'zod';

/**
 * Every service parses its whole environment through one zod schema at start-up, so a
 * missing or malformed setting stops the process with a message naming the variable —
 * never echoing its value, which may be a secret.
 */
export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
  );
}

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

export const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// connection URL' });

/**
 * The platform connects to PostgreSQL over TLS only, verifying the server's certificate against a
 * CA and its name against the URL's host: libpq's sslmode=verify-full, which node-postgres,
 * Prisma's pg adapter and pg_dump/pg_restore all read from the URL. There is no setting for
 * plaintext or for TLS without verification, in development either (docs/postgres-tls.md).
 */
export const DATABASE_TLS_REQUIRED =
  'must verify the server over TLS: set DATABASE_TLS_CA_FILE, or put sslmode=verify-full and sslrootcert=<CA file> in the URL; plaintext is not supported';

/**
 * `url` as the platform connects with it. With a CA file: sslmode=verify-full and
 * sslrootcert=<file> set on it (replacing any given). Without: the URL's own, which must say
 * sslmode=verify-full and name its CA file in sslrootcert. undefined when it cannot verify: no
 * verify-full, no CA file, a second sslmode, or a unix socket (a `host` parameter, a host that is
 * a path), where TLS does not apply. (A server with a public CA: DATABASE_TLS_CA_FILE names the
 * system's bundle, e.g. /etc/ssl/certs/ca-certificates.crt.)
 */
export function verifiedPostgresUrl(url: string, caFile?: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const host = decodeURIComponent(parsed.hostname);
  if (
    !host ||
    host.startsWith('/') ||
    parsed.searchParams.has('host') ||
    parsed.searchParams.has('hostaddr')
  ) {
    return undefined;
  }
  if (caFile) {
    // The other parameters stay as written, and the path is percent-encoded by hand:
    // URLSearchParams would write a space as `+`, which libpq (pg_dump) does not decode.
    const kept = parsed.search
      .slice(1)
      .split('&')
      .filter((pair) => pair && !/^(sslmode|sslrootcert)=/.test(pair));
    parsed.search = [...kept, 'sslmode=verify-full', `sslrootcert=${encodeURIComponent(caFile)}`].join('&');
    return parsed.toString();
  }
  const modes = parsed.searchParams.getAll('sslmode');
  const roots = parsed.searchParams.getAll('sslrootcert');
  // A CA file, always: without one libpq (pg_dump) looks for ~/.postgresql/root.crt and
  // node-postgres trusts the system's CAs, and `system` means the latter to libpq 16 only.
  const rootsNamed = roots.length === 1 && Boolean(roots[0]) && roots[0] !== 'system';
  return modes.length === 1 && modes[0] === 'verify-full' && rootsNamed ? url : undefined;
}

/** A connection URL that verifies TLS by itself (sslmode=verify-full in it). */
export const verifiedPostgresUrlText = postgresUrl.refine((url) => verifiedPostgresUrl(url) !== undefined, {
  message: DATABASE_TLS_REQUIRED,
});

/** A file the process can read; checked at start-up so a missing mount fails fast. */
const readableFile = z
  .string()
  .min(1)
  .refine(
    (file) => {
      try {
        accessSync(file, constants.R_OK);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'is not a readable file' },
  );

/**
 * A service's database: DATABASE_URL, and in the chart DATABASE_TLS_CA_FILE, the mounted CA that
 * signed the server's certificate (CloudNativePG's `<cluster>-ca`), which is applied to the URL.
 * Join it with `.and(databaseConfig)`; DATABASE_URL comes out ready for pg and Prisma.
 */
export const databaseConfig = z
  .object({
    DATABASE_URL: postgresUrl,
    DATABASE_TLS_CA_FILE: readableFile.optional(),
  })
  .transform((config, context) => {
    const url = verifiedPostgresUrl(config.DATABASE_URL, config.DATABASE_TLS_CA_FILE);
    if (url === undefined) {
      context.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: DATABASE_TLS_REQUIRED });
      return z.NEVER;
    }
    return { ...config, DATABASE_URL: url };
  });

const HOST_PORT = /^[\w.-]+:\d+$/;

/** The address of another service's gRPC server. */
export const grpcAddress = z.string().regex(HOST_PORT, { message: 'must be host:port' });

/** Settings of a service that calls others over gRPC: each call's default deadline. */
export const grpcClientConfig = z.object({
  GRPC_DEADLINE_MS: z.coerce.number().int().positive().default(5_000),
});

/** A comma-separated list: entries trimmed, empty ones dropped. Pipe it into the entries' schema. */
export const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean),
);

/** Comma-separated PEM file paths, at least one. */
export const pemFileList = commaList.pipe(
  z.array(z.string()).min(1, { message: 'name at least one PEM file' }),
);

/** Comma-separated host:port list. */
export const brokerList = commaList.pipe(
  z.array(z.string().regex(HOST_PORT, { message: 'each broker must be host:port' })).min(1),
);

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

/** Settings every service shares; a service extends this with its own. */
export const baseConfig = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: logLevel,
  /** Where logs go: stdout in containers, a file for the local scripts. */
  LOG_FILE: z.string().optional(),
  OPS_PORT: port(0),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
});

export const kafkaConfig = z.object({
  KAFKA_BROKERS: brokerList,
  /** The service's own Kafka user (a SCRAM user locally, its KafkaUser in the chart); kafka.ts kafkaConnection. */
  KAFKA_SASL_USERNAME: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/)
    .optional(),
  /** A file holding only that user's password (Strimzi's Secret key `password`). */
  KAFKA_SASL_PASSWORD_FILE: z.string().optional(),
  /** The CA that signed the brokers' certificates (Strimzi's `<cluster>-cluster-ca-cert` `ca.crt`). */
  KAFKA_CA_FILE: z.string().optional(),
  /** Prepended to every topic name; lets tests run beside a developer's stack on one broker. */
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[a-z0-9-]*\.?$/)
    .default(''),
});

const componentNames = commaList.pipe(
  z.array(z.string().regex(/^[a-z][a-z0-9-]*$/, { message: 'each must be a component name, e.g. gateway' })),
);

const grpcTlsShape = {
  NODE_ENV: baseConfig.shape.NODE_ENV,
  GRPC_TLS_CA_FILE: z.string().optional(),
  GRPC_TLS_CERT_FILE: z.string().optional(),
  GRPC_TLS_KEY_FILE: z.string().optional(),
  /** How often the three files are re-read, so a rotated certificate needs no restart. */
  GRPC_TLS_REFRESH_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
  /** The development flag: gRPC without TLS and without the caller check. Refused in production. */
  GRPC_ALLOW_PLAINTEXT: z.stringbool().default(false),
};

type GrpcTlsSettings = z.infer<z.ZodObject<typeof grpcTlsShape>>;

function checkGrpcTls(value: GrpcTlsSettings, context: z.core.$RefinementCtx): void {
  const files = [value.GRPC_TLS_CA_FILE, value.GRPC_TLS_CERT_FILE, value.GRPC_TLS_KEY_FILE];
  const issue = (path: string, message: string) =>
    context.addIssue({ code: 'custom', path: [path], message });
  if (!files.every(Boolean) && !files.every((file) => !file)) {
    issue(
      'GRPC_TLS_CA_FILE',
      'set all of GRPC_TLS_CA_FILE, GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE, or none',
    );
  }
  if (value.GRPC_ALLOW_PLAINTEXT && value.NODE_ENV === 'production') {
    issue('GRPC_ALLOW_PLAINTEXT', 'is a development flag and is refused with NODE_ENV=production');
  }
}

/**
 * gRPC transport security of a service that calls others (docs/grpc-security.md): mutual TLS
 * with all three files, or plaintext under the GRPC_ALLOW_PLAINTEXT development flag.
 */
export const grpcTlsConfig = z.object(grpcTlsShape).superRefine(checkGrpcTls);

/**
 * The same for a service that serves gRPC, plus who may call it: GRPC_ALLOWED_CALLERS, the
 * components whose certificates its server accepts (the chart's call graph). Required with
 * the TLS files; empty means nobody.
 */
export const grpcServerTlsConfig = z
  .object({ ...grpcTlsShape, GRPC_ALLOWED_CALLERS: componentNames.optional() })
  .superRefine((value, context) => {
    checkGrpcTls(value, context);
    if (value.GRPC_TLS_CA_FILE && value.GRPC_ALLOWED_CALLERS === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['GRPC_ALLOWED_CALLERS'],
        message: 'name the components allowed to call this service (comma-separated; empty for none)',
      });
    }
  });
