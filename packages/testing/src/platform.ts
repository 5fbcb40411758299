import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { generateExportKeyPair } from '@tracking/kit/privacy';
import { ListEntriesRequest } from '@tracking/proto/tracking/audit/v1/audit';

import { grpcClientTls, grpcServiceEnv, GRPC_PLAINTEXT_ENV, localPkiDir } from './grpc-tls';
import {
  createTestDatabase,
  createTestTopics,
  freePort,
  infraEnv,
  kafkaServiceEnv,
  randomName,
  startProcess,
  startStripeMock,
  STRIPE_MOCK_KEY,
  type ManagedProcess,
  type StripeMock,
  type TestDatabase,
} from './index';
import {
  sharedMailInbox,
  sharedSmtpServer,
  startMailServer,
  startSmtpStandIn,
  type MailInbox,
  type MailServer,
  type SmtpStandIn,
} from './mail';
import { REPO_ROOT as ROOT } from './repo';

/** Re-exported for the test files that import it from here. */
export { freePort };

/**
 * Where test requests come from. TLS ends at the ingress, so the tests play the ingress: the
 * gateway trusts 127.0.0.1 as its proxy, and every request says it arrived over HTTPS from
 * this client address, which the test GeoIP database places in NZ and the admin allow-list
 * admits (docs/edge.md).
 */
export const TEST_CLIENT_IP = '203.0.113.10';
export const INGRESS_HEADERS: Readonly<Record<string, string>> = {
  'x-forwarded-proto': 'https',
  'x-forwarded-for': TEST_CLIENT_IP,
};
/** The test GeoIP database: documentation ranges (RFC 5737, RFC 3849) standing for countries. */
export const TEST_NETWORKS = [
  '203.0.113.0/24=NZ',
  '198.51.100.0/24=AU',
  '192.0.2.0/24=US',
  '2001:db8:1::/48=NZ',
  '2001:db8:2::/48=AU',
  '2001:db8:3::/48=US',
];

/**
 * Writes a GeoIP country database with the repository's own writer (npm test installs it);
 * production mounts MaxMind's. `networks` are CIDR=COUNTRY pairs.
 */
export async function writeGeoIpDatabase(file: string, networks: readonly string[] = TEST_NETWORKS) {
  await mkdir(path.dirname(file), { recursive: true });
  await promisify(execFile)('perl', [path.join(ROOT, 'scripts', 'geoip-db.pl'), file, ...networks]).catch(
    (error: unknown) => {
      throw new Error(`could not write a GeoIP database (npm test installs its writer): ${String(error)}`);
    },
  );
}

export async function jsonLines(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A fresh Ed25519 key pair for the principal assertions (docs/principal.md), as PEM files. */
export async function writePrincipalKeys(
  dir: string,
): Promise<{ privateKeyFile: string; publicKeyFile: string }> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privateKeyFile = path.join(dir, 'principal-private.pem');
  const publicKeyFile = path.join(dir, 'principal-public.pem');
  await mkdir(dir, { recursive: true });
  await writeFile(privateKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await writeFile(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateKeyFile, publicKeyFile };
}

/**
 * The export store and erasure ledger of one platform: the local S3 server (scripts/s3.sh, its
 * settings in .local/infra.env) under prefixes of the platform's own, and a fresh age key pair:
 * every service gets the public recipient, only the privacy service the identity.
 */
async function privacyStores(dir: string) {
  const s3 = {
    endpoint: process.env.S3_ENDPOINT ?? '',
    region: process.env.S3_REGION ?? 'us-east-1',
    bucket: process.env.S3_BUCKET ?? '',
    credentialsDir: process.env.S3_CREDENTIALS_DIR ?? '',
  };
  if (!s3.endpoint || !s3.bucket) {
    throw new Error(
      'S3_ENDPOINT and S3_BUCKET are not set: start the infrastructure with `npm run infra up`',
    );
  }
  const { identity, recipient } = await generateExportKeyPair();
  const identityDir = path.join(dir, 'privacy-export-identity');
  await mkdir(identityDir, { recursive: true, mode: 0o700 });
  await writeFile(path.join(identityDir, 'test-1'), `${identity}\n`, { mode: 0o600 });
  const prefix = `${randomName('platform-')}/`;
  const exportPrefix = `${prefix}privacy/`;
  return {
    bucket: s3.bucket,
    exportPrefix,
    ledgerPrefix: `${prefix}ledger/`,
    identityDir,
    env: {
      EXPORT_S3_ENDPOINT: s3.endpoint,
      EXPORT_S3_REGION: s3.region,
      EXPORT_S3_BUCKET: s3.bucket,
      EXPORT_S3_PREFIX: exportPrefix,
      EXPORT_S3_FORCE_PATH_STYLE: 'true',
      EXPORT_S3_CREDENTIALS_DIR: s3.credentialsDir,
      PRIVACY_EXPORT_RECIPIENT: recipient,
    },
  };
}

/** A ListEntries request with every field at its proto default (no filter) but those given. */
export function listQuery(fields: Partial<ListEntriesRequest> = {}): ListEntriesRequest {
  return { ...ListEntriesRequest.decode(new Uint8Array()), ...fields };
}

export interface Platform {
  /** Base URL of the gateway's API, e.g. http://127.0.0.1:1234/api/v1 */
  api: string;
  authGrpc: string;
  auditGrpc: string;
  trackingGrpc: string;
  aiGrpc: string;
  authDb: TestDatabase;
  trackingDb: TestDatabase;
  aiDb: TestDatabase;
  /** Every service's database, by service name. */
  databases: Record<string, TestDatabase>;
  /**
   * The export store and the erasure ledger every service of this platform uses (the local S3
   * server, under prefixes of this platform's own); the privacy service's address when started.
   */
  privacy: {
    grpc?: string;
    bucket: string;
    exportPrefix: string;
    ledgerPrefix: string;
    /** The environment that points a process at them (S3 endpoint, credentials, the export recipient). */
    env: Record<string, string>;
  };
  /** Every running service's ops server (/metrics, /readyz), by service name. */
  opsUrls: Record<string, string>;
  /**
   * The PKI whose certificates the services present and trust (the local one of scripts/pki.sh
   * unless the test gave its own); a test calls a service as a component with
   * grpcClientTls(component, platform.pki). Undefined with `grpcPlaintext`.
   */
  pki?: string;
  topicPrefix: string;
  logFile(service: string): string;
  /**
   * Where the mail the platform sent arrives: a MailDev's REST API (the shared one of
   * scripts/mail.sh, or the platform's own with `mail.own`), read by recipient.
   */
  mail: MailInbox;
  /**
   * The SMTP server the notifications service sends to. `stop()` and `start()` take it away and
   * bring it back (with `mail.own` or `mail.refuse`; the shared server is not the test's to stop).
   */
  smtp: { host: string; port: number; stop: () => Promise<void>; start: () => Promise<void> };
  /** The origin of every link the platform mails (each service's PUBLIC_BASE_URL). */
  publicBaseUrl: string;
  /** The billing service, when started (`billing: true`), with Stripe's API mock behind it. */
  billing?: {
    grpc: string;
    webhookUrl: string;
    webhookSecret: string;
    stripeMockUrl: string;
    db: TestDatabase;
  };
  /**
   * An outage of one service (by name, e.g. 'billing'): `stopService` SIGTERMs it and resolves with
   * its exit code; `startService` starts it again with the same settings, ports and database, and
   * resolves once it is ready.
   */
  stopService(name: string): Promise<number | null>;
  startService(name: string): Promise<void>;
  /** SIGTERM every service, drop the databases; resolves with each service's exit code. */
  stop(): Promise<(number | null)[]>;
}

/**
 * The real auth, audit and gateway processes on their own databases and topic prefix, on the
 * real PostgreSQL and Kafka the infra script started: what the local stack runs, in isolation.
 */
export async function startPlatform(
  options: {
    env?: Record<string, string>;
    authEnv?: Record<string, string>;
    /** E.g. low RATE_LIMIT_* budgets; by default they are far above what any test sends. */
    gatewayEnv?: Record<string, string>;
    /** The AI providers (AI_PROVIDERS, base URLs, keys); the offline estimator by default. */
    aiEnv?: Record<string, string>;
    /** false: no ai-inference process, for a test that plays its part on Kafka itself. */
    ai?: boolean;
    /** true: also the billing service, with stripe-mock as its Stripe (docs/billing.md). */
    billing?: boolean;
    /** false: no notifications service (nothing is mailed). */
    notifications?: boolean;
    /** E.g. a shorter SMTP_RETRY_GIVE_UP_MS, or a lower RECIPIENT_LIMIT. */
    notificationsEnv?: Record<string, string>;
    /**
     * Where mail goes. By default the shared MailDev (scripts/mail.sh), read by recipient.
     * `own`: a MailDev of the platform's own, which the test may stop and start (`smtp`).
     * `refuse`: an SMTP stand-in in front of it that refuses the recipients it answers for (a 5xx
     * or 4xx at RCPT TO) and relays the rest (packages/testing/src/mail.ts).
     */
    mail?: {
      own?: boolean;
      refuse?: (recipient: string) => { code: number; message: string } | undefined;
    };
    /** The web app's origin in every mailed link; https://app.tracking.test by default. */
    publicBaseUrl?: string;
    /** true: also the privacy service (the export and erasure sagas), which the gateway calls. */
    privacy?: boolean;
    /** E.g. ERASURE_COOLING_OFF_MS, to let an erasure run within a test. */
    privacyEnv?: Record<string, string>;
    /**
     * The directory of the PKI the services' mutual TLS uses (scripts/pki.sh's layout, e.g. a
     * createTestPki()'s); the local PKI (GRPC_SECRETS_DIR) by default.
     */
    pki?: string;
    /** true: gRPC in plaintext with the development flag, no caller checked: a benchmark's baseline only. */
    grpcPlaintext?: boolean;
    /**
     * true: the gateway's API and billing's webhook serve TLS from the PKI and admit only the
     * edge's certificate, as behind the edge (`api` is then https://localhost:…). By default
     * they serve plain HTTP with the development flag HTTP_ALLOW_PLAINTEXT, so tests can call them.
     */
    httpTls?: boolean;
  } = {},
) {
  const { brokers } = infraEnv();
  const pki = options.grpcPlaintext ? undefined : (options.pki ?? localPkiDir());
  // Fail here, naming the PKI, rather than in each service's start-up.
  if (pki) grpcClientTls('gateway', pki);
  if (options.httpTls && !pki) throw new Error('httpTls needs the PKI: it cannot go with grpcPlaintext');
  const httpScheme = options.httpTls ? 'https://localhost' : 'http://127.0.0.1';
  const httpPlaintext: Record<string, string> = options.httpTls ? {} : { HTTP_ALLOW_PLAINTEXT: 'true' };
  const dir = path.join(tmpdir(), randomName('platform-'));
  const logFile = (service: string) => path.join(dir, `${service}.log`);
  const publicBaseUrl = options.publicBaseUrl ?? 'https://app.tracking.test';
  const withNotifications = options.notifications !== false;
  const running = new Map<string, ManagedProcess>();
  const launchers = new Map<string, () => Promise<ManagedProcess>>();
  let stripeMock: StripeMock | undefined;
  let mailServer: MailServer | undefined;
  let standIn: SmtpStandIn | undefined;
  const [authDb, auditDb, trackingDb, gatewayDb, aiDb, billingDb, notificationsDb, privacyDb] =
    await Promise.all([
      createTestDatabase(path.join(ROOT, 'services', 'auth', 'migrations')),
      createTestDatabase(path.join(ROOT, 'services', 'audit', 'migrations')),
      createTestDatabase(path.join(ROOT, 'services', 'tracking', 'migrations')),
      createTestDatabase(path.join(ROOT, 'services', 'gateway', 'migrations')),
      createTestDatabase(path.join(ROOT, 'services', 'ai-inference', 'migrations')),
      options.billing ? createTestDatabase(path.join(ROOT, 'services', 'billing', 'migrations')) : undefined,
      withNotifications
        ? createTestDatabase(path.join(ROOT, 'services', 'notifications', 'migrations'))
        : undefined,
      options.privacy ? createTestDatabase(path.join(ROOT, 'services', 'privacy', 'migrations')) : undefined,
    ]);
  const stop = async () => {
    const codes = await Promise.all([...running.values()].map((process) => process.stop()));
    await stripeMock?.stop();
    await standIn?.stop();
    await mailServer?.close();
    await Promise.all([
      authDb.drop(),
      auditDb.drop(),
      trackingDb.drop(),
      gatewayDb.drop(),
      aiDb.drop(),
      billingDb?.drop(),
      notificationsDb?.drop(),
      privacyDb?.drop(),
    ]);
    await rm(dir, { recursive: true, force: true });
    return codes;
  };
  try {
    const topicPrefix = await createTestTopics();
    const geoipDb = path.join(dir, 'geoip.mmdb');
    await writeGeoIpDatabase(geoipDb);
    const principalKeys = await writePrincipalKeys(dir);
    const privacy = await privacyStores(dir);
    // auth's GetContact credential, which the notifications service presents (docs/notifications.md).
    const contactTokenFile = path.join(dir, 'contact-token');
    await writeFile(contactTokenFile, randomBytes(32).toString('base64url'), { mode: 0o600 });
    // The SMTP server the notifications service talks to, and the inbox the test reads.
    if (options.mail?.own) mailServer = await startMailServer();
    const relay = mailServer ? { host: mailServer.smtpHost, port: mailServer.smtpPort } : sharedSmtpServer();
    const inbox = mailServer?.inbox ?? sharedMailInbox();
    if (options.mail?.refuse)
      standIn = await startSmtpStandIn({ relayTo: relay, answer: options.mail.refuse });
    const notStoppable = () =>
      Promise.reject(
        new Error("the shared SMTP server is not the test's to stop: start the platform with mail.own"),
      );
    const smtp = standIn
      ? { host: standIn.host, port: standIn.port, stop: standIn.stop, start: standIn.start }
      : mailServer
        ? {
            host: mailServer.smtpHost,
            port: mailServer.smtpPort,
            stop: mailServer.stop,
            start: mailServer.start,
          }
        : { ...relay, stop: notStoppable, start: notStoppable };
    const [
      authGrpc,
      authOps,
      auditGrpc,
      auditOps,
      trackingGrpc,
      trackingOps,
      aiGrpc,
      aiOps,
      http,
      gatewayOps,
      billingGrpc,
      billingOps,
      billingWebhooks,
      notificationsOps,
      privacyGrpc,
      privacyOps,
    ] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const start = async (name: string, opsPort: number, env: Record<string, string>) => {
      const launch = () =>
        startProcess({
          name,
          entry: path.join(ROOT, 'services', name, 'src', 'main.ts'),
          env: {
            KAFKA_BROKERS: brokers.join(','),
            KAFKA_TOPIC_PREFIX: topicPrefix,
            ...kafkaServiceEnv(name),
            LOG_LEVEL: 'debug',
            LOG_FILE: logFile(name),
            OTEL_SDK_DISABLED: 'true',
            // Every participant writes its export parts here, encrypted to the privacy service.
            ...privacy.env,
            // Its certificate, the CA and the callers the chart's call graph allows it.
            ...(pki ? grpcServiceEnv(name, pki) : GRPC_PLAINTEXT_ENV),
            ...options.env,
            OPS_PORT: String(opsPort),
            ...env,
          },
          readyUrl: `http://127.0.0.1:${opsPort}/readyz`,
        });
      launchers.set(name, launch);
      const started = await launch();
      running.set(name, started);
      return started;
    };
    const key = (id: string) => ({
      ENCRYPTION_KEYS: `${id}:${randomBytes(32).toString('base64')}`,
      ENCRYPTION_ACTIVE_KEY_ID: id,
    });
    await Promise.all([
      start('auth', authOps, {
        GRPC_PORT: String(authGrpc),
        DATABASE_URL: authDb.appUrl,
        PUBLIC_BASE_URL: publicBaseUrl,
        CONTACT_LOOKUP_TOKEN_FILE: contactTokenFile,
        PRINCIPAL_PUBLIC_KEY_FILES: principalKeys.publicKeyFile,
        ...key('auth-1'),
        ...options.authEnv,
      }),
      start('audit', auditOps, {
        GRPC_PORT: String(auditGrpc),
        AUTH_GRPC_ADDR: `127.0.0.1:${authGrpc}`,
        DATABASE_URL: auditDb.appUrl,
        ...key('audit-1'),
      }),
      start('tracking', trackingOps, {
        GRPC_PORT: String(trackingGrpc),
        DATABASE_URL: trackingDb.appUrl,
        PRINCIPAL_PUBLIC_KEY_FILES: principalKeys.publicKeyFile,
        PUBLIC_BASE_URL: publicBaseUrl,
      }),
      options.ai === false
        ? undefined
        : start('ai-inference', aiOps, {
            GRPC_PORT: String(aiGrpc),
            DATABASE_URL: aiDb.appUrl,
            PRINCIPAL_PUBLIC_KEY_FILES: principalKeys.publicKeyFile,
            AI_PROVIDERS: 'offline',
            ...options.aiEnv,
          }),
    ]);
    const webhookSecret = `whsec_${randomBytes(24).toString('hex')}`;
    if (billingDb) {
      stripeMock = await startStripeMock();
      const keyFile = path.join(dir, 'stripe-secret-key');
      const webhookSecretFile = path.join(dir, 'stripe-webhook-secret');
      await writeFile(keyFile, STRIPE_MOCK_KEY, { mode: 0o600 });
      await writeFile(webhookSecretFile, webhookSecret, { mode: 0o600 });
      await start('billing', billingOps, {
        GRPC_PORT: String(billingGrpc),
        WEBHOOK_PORT: String(billingWebhooks),
        DATABASE_URL: billingDb.appUrl,
        PRINCIPAL_PUBLIC_KEY_FILES: principalKeys.publicKeyFile,
        STRIPE_SECRET_KEY_FILE: keyFile,
        STRIPE_WEBHOOK_SECRET_FILE: webhookSecretFile,
        STRIPE_API_URL: stripeMock.url,
        STRIPE_PRICE_PRO: 'price_PlatformPro',
        STRIPE_PRICE_TEAM: 'price_PlatformTeam',
        BILLING_PUBLIC_URL: publicBaseUrl,
        // The edge and the tests post to the webhook path from loopback.
        TRUSTED_PROXIES: '127.0.0.1',
        ...httpPlaintext,
      });
    }
    if (notificationsDb) {
      await start('notifications', notificationsOps, {
        DATABASE_URL: notificationsDb.appUrl,
        AUTH_GRPC_ADDR: `127.0.0.1:${authGrpc}`,
        AUTH_CONTACT_TOKEN_FILE: contactTokenFile,
        SMTP_HOST: smtp.host,
        SMTP_PORT: String(smtp.port),
        // MailDev on loopback speaks plaintext; a cluster never does (docs/notifications.md).
        SMTP_SECURE: 'none',
        SMTP_ALLOW_PLAINTEXT: 'true',
        SMTP_TIMEOUT_MS: '5000',
        MAIL_FROM: 'Tracking (test) <no-reply@tracking.test>',
        PUBLIC_BASE_URL: publicBaseUrl,
        // An SMTP outage in a test lasts seconds: retry quickly, give up after two minutes.
        SMTP_RETRY_FIRST_DELAY_MS: '250',
        SMTP_RETRY_MAX_DELAY_MS: '2000',
        SMTP_RETRY_GIVE_UP_MS: '120000',
        // Far above what a test sends to one address, unless it tests the limit.
        RECIPIENT_LIMIT: '1000',
        ...options.notificationsEnv,
      });
    }
    if (privacyDb) {
      await start('privacy', privacyOps, {
        GRPC_PORT: String(privacyGrpc),
        DATABASE_URL: privacyDb.appUrl,
        PRINCIPAL_PUBLIC_KEY_FILES: principalKeys.publicKeyFile,
        PUBLIC_BASE_URL: publicBaseUrl,
        PRIVACY_EXPORT_IDENTITY_DIR: privacy.identityDir,
        ERASURE_LEDGER_S3_ENDPOINT: privacy.env.EXPORT_S3_ENDPOINT,
        ERASURE_LEDGER_S3_REGION: privacy.env.EXPORT_S3_REGION,
        ERASURE_LEDGER_S3_BUCKET: privacy.bucket,
        ERASURE_LEDGER_S3_PREFIX: privacy.ledgerPrefix,
        ERASURE_LEDGER_S3_CREDENTIALS_DIR: privacy.env.EXPORT_S3_CREDENTIALS_DIR,
        // A test's saga moves within a second, not a timer's half minute.
        SAGA_INTERVAL_MS: '500',
        ...options.privacyEnv,
      });
    }
    await start('gateway', gatewayOps, {
      HTTP_PORT: String(http),
      AUTH_GRPC_ADDR: `127.0.0.1:${authGrpc}`,
      AUDIT_GRPC_ADDR: `127.0.0.1:${auditGrpc}`,
      TRACKING_GRPC_ADDR: `127.0.0.1:${trackingGrpc}`,
      AI_GRPC_ADDR: `127.0.0.1:${aiGrpc}`,
      BILLING_GRPC_ADDR: `127.0.0.1:${billingGrpc}`,
      // The platform runs no backup service (tests/e2e/backup.test.ts starts its own): nothing
      // listens here, so GET /admin/backups answers 503 unless a test points it at one.
      BACKUP_GRPC_ADDR: '127.0.0.1:1',
      // Without the privacy service (privacy: true) nothing listens here and its routes answer 503.
      PRIVACY_GRPC_ADDR: privacyDb ? `127.0.0.1:${privacyGrpc}` : '127.0.0.1:1',
      DATABASE_URL: gatewayDb.appUrl,
      PRINCIPAL_SIGNING_KEY_FILE: principalKeys.privateKeyFile,
      TRUSTED_PROXIES: '127.0.0.1',
      GEOIP_DB_FILE: geoipDb,
      ADMIN_ALLOWED_CIDRS: '203.0.113.0/24,2001:db8:1::/48',
      SECURITY_CONTACT: 'mailto:security@example.test',
      SECURITY_TXT_EXPIRES: new Date(Date.now() + 180 * 86_400_000).toISOString(),
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      RATE_LIMIT_AUTH_PER_MINUTE: '100000',
      RATE_LIMIT_ACCOUNT_PER_MINUTE: '100000',
      ...httpPlaintext,
      ...options.gatewayEnv,
    });
    return {
      api: `${httpScheme}:${http}/api/v1`,
      authGrpc: `127.0.0.1:${authGrpc}`,
      auditGrpc: `127.0.0.1:${auditGrpc}`,
      trackingGrpc: `127.0.0.1:${trackingGrpc}`,
      aiGrpc: `127.0.0.1:${aiGrpc}`,
      authDb,
      trackingDb,
      aiDb,
      databases: {
        auth: authDb,
        audit: auditDb,
        tracking: trackingDb,
        gateway: gatewayDb,
        'ai-inference': aiDb,
        ...(billingDb ? { billing: billingDb } : {}),
        ...(notificationsDb ? { notifications: notificationsDb } : {}),
        ...(privacyDb ? { privacy: privacyDb } : {}),
      },
      privacy: {
        ...(privacyDb ? { grpc: `127.0.0.1:${privacyGrpc}` } : {}),
        bucket: privacy.bucket,
        exportPrefix: privacy.exportPrefix,
        ledgerPrefix: privacy.ledgerPrefix,
        env: privacy.env,
      },
      opsUrls: Object.fromEntries(
        Object.entries({
          auth: authOps,
          audit: auditOps,
          tracking: trackingOps,
          gateway: gatewayOps,
          'ai-inference': aiOps,
          billing: billingOps,
          notifications: notificationsOps,
          privacy: privacyOps,
        })
          .filter(([name]) => name !== 'ai-inference' || options.ai !== false)
          .filter(([name]) => name !== 'billing' || billingDb !== undefined)
          .filter(([name]) => name !== 'notifications' || notificationsDb !== undefined)
          .filter(([name]) => name !== 'privacy' || privacyDb !== undefined)
          .map(([name, port]) => [name, `http://127.0.0.1:${String(port)}`]),
      ),
      ...(pki ? { pki } : {}),
      ...(billingDb && stripeMock
        ? {
            billing: {
              grpc: `127.0.0.1:${billingGrpc}`,
              webhookUrl: `${httpScheme}:${billingWebhooks}/webhooks/stripe`,
              webhookSecret,
              stripeMockUrl: stripeMock.url,
              db: billingDb,
            },
          }
        : {}),
      topicPrefix,
      logFile,
      mail: inbox,
      smtp,
      publicBaseUrl,
      stopService: async (name: string) => {
        const process = running.get(name);
        if (!process) throw new Error(`${name} is not a running service of this platform`);
        running.delete(name);
        return process.stop();
      },
      startService: async (name: string) => {
        const launch = launchers.get(name);
        if (!launch) throw new Error(`${name} is not a service of this platform`);
        if (running.has(name)) throw new Error(`${name} is running already`);
        running.set(name, await launch());
      },
      stop,
    } satisfies Platform;
  } catch (error) {
    await stop();
    throw error;
  }
}
