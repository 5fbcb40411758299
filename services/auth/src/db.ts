import { PrismaPg } from '@prisma/adapter-pg';
import { POOL_OPTIONS } from '@tracking/kit';

import { PrismaClient } from './generated/prisma/client';

export type { PrismaClient } from './generated/prisma/client';

export function createPrisma(databaseUrl: string): PrismaClient {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: databaseUrl, max: 10, ...POOL_OPTIONS }),
  });
}
