import { readFileSync } from 'node:fs';
import path from 'node:path';

import { ALLOWED, notAllowed, packagesWithInstallScripts } from './install-scripts';

const lock = (packages: Record<string, object>) => JSON.stringify({ lockfileVersion: 3, packages });

describe('the install-script gate (scripts/install-scripts.ts)', () => {
  test('a package with an install script that nobody allowed fails it, by name and version', () => {
    const found = packagesWithInstallScripts(
      lock({
        '': { name: 'root' },
        'node_modules/left-pad': { version: '1.3.0' },
        'node_modules/evil-postinstall': { version: '6.6.6', hasInstallScript: true },
        'node_modules/a/node_modules/esbuild': { version: '0.28.2', hasInstallScript: true },
      }),
    );
    expect(found).toEqual(['esbuild@0.28.2', 'evil-postinstall@6.6.6']);
    expect(notAllowed(found)).toEqual(['evil-postinstall@6.6.6']);
  });

  test('an allowed package at another version is not allowed: the new version is reviewed again', () => {
    expect(notAllowed(['esbuild@0.29.0'])).toEqual(['esbuild@0.29.0']);
  });

  test("the repository's own lock passes, and every allowance says why", () => {
    const found = packagesWithInstallScripts(
      readFileSync(path.join(__dirname, '..', 'package-lock.json'), 'utf8'),
    );
    expect(notAllowed(found)).toEqual([]);
    for (const reason of Object.values(ALLOWED)) expect(reason.length).toBeGreaterThan(20);
  });
});
