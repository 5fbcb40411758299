// The cycle check of the lint gate (scripts/import-cycles.ts) sees what it promises to see.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { findCycles, importGraph } from './import-cycles';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'import-cycles-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes the files and returns the cycles among them, as paths relative to the folder. */
function cyclesOf(files: Record<string, string>): string[][] {
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const graph = importGraph(Object.keys(files).map((name) => path.join(dir, name)));
  return findCycles(graph).map((cycle) => cycle.map((file) => path.relative(dir, file)));
}

test('a cycle closed by a type-only import is reported, as the path around it', () => {
  expect(
    cyclesOf({
      'app.ts': "import { Deps } from './deps';\nexport const app = (deps: Deps) => deps;\n",
      'deps.ts': "import type { app } from './app';\nexport type Deps = { app: typeof app };\n",
      'main.ts': "import { app } from './app';\napp({} as never);\n",
    }),
  ).toEqual([['app.ts', 'deps.ts', 'app.ts']]);
});

test('re-exports and a module that imports itself count; a chain without a way back does not', () => {
  expect(
    cyclesOf({
      'a.ts': "export * from './b';\n",
      'b.ts': "export { c } from './c';\n",
      'c.ts': "import './a';\nexport const c = 1;\n",
      'self.ts': "import type { X } from './self';\nexport type X = number;\n",
      'leaf.ts': "import { c } from './c';\nexport const d = c;\n",
    }).sort(),
  ).toEqual([
    ['a.ts', 'b.ts', 'c.ts', 'a.ts'],
    ['self.ts', 'self.ts'],
  ]);
});

test('an import that resolves to no file of the repository is not an edge', () => {
  expect(cyclesOf({ 'a.ts': "import { z } from 'zod';\nexport const a = z.string();\n" })).toEqual([]);
});
