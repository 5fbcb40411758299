// Verifies the audit hash chain from the command line, as an operator or a scheduled job would:
//   DATABASE_URL=... [DATABASE_TLS_CA_FILE=...] npx tsx services/audit/src/verify.ts [--from SEQUENCE]
// Prints one JSON line; exits 0 when the chain is intact, 1 when it is broken, 2 on bad usage
// or when the database cannot be read. It only reads, so the service's runtime role is enough.
import { databaseConfig, loadConfig } from '@tracking/kit';

import { verifyChain } from './chain';
import { createPrisma } from './db';

const usage = 'usage: verify.ts [--from SEQUENCE]';

function parseArgs(argv: string[]): { fromSequence: bigint } {
  if (argv.length === 0) return { fromSequence: 1n };
  const [flag, value] = argv;
  if (argv.length !== 2 || flag !== '--from' || !value || !/^\d+$/.test(value)) throw new Error(usage);
  return { fromSequence: BigInt(value) };
}

async function main(): Promise<number> {
  const { fromSequence } = parseArgs(process.argv.slice(2));
  const config = loadConfig(databaseConfig);
  const prisma = createPrisma(config.DATABASE_URL);
  try {
    const result = await verifyChain(prisma, { fromSequence });
    process.stdout.write(
      `${JSON.stringify({
        intact: result.intact,
        entriesChecked: result.entriesChecked,
        verifiedThrough: result.verifiedThrough.toString(),
        headHash: result.headHash,
        firstBroken: result.firstBroken
          ? { sequence: result.firstBroken.sequence.toString(), reason: result.firstBroken.reason }
          : null,
      })}\n`,
    );
    return result.intact ? 0 : 1;
  } finally {
    await prisma.$disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`audit verify failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
