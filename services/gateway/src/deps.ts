import type { Logger, Metrics, PrincipalSigner } from '@tracking/kit';
import type { AiInferenceServiceClient } from '@tracking/proto/tracking/ai/v1/ai';
import type { AuditServiceClient } from '@tracking/proto/tracking/audit/v1/audit';
import type { AuthServiceClient } from '@tracking/proto/tracking/auth/v1/auth';
import type { BackupServiceClient } from '@tracking/proto/tracking/backup/v1/backup';
import type { BillingServiceClient } from '@tracking/proto/tracking/billing/v1/billing';
import type { PrivacyServiceClient } from '@tracking/proto/tracking/privacy/v1/privacy';
import type { TrackingServiceClient } from '@tracking/proto/tracking/tracking/v1/tracking';

/**
 * What the gateway needs from the world, as types only. Every other module may import this one
 * and this one imports no module of the gateway, so the wiring cannot close an import cycle:
 * main.ts builds the production values, the tests build their own.
 */
export interface GatewayDeps {
  auth: AuthServiceClient;
  audit: AuditServiceClient;
  tracking: TrackingServiceClient;
  ai: AiInferenceServiceClient;
  billing: BillingServiceClient;
  /** Only for the admin console's backup runs and drills (GET /admin/backups). */
  backup: BackupServiceClient;
  /** Data exports and account deletions (docs/privacy.md). */
  privacy: PrivacyServiceClient;
  /** The shared rate-limit budgets (edge/rate-limit.ts); absent only in tests of the gateway alone. */
  rateLimits?: RateLimits;
  /** Signs the principal the gateway forwards to services (docs/principal.md). */
  principals: PrincipalSigner;
  log: Logger;
  metrics: Metrics;
  trustedProxies: string[];
  /** Deadline of the audit export and verification calls. */
  longCallDeadlineMs: number;
  /**
   * Check every JSON response against its declared schema (docs/api.md); a mismatch is logged
   * and answered with a 500. Default on.
   */
  validateResponses?: boolean;
  edge: EdgeOptions;
}

/** The three per-minute budgets (edge/rate-limit.ts says who spends which). */
export type Budget = 'ip' | 'auth' | 'account';

export interface RateLimits {
  /** Spends one point of `budget` for `key`; a 429 (RateLimitedError, with Retry-After) once it is gone. */
  consume(budget: Budget, key: string, route: string): Promise<void>;
}

/**
 * The settings of the gateway's own edge defences (edge/defences.ts, docs/edge.md): security
 * headers, GeoIP, HTTPS only, the admin network allow-list, and security.txt.
 */
export interface EdgeOptions {
  /** See TRUSTED_PROXY_HOPS in config.ts. */
  trustedProxyHops?: number | undefined;
  countryOf: CountryLookup;
  allowedCountries: readonly string[];
  /** Where the admin API may be used from; empty: from nowhere. */
  adminAllowedCidrs: readonly string[];
  securityTxt: SecurityTxt;
}

/** The ISO 3166-1 alpha-2 country an address is in, or undefined when the database has none for it. */
export type CountryLookup = (address: string) => string | undefined;

/** What /.well-known/security.txt says (RFC 9116); every field comes from configuration. */
export interface SecurityTxt {
  contacts: readonly string[];
  expires: Date;
  policy?: string | undefined;
  languages: readonly string[];
}
