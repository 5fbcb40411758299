import {
  createPrincipalVerifier,
  readPemFiles,
  type Logger,
  type Metrics,
  type PrincipalVerifier,
} from '@tracking/kit';

import type { Config } from './config';
import { createPrisma, type PrismaClient } from './db';
import type { AppLinks } from './links';

/** What tracking's transports and domain modules need; main.ts builds it once with createDeps. */
export interface Deps {
  /** Every query goes through asActor (db.ts), so row-level security sees who is asking. */
  prisma: PrismaClient;
  /** Checks the gateway's signed principal on every gRPC call. */
  principals: PrincipalVerifier;
  log: Logger;
  metrics: Metrics;
  /** How long a trainer's invitation stays open. */
  invitationTtlDays: number;
  /** Where the links in tracking's mails point. */
  appLinks: AppLinks;
}

/** The production wiring of Deps from configuration. */
export async function createDeps(config: Config, log: Logger, metrics: Metrics): Promise<Deps> {
  return {
    prisma: createPrisma(config.DATABASE_URL),
    principals: await createPrincipalVerifier(readPemFiles(config.PRINCIPAL_PUBLIC_KEY_FILES), 'tracking'),
    log,
    metrics,
    invitationTtlDays: config.INVITATION_TTL_DAYS,
    appLinks: { publicBaseUrl: config.PUBLIC_BASE_URL },
  };
}
