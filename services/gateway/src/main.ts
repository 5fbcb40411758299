import { telemetry } from './instrumentation';

import {
  closeServer,
  createPool,
  createPrincipalSigner,
  readPemFiles,
  createClient,
  createLogger,
  createMetrics,
  edgeListenerTls,
  listen,
  onShutdown,
  startOpsServer,
  tlsFiles,
} from '@tracking/kit';
import { AiInferenceServiceClient } from '@tracking/proto/tracking/ai/v1/ai';
import { BackupServiceClient } from '@tracking/proto/tracking/backup/v1/backup';
import { BillingServiceClient } from '@tracking/proto/tracking/billing/v1/billing';
import { PrivacyServiceClient } from '@tracking/proto/tracking/privacy/v1/privacy';
import { AuditServiceClient } from '@tracking/proto/tracking/audit/v1/audit';
import { TrackingServiceClient } from '@tracking/proto/tracking/tracking/v1/tracking';
import { AuthServiceClient } from '@tracking/proto/tracking/auth/v1/auth';
import { Gauge } from 'prom-client';

import { createApp } from './app';
import { readConfig } from './config';
import { openCountryDatabase } from './edge/geoip';
import { createRateLimits } from './edge/rate-limit';

async function main() {
  const config = readConfig();
  const log = createLogger({ service: 'gateway', level: config.LOG_LEVEL, file: config.LOG_FILE });
  const metrics = createMetrics();
  const tls = tlsFiles(config);
  // The API's TLS, answering only the edge's certificate, unless the development flag says plain
  // HTTP; a refused setting stops the gateway before it connects anywhere.
  const edgeTls = edgeListenerTls(config, { log, metrics });
  const [signingKey = ''] = readPemFiles([config.PRINCIPAL_SIGNING_KEY_FILE]);
  const principals = await createPrincipalSigner(signingKey);
  // Every call carries the client's address and user agent signed for the callee, which
  // believes them only so (docs/principal.md).
  // The audience is the called component: its certificate must carry that SPIFFE id too.
  const clientOptions = (audience: string, deadlineMs = config.GRPC_DEADLINE_MS) => ({
    tls,
    server: audience,
    log,
    deadlineMs,
    clientContext: { signer: principals, audience },
  });
  const auth = createClient(AuthServiceClient, config.AUTH_GRPC_ADDR, clientOptions('auth'));
  const audit = createClient(AuditServiceClient, config.AUDIT_GRPC_ADDR, clientOptions('audit'));
  const tracking = createClient(TrackingServiceClient, config.TRACKING_GRPC_ADDR, clientOptions('tracking'));
  const ai = createClient(
    AiInferenceServiceClient,
    config.AI_GRPC_ADDR,
    clientOptions('ai-inference', config.AI_DEADLINE_MS),
  );
  const billing = createClient(BillingServiceClient, config.BILLING_GRPC_ADDR, clientOptions('billing'));
  const backup = createClient(BackupServiceClient, config.BACKUP_GRPC_ADDR, clientOptions('backup'));
  const privacy = createClient(PrivacyServiceClient, config.PRIVACY_GRPC_ADDR, clientOptions('privacy'));
  const pool = createPool(config.DATABASE_URL, { max: 5, name: 'gateway-rate-limits' });
  const rateLimits = config.RATE_LIMITS_LIFTED
    ? undefined
    : createRateLimits(
        pool,
        {
          ipPerMinute: config.RATE_LIMIT_IP_PER_MINUTE,
          authPerMinute: config.RATE_LIMIT_AUTH_PER_MINUTE,
          accountPerMinute: config.RATE_LIMIT_ACCOUNT_PER_MINUTE,
        },
        { log, registry: metrics.registry },
      );
  if (!rateLimits) {
    log.warn(
      { event: 'rate_limits.lifted' },
      'RATE_LIMITS_LIFTED: no rate limit applies; this is for a fuzz run on a test stack only',
    );
  }

  const countryOf = await openCountryDatabase(config.GEOIP_DB_FILE, log, metrics.registry);
  // Alerted on before it lapses (SecurityTxtExpiringSoon): RFC 9116 makes a stale file invalid.
  new Gauge({
    name: 'gateway_security_txt_expiry_timestamp_seconds',
    help: "security.txt's Expires (Unix time).",
    registers: [metrics.registry],
  }).set(config.SECURITY_TXT_EXPIRES.getTime() / 1000);
  const expiresInDays = (config.SECURITY_TXT_EXPIRES.getTime() - Date.now()) / 86_400_000;
  if (expiresInDays < 30) {
    log.warn(
      { event: 'security_txt.expiring', expires: config.SECURITY_TXT_EXPIRES.toISOString() },
      'security.txt expires within 30 days; after that the gateway will not start until SECURITY_TXT_EXPIRES is renewed',
    );
  }

  const app = createApp({
    auth,
    audit,
    tracking,
    ai,
    billing,
    backup,
    privacy,
    principals,
    rateLimits,
    log,
    metrics,
    trustedProxies: config.TRUSTED_PROXIES,
    longCallDeadlineMs: config.LONG_CALL_DEADLINE_MS,
    validateResponses: config.VALIDATE_RESPONSES,
    edge: {
      trustedProxyHops: config.TRUSTED_PROXY_HOPS,
      countryOf,
      allowedCountries: config.GEOIP_ALLOWED_COUNTRIES,
      adminAllowedCidrs: config.ADMIN_ALLOWED_CIDRS,
      securityTxt: {
        contacts: config.SECURITY_CONTACT,
        expires: config.SECURITY_TXT_EXPIRES,
        policy: config.SECURITY_POLICY_URL,
        languages: config.SECURITY_LANGUAGES,
      },
    },
  });
  const server = await listen(app, config.BIND_HOST, config.HTTP_PORT, edgeTls);
  const ops = await startOpsServer({
    host: config.BIND_HOST,
    port: config.OPS_PORT,
    metrics,
    log,
    readiness: [
      ['postgres', () => pool.query('SELECT 1')],
      [
        'auth',
        () =>
          new Promise<void>((resolve, reject) =>
            auth.waitForReady(Date.now() + 1_000, (error) => (error ? reject(error) : resolve())),
          ),
      ],
    ],
  });

  onShutdown(log, config.SHUTDOWN_TIMEOUT_MS, [
    ['readiness', () => ops.setDraining()],
    // close() stops accepting and resolves once in-flight requests have finished.
    ['http', () => closeServer(server)],
    [
      'grpc clients',
      () => {
        auth.close();
        audit.close();
        tracking.close();
        ai.close();
        billing.close();
        backup.close();
        privacy.close();
      },
    ],
    ['postgres', () => pool.end()],
    ['ops server', () => ops.close()],
    ['telemetry', () => telemetry.shutdown()],
  ]);
  log.info(
    { event: 'service.started', httpPort: config.HTTP_PORT, httpTls: Boolean(edgeTls), opsPort: ops.port },
    'gateway ready',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `gateway failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
