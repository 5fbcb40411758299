import {
  baseConfig,
  databaseConfig,
  grpcAddress,
  grpcClientConfig,
  grpcTlsConfig,
  httpServingConfig,
  loadConfig,
  port,
} from '@tracking/kit';
import { z } from 'zod';

import { parseCidr } from './edge/networks';

const list = (value: string) =>
  value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);

const cidrList = z.string().default('').transform(list);

/** A disclosure contact as RFC 9116 §2.5.3 wants it: a mailto:, https: or tel: URI. */
const contactUri = z
  .string()
  .regex(/^(mailto:|https:\/\/|tel:)\S+$/, { message: 'each contact must be a mailto:, https: or tel: URI' })
  .refine((value) => URL.canParse(value), { message: 'each contact must be a valid URI' });

/** The edge defences (docs/edge.md): proxies, GeoIP, the admin allow-list, security.txt. */
const edgeConfig = z.object({
  /**
   * With TRUSTED_PROXIES: at most this many of the nearest hops are trusted, each of which must
   * also be in the list. Alone: the nearest N hops are trusted whatever their address, which is
   * safe only where a network policy lets nothing but the ingress reach the gateway.
   */
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(1).max(16).optional(),
  /**
   * A MaxMind country database (GeoIP2/GeoLite2 Country or City .mmdb), reloaded when the file
   * changes. Required: there is no switch that turns the GeoIP check off.
   */
  GEOIP_DB_FILE: z.string().min(1),
  /** ISO 3166-1 alpha-2 codes; a client whose address is elsewhere, or nowhere, is refused. */
  GEOIP_ALLOWED_COUNTRIES: z
    .string()
    .default('NZ,AU')
    .transform((value) => list(value.toUpperCase()))
    .pipe(z.array(z.string().regex(/^[A-Z]{2}$/, { message: 'must be ISO 3166-1 alpha-2 codes' })).min(1)),
  /** IPs or CIDRs the admin API may be used from. Empty: from nowhere. */
  ADMIN_ALLOWED_CIDRS: cidrList.pipe(
    z.array(z.string().refine((value) => parseCidr(value) !== undefined, 'must be an IP or CIDR')),
  ),
  /** RFC 9116 security.txt: where to report a vulnerability (comma-separated, most preferred first). */
  SECURITY_CONTACT: z.string().transform(list).pipe(z.array(contactUri).min(1)),
  /** The disclosure policy's page. */
  SECURITY_POLICY_URL: z.url({ protocol: /^https$/, message: 'must be an https: URL' }).optional(),
  /**
   * When security.txt goes stale (RFC 9116 §2.5.5: less than a year ahead). A date in the past
   * stops the gateway at start-up: the contacts are due for review before it may say them again.
   */
  SECURITY_TXT_EXPIRES: z
    .union([z.iso.datetime({ offset: true }), z.iso.date()], {
      message: 'must be an ISO 8601 date or date-time',
    })
    .transform((value) => new Date(value))
    .refine((date) => date.getTime() > Date.now(), {
      message: 'is in the past: review the contacts and set a new expiry',
    }),
  /** Languages reports may be written in (RFC 5646 tags), most preferred first. */
  SECURITY_LANGUAGES: z
    .string()
    .default('en')
    .transform(list)
    .pipe(z.array(z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/, 'must be language tags')).min(1)),
});

export const configSchema = baseConfig
  .extend(grpcClientConfig.shape)
  .extend(edgeConfig.shape)
  // HTTP_ALLOW_PLAINTEXT: the API listener serves TLS to the edge alone unless it is set (docs/edge.md).
  .extend(httpServingConfig.shape)
  .extend({
    BIND_HOST: z.string().default('127.0.0.1'),
    HTTP_PORT: port(8080),
    AUTH_GRPC_ADDR: grpcAddress,
    AUDIT_GRPC_ADDR: grpcAddress,
    TRACKING_GRPC_ADDR: grpcAddress,
    AI_GRPC_ADDR: grpcAddress,
    BILLING_GRPC_ADDR: grpcAddress,
    BACKUP_GRPC_ADDR: grpcAddress,
    PRIVACY_GRPC_ADDR: grpcAddress,
    /** Deadline of a synchronous meal estimate: a provider call with its retries and fallback. */
    AI_DEADLINE_MS: z.coerce.number().int().positive().default(60_000),
    /** Requests per minute per client IP, on every API route. */
    RATE_LIMIT_IP_PER_MINUTE: z.coerce.number().int().min(1).default(600),
    /** Requests per minute per client IP on the public account routes (register, login, MFA, resets). */
    RATE_LIMIT_AUTH_PER_MINUTE: z.coerce.number().int().min(1).default(30),
    /** Requests per minute per signed-in account (and per session credential). */
    RATE_LIMIT_ACCOUNT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
    /**
     * Spend no rate-limit budget at all: only for a fuzz run against a test stack (the schemathesis
     * test, docs/security.md), whose thousands of requests would otherwise mostly be answered 429.
     * The chart's values schema refuses it, so no deployment can set it.
     */
    RATE_LIMITS_LIFTED: z.stringbool().default(false),
    /**
     * The Ed25519 private key (PEM, PKCS#8) that signs the principal forwarded to services
     * (docs/principal.md). Mounted from a Secret; the services hold only its public key.
     */
    PRINCIPAL_SIGNING_KEY_FILE: z.string().min(1),
    /**
     * Addresses of the proxies in front of the gateway (the ingress), as IPs or CIDRs. Only a
     * request arriving from one of them may set X-Forwarded-For or X-Correlation-Id; from
     * anywhere else those headers are ignored. Empty: trust nobody.
     */
    TRUSTED_PROXIES: cidrList,
    /** For the calls that read a whole log: an audit export, a chain verification. */
    LONG_CALL_DEADLINE_MS: z.coerce.number().int().positive().default(600_000),
    /**
     * Check every JSON response against the schema its route declares (docs/api.md): a mismatch
     * is logged (event http.response_invalid) and the caller gets a 500 instead of the body. On
     * by default, everywhere; `false` only as a stop-gap while a logged mismatch is being fixed.
     */
    VALIDATE_RESPONSES: z.stringbool().default(true),
  })
  // DATABASE_URL, over verified TLS only (DATABASE_TLS_CA_FILE): the gateway's own database: only
  // the shared rate-limit counters (runtime role <db>_app).
  .and(databaseConfig)
  .and(grpcTlsConfig);

export type Config = z.infer<typeof configSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env);
}
