/**
 * Writes the gateway's OpenAPI document, built from its declared routes, to
 * services/gateway/openapi.json (docs/api.md).
 *   npx tsx scripts/openapi.ts           regenerate it (npm run openapi)
 *   npx tsx scripts/openapi.ts --check   fail if the checked-in file is stale (CI, scripts/test.sh)
 * Formatted by the repository's Prettier settings, so `prettier --check .` agrees with it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { apiDocument } from '@tracking/gateway/routes';
import { format, resolveConfig } from 'prettier';

const FILE = path.join(__dirname, '..', 'services', 'gateway', 'openapi.json');
const USAGE = 'usage: scripts/openapi.ts [--check]';

async function main(args: string[]): Promise<number> {
  if (args.length > 1 || (args[0] !== undefined && args[0] !== '--check')) {
    process.stderr.write(`[openapi] ${USAGE}\n`);
    return 2;
  }
  const expected = await format(JSON.stringify(apiDocument()), {
    ...(await resolveConfig(FILE)),
    filepath: FILE,
  });
  const relative = path.relative(process.cwd(), FILE);
  if (args[0] !== '--check') {
    writeFileSync(FILE, expected);
    process.stderr.write(`[openapi] wrote ${relative}\n`);
    return 0;
  }
  let current = '';
  try {
    current = readFileSync(FILE, 'utf8');
  } catch {
    // missing: stale by definition
  }
  if (current === expected) {
    process.stderr.write(`[openapi] ${relative} is up to date\n`);
    return 0;
  }
  process.stderr.write(
    `[openapi] error: ${relative} is stale; run \`npm run openapi\` and commit the result\n`,
  );
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`[openapi] failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
