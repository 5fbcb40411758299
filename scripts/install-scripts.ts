/**
 * Fails when package-lock.json holds a package with an install script (preinstall, install,
 * postinstall; npm marks it `hasInstallScript`) that ALLOWED below does not name at that version.
 * npm does not run such scripts here (docs/dependencies.md): a new one is either not needed, or
 * a decision to make in review, with its reason written here. Run by scripts/supply-chain.sh.
 *   npx tsx scripts/install-scripts.ts [package-lock.json]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { z } from 'zod';

/** name@version → why its install script may be in the tree (it still does not run). */
export const ALLOWED: Readonly<Record<string, string>> = {
  '@bufbuild/buf@1.75.0':
    'dev: fetches the platform binary it ships as an optional dependency; works without the script',
  '@parcel/watcher@2.6.0':
    'dev (a file watcher of the build tools): builds from source only when no prebuilt binary (an optional dependency) fits',
  '@prisma/engines@7.10.1':
    'installs engine overrides; the services query through the pg driver adapter (@prisma/adapter-pg)',
  '@swc/core@1.16.22': 'dev: checks its prebuilt binary (an optional dependency) is there',
  'esbuild@0.28.2': 'dev: checks its prebuilt binary (an optional dependency) is there',
  'libxmljs2@0.37.0':
    "dev, optional: @cyclonedx/cyclonedx-npm's XML validation, which the JSON SBOM does not use; builds a native addon",
  'prisma@7.10.1': "the Prisma CLI (migrations' client generation): preinstall checks its environment",
  'protobufjs@7.6.6': 'postinstall only warns about a mismatched CLI version',
};

const lockSchema = z.object({
  packages: z.record(
    z.string(),
    z.object({ version: z.string().optional(), hasInstallScript: z.boolean().optional() }),
  ),
});

/** The lock's packages with install scripts, as name@version, sorted. */
export function packagesWithInstallScripts(lockText: string): string[] {
  const { packages } = lockSchema.parse(JSON.parse(lockText));
  const found = new Set<string>();
  for (const [where, entry] of Object.entries(packages)) {
    if (!entry.hasInstallScript || where === '') continue;
    const name = where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
    found.add(`${name}@${entry.version ?? '?'}`);
  }
  return [...found].sort();
}

export function notAllowed(found: readonly string[], allowed: Readonly<Record<string, string>> = ALLOWED) {
  return found.filter((id) => !(id in allowed));
}

if (require.main === module) {
  const file = process.argv[2] ?? path.join(__dirname, '..', 'package-lock.json');
  const found = packagesWithInstallScripts(readFileSync(file, 'utf8'));
  const refused = notAllowed(found);
  if (refused.length > 0) {
    process.stderr.write(
      `[install-scripts] error: ${refused.join(', ')} ${refused.length === 1 ? 'has an install script' : 'have install scripts'} ` +
        'not allowed in scripts/install-scripts.ts; drop the dependency, or allow it there with the reason\n',
    );
    process.exitCode = 1;
  } else {
    process.stderr.write(
      `[install-scripts] ${String(found.length)} packages with install scripts, each allowed\n`,
    );
  }
}
