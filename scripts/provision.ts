// Prepares the local stack on the infrastructure scripts/infra.sh started: one database and two
// login roles per service (passwords generated once, kept under .local/secrets), the migrations
// applied as the migration role, the Kafka topics from charts/tracking/files/topics.json, and one env file per
// service for scripts/up.sh, from the stack scripts/stack.ts describes. Idempotent.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { provisionBackupRoles } from '@tracking/backup/roles';
import { PRIVACY_PARTICIPANTS } from '@tracking/contracts';
import { generateExportKeyPair, recipientOf } from '@tracking/kit/privacy';
import {
  createKafka,
  createLogger,
  createProducer,
  ensureAcls,
  ensureTopics,
  kafkaConnection,
  loadConfig,
  migrate,
  provisionDatabase,
  manifestAcls,
  manifestPrincipals,
  readTopicsManifest,
  verifiedPostgresUrlText,
} from '@tracking/kit';
import { z } from 'zod';

import { loadStack, ROOT } from './stack';

const LOCAL = path.join(ROOT, '.local');

const config = loadConfig(
  z.object({
    /**
     * With sslmode=verify-full and sslrootcert (scripts/infra.sh writes it so): every URL made here
     * keeps both, and the services refuse one that does not verify TLS.
     */
    PG_ADMIN_URL: verifiedPostgresUrlText,
    KAFKA_BROKERS: z.string().min(1),
    /** plaintext, or scram: each service logs in as itself and the ACLs come from the manifest (scripts/kafka.sh). */
    KAFKA_SECURITY: z.enum(['plaintext', 'scram']).default('plaintext'),
    /** scram: one password file per principal and the broker's CA (ca.pem), written by scripts/kafka.sh. */
    KAFKA_SECRETS_DIR: z.string().default(path.join(ROOT, '.local', 'secrets', 'kafka')),
    /** Where scripts/up.sh serves Stripe's API locally (stripe-mock; scripts/lib.sh sets it). */
    STRIPE_MOCK_PORT: z.coerce.number().int().min(1).max(65_535),
  }),
);

function secret(name: string, make: () => string = () => randomBytes(24).toString('hex')): string {
  const file = path.join(LOCAL, 'secrets', name);
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, make(), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * Loopback is in NZ, so requests from this machine pass GeoIP; the documentation ranges stand
 * for NZ, AU and the US, to try the check with X-Forwarded-For. Rewritten on every run.
 */
function localGeoIpDatabase(): string {
  const file = path.join(LOCAL, 'geoip', 'dev.mmdb');
  mkdirSync(path.dirname(file), { recursive: true });
  const networks = [
    '127.0.0.0/8=NZ',
    '::1/128=NZ',
    '203.0.113.0/24=NZ',
    '198.51.100.0/24=AU',
    '192.0.2.0/24=US',
  ];
  execFileSync('perl', [path.join(ROOT, 'scripts', 'geoip-db.pl'), file, ...networks], { stdio: 'inherit' });
  return file;
}

/** One Ed25519 key pair for the local stack, made on the first run, as PEM files. */
function principalKeys(): { privateKeyFile: string; publicKeyFile: string } {
  const privateKeyFile = path.join(LOCAL, 'secrets', 'principal-private.pem');
  const publicKeyFile = path.join(LOCAL, 'secrets', 'principal-public.pem');
  if (!existsSync(privateKeyFile) || !existsSync(publicKeyFile)) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    mkdirSync(path.dirname(privateKeyFile), { recursive: true, mode: 0o700 });
    writeFileSync(privateKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  }
  return { privateKeyFile, publicKeyFile };
}

// ---------------------------------------------------------------------------------------------
// The backup service (docs/backup.md): its two least-privilege PostgreSQL roles, a local
// key-encryption key, the sources file naming every other database of the stack, and the local
// S3 store, which scripts/infra.sh up starts (scripts/s3.sh) and describes in .local/s3.env.

/** The newest PostgreSQL 15+ client programs, as scripts/postgres.sh picks the server. */
function pgBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .map(Number)
        .filter((version) => version >= 15 && existsSync(path.join(base, String(version), 'bin', 'pg_dump')))
    : [];
  const newest = Math.max(...versions);
  return Number.isFinite(newest) ? path.join(base, String(newest), 'bin') : undefined;
}

async function backupSettings(
  services: { name: string; database?: string }[],
): Promise<Record<string, string>> {
  const s3File = path.join(LOCAL, 's3.env');
  if (!existsSync(s3File)) throw new Error('no .local/s3.env: start the S3 store with `npm run infra up`');
  const s3 = new Map(
    readFileSync(s3File, 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const),
  );
  const databases = services.flatMap((service) =>
    service.database && service.name !== 'backup' ? [service.database] : [],
  );
  const reader = { name: 'backup_reader', password: secret('db-backup-reader') };
  const drill = { name: 'backup_drill', password: secret('db-backup-drill') };
  await provisionBackupRoles({ adminUrl: config.PG_ADMIN_URL, reader, drill, databases });
  const roleUrl = (role: { name: string; password: string }, database: string) => {
    const url = new URL(config.PG_ADMIN_URL);
    url.username = role.name;
    url.password = role.password;
    url.pathname = `/${database}`;
    return url.toString();
  };
  const sourcesFile = path.join(LOCAL, 'secrets', 'backup-sources.json');
  writeFileSync(
    sourcesFile,
    `${JSON.stringify(
      {
        databases: Object.fromEntries(databases.map((database) => [database, roleUrl(reader, database)])),
        drill: roleUrl(drill, 'postgres'),
      },
      null,
      2,
    )}\n`,
    { mode: 0o600 },
  );
  secret(path.join('backup-kek', 'local-1'), () => randomBytes(32).toString('base64'));
  const bin = pgBinDir();
  return {
    S3_ENDPOINT: s3.get('S3_ENDPOINT') ?? '',
    S3_REGION: s3.get('S3_REGION') ?? 'us-east-1',
    S3_BUCKET: s3.get('S3_BUCKET') ?? '',
    S3_FORCE_PATH_STYLE: 'true',
    S3_CREDENTIALS_DIR: s3.get('S3_CREDENTIALS_DIR') ?? '',
    // The erasure ledger the privacy service writes: locally the same store, under ledger/.
    ERASURE_LEDGER_S3_BUCKET: s3.get('S3_BUCKET') ?? '',
    ERASURE_LEDGER_S3_PREFIX: 'ledger/',
    BACKUP_KEK_DIR: path.join(LOCAL, 'secrets', 'backup-kek'),
    BACKUP_KEK_ACTIVE_ID: 'local-1',
    BACKUP_SOURCES_FILE: sourcesFile,
    // The local stack's equivalents of the topics manifest and the chart values in use.
    BACKUP_CONFIG_FILES: [
      path.join(ROOT, 'charts', 'tracking', 'files', 'topics.json'),
      path.join(ROOT, 'scripts', 'stack.json'),
      path.join(ROOT, 'charts', 'tracking', 'values.yaml'),
    ].join(','),
    ...(bin ? { PG_BIN_DIR: bin } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// The privacy service (services/privacy): the export store and the erasure ledger, both in the
// local S3 store (exports under privacy/, the ledger under ledger/, where the backup service
// reads it), and the age key pair of the exports, made once: every participant gets the public
// recipient (PRIVACY_EXPORT_RECIPIENT), only the privacy service the identity.

async function exportKeyPair(): Promise<{ identityDir: string; recipient: string }> {
  const identityDir = path.join(LOCAL, 'secrets', 'privacy-export-identity');
  const identityFile = path.join(identityDir, 'local-1');
  if (!existsSync(identityFile)) {
    const { identity } = await generateExportKeyPair();
    mkdirSync(identityDir, { recursive: true, mode: 0o700 });
    writeFileSync(identityFile, `${identity}\n`, { mode: 0o600 });
  }
  const recipient = await recipientOf(readFileSync(identityFile, 'utf8').trim());
  return { identityDir, recipient };
}

async function privacySettings(): Promise<Record<string, string>> {
  const s3File = path.join(LOCAL, 's3.env');
  if (!existsSync(s3File)) throw new Error('no .local/s3.env: start the S3 store with `npm run infra up`');
  const s3 = new Map(
    readFileSync(s3File, 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const),
  );
  const { identityDir, recipient } = await exportKeyPair();
  const store = (prefix: string, name: string) => ({
    [`${prefix}_S3_ENDPOINT`]: s3.get('S3_ENDPOINT') ?? '',
    [`${prefix}_S3_REGION`]: s3.get('S3_REGION') ?? 'us-east-1',
    [`${prefix}_S3_BUCKET`]: s3.get('S3_BUCKET') ?? '',
    [`${prefix}_S3_PREFIX`]: name,
    [`${prefix}_S3_FORCE_PATH_STYLE`]: 'true',
    [`${prefix}_S3_CREDENTIALS_DIR`]: s3.get('S3_CREDENTIALS_DIR') ?? '',
  });
  return {
    ...store('EXPORT', 'privacy/'),
    ...store('ERASURE_LEDGER', 'ledger/'),
    PRIVACY_EXPORT_RECIPIENT: recipient,
    PRIVACY_EXPORT_IDENTITY_DIR: identityDir,
  };
}

/** `value` as one shell word: as it is when it is plain, else single-quoted. */
function shellWord(value: string): string {
  return /^[\w.,:/@%+=-]*$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The local SMTP server's address, from .local/mail.env (scripts/mail.sh writes it). */
function smtpSettings(): Record<string, string> {
  const file = path.join(LOCAL, 'mail.env');
  if (!existsSync(file)) throw new Error('no .local/mail.env: start the SMTP server with `npm run infra up`');
  const settings = new Map(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const),
  );
  return { SMTP_HOST: settings.get('SMTP_HOST') ?? '127.0.0.1', SMTP_PORT: settings.get('SMTP_PORT') ?? '' };
}

/** A principal's settings for kafkaConnection (packages/kit/src/kafka.ts); none on a plaintext broker. */
function kafkaLogin(principal: string): Record<string, string> {
  if (config.KAFKA_SECURITY !== 'scram') return {};
  return {
    KAFKA_SASL_USERNAME: principal,
    KAFKA_SASL_PASSWORD_FILE: path.join(config.KAFKA_SECRETS_DIR, principal),
    KAFKA_CA_FILE: path.join(config.KAFKA_SECRETS_DIR, 'ca.pem'),
  };
}

async function main() {
  const log = createLogger({ service: 'provision', level: 'warn' });
  const stack = loadStack();
  const manifest = readTopicsManifest(path.join(ROOT, 'charts', 'tracking', 'files', 'topics.json'));
  const principals = new Set(manifestPrincipals(manifest));
  mkdirSync(path.join(LOCAL, 'env'), { recursive: true, mode: 0o700 });

  for (const service of stack.services) {
    const env: Record<string, string> = {
      ...service.env,
      KAFKA_BROKERS: config.KAFKA_BROKERS,
      ...(principals.has(service.name) ? kafkaLogin(service.name) : {}),
      LOG_FILE: path.join(LOCAL, 'logs', `${service.name}.log`),
      BIND_HOST: '127.0.0.1',
    };
    if (service.encryptionKeys) {
      // One local key, generated once; production mounts its keys from a Secret.
      env.ENCRYPTION_KEYS = `local-1:${secret(`${service.name}-kek`, () => randomBytes(32).toString('base64'))}`;
      env.ENCRYPTION_ACTIVE_KEY_ID = 'local-1';
    }
    if (service.smtp) Object.assign(env, smtpSettings());
    if (service.contactLookup) {
      secret('contact-token', () => randomBytes(32).toString('base64url'));
      const variable =
        service.contactLookup === 'serve' ? 'CONTACT_LOOKUP_TOKEN_FILE' : 'AUTH_CONTACT_TOKEN_FILE';
      env[variable] = path.join(LOCAL, 'secrets', 'contact-token');
    }
    if (service.principal === 'sign') env.PRINCIPAL_SIGNING_KEY_FILE = principalKeys().privateKeyFile;
    if (service.principal === 'verify') env.PRINCIPAL_PUBLIC_KEY_FILES = principalKeys().publicKeyFile;
    if (service.stripe) {
      secret('stripe-secret-key', () => `sk_test_${randomBytes(18).toString('hex')}`);
      secret('stripe-webhook-secret', () => `whsec_${randomBytes(24).toString('hex')}`);
      env.STRIPE_SECRET_KEY_FILE = path.join(LOCAL, 'secrets', 'stripe-secret-key');
      env.STRIPE_WEBHOOK_SECRET_FILE = path.join(LOCAL, 'secrets', 'stripe-webhook-secret');
      env.STRIPE_API_URL = `http://127.0.0.1:${String(config.STRIPE_MOCK_PORT)}`;
    }
    if (service.edge) {
      env.GEOIP_DB_FILE = localGeoIpDatabase();
      env.SECURITY_TXT_EXPIRES = new Date(Date.now() + 180 * 86_400_000).toISOString();
    }
    if (service.name === 'backup') Object.assign(env, await backupSettings(stack.services));
    if (service.name === 'privacy') Object.assign(env, await privacySettings());
    // Every participant of the privacy sagas writes its export parts to the same store, encrypted
    // to the recipient; it gets neither the identity nor the ledger.
    if ((PRIVACY_PARTICIPANTS as readonly string[]).includes(service.name)) {
      const settings = Object.entries(await privacySettings());
      Object.assign(
        env,
        Object.fromEntries(
          settings.filter(([name]) => name.startsWith('EXPORT_S3_') || name === 'PRIVACY_EXPORT_RECIPIENT'),
        ),
      );
    }
    if (service.database) {
      const db = await provisionDatabase({
        adminUrl: config.PG_ADMIN_URL,
        database: service.database,
        migratorPassword: secret(`db-${service.database}-migrator`),
        appPassword: secret(`db-${service.database}-app`),
      });
      const { applied } = await migrate({
        connectionString: db.migratorUrl,
        dir: path.join(ROOT, 'services', service.name, 'migrations'),
      });
      process.stdout.write(
        `[provision] ${service.database}: ${applied.length ? applied.join(', ') : 'up to date'}\n`,
      );
      env.DATABASE_URL = db.appUrl;
    }
    // scripts/up.sh sources these files: a value with spaces or shell characters (MAIL_FROM's
    // `Name <address>`) is single-quoted.
    const lines = Object.entries(env).map(([key, value]) => `${key}=${shellWord(value)}`);
    writeFileSync(path.join(LOCAL, 'env', `${service.name}.env`), `${lines.join('\n')}\n`, { mode: 0o600 });
  }

  const kafka = createKafka({
    clientId: 'provision',
    ...kafkaConnection({ KAFKA_BROKERS: config.KAFKA_BROKERS.split(','), ...kafkaLogin('admin') }),
    log,
  });
  const created = await ensureTopics(kafka, manifest);
  process.stdout.write(
    `[provision] topics: ${created.length ? `created ${created.join(', ')}` : 'up to date'}\n`,
  );
  if (config.KAFKA_SECURITY === 'scram') {
    const acls = manifestAcls(manifest);
    await ensureAcls(kafka, acls);
    process.stdout.write(`[provision] kafka: ${acls.length} ACLs from the topics manifest\n`);
  }
  // The first idempotent producer on a fresh broker waits for the transaction coordinator to
  // load; do that wait here rather than in the first service that starts.
  const producer = createProducer(kafka);
  await producer.connect();
  await producer.disconnect();
}

main().catch((error: unknown) => {
  process.stderr.write(`[provision] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
