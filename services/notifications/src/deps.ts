import { createPool, type Logger, tlsFiles } from '@tracking/kit';
import type pg from 'pg';

import type { Config } from './config';
import { authContacts } from './contacts';
import type { DeliveryDeps, DeliveryPolicy } from './deliver';
import type { NotificationMetrics } from './metrics';
import { smtpSender } from './smtp';

export function policyOf(config: Config): DeliveryPolicy {
  return {
    appOrigin: new URL(config.PUBLIC_BASE_URL).origin,
    recipientLimit: config.RECIPIENT_LIMIT,
    recipientWindowMs: config.RECIPIENT_WINDOW_MS,
    retry: {
      firstDelayMs: config.SMTP_RETRY_FIRST_DELAY_MS,
      maxDelayMs: config.SMTP_RETRY_MAX_DELAY_MS,
      giveUpMs: config.SMTP_RETRY_GIVE_UP_MS,
    },
  };
}

export function createPoolOf(config: Config): pg.Pool {
  return createPool(config.DATABASE_URL, { max: 4, name: 'notifications' });
}

/** The production wiring: auth's GetContact, the SMTP server, the policy from configuration. */
export function createDeps(
  config: Config,
  log: Logger,
  metrics: NotificationMetrics,
): DeliveryDeps & { close(): void } {
  const contacts = authContacts({
    address: config.AUTH_GRPC_ADDR,
    tokenFile: config.AUTH_CONTACT_TOKEN_FILE,
    tls: tlsFiles(config),
    deadlineMs: config.GRPC_DEADLINE_MS,
    log,
  });
  const sender = smtpSender(config);
  return {
    contacts,
    sender,
    metrics,
    log,
    policy: policyOf(config),
    close() {
      contacts.close();
      sender.close();
    },
  };
}
