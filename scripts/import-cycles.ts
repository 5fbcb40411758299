/**
 * Fails if any TypeScript module in the repository imports itself through others: every
 * workspace, bench/, scripts/ and tests/, type-only imports included (`import type` is an edge
 * like any other: a cycle of types still means two modules that cannot be read, moved or
 * tested apart). Imports between workspaces count too, followed through their package names
 * to the files they resolve to.
 *   npx tsx scripts/import-cycles.ts    (part of the lint gate: npm run lint, scripts/test.sh)
 *
 * Built on TypeScript's own parser and module resolution, which the repository already has:
 * madge and eslint-plugin-import-x resolve through node_modules, where a workspace package is
 * a symlink they skip, so they would miss a cycle between two workspaces.
 */
import { globSync, readFileSync } from 'node:fs';
import path from 'node:path';

import ts from 'typescript';

const ROOT = path.join(__dirname, '..');

/** Where the repository's own TypeScript lives. Generated code is left out, as eslint.config.mjs leaves it: Prisma's client has cycles of its own that no one here writes. */
const SOURCES = [
  'packages/*/**/*.{ts,tsx,mts}',
  'services/*/**/*.{ts,tsx,mts}',
  '{bench,scripts,tests}/**/*.{ts,tsx,mts}',
];
const IGNORED = [
  '**/node_modules/**',
  '**/dist/**',
  '**/coverage/**',
  '**/*.d.ts',
  'packages/proto/src/gen/**',
  'services/*/src/generated/**',
];

/**
 * Resolution for edges only, not for type-checking: the bundler mode resolves both the services'
 * extensionless CommonJS imports and the web app's, and follows package.json `exports`.
 */
const RESOLUTION: ts.CompilerOptions = {
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  allowImportingTsExtensions: true,
  jsx: ts.JsxEmit.ReactJSX,
};

/** Every file's in-repository imports: file → the files it imports (absolute paths). */
export function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const host = ts.createModuleResolutionCache(ROOT, (name) => name, RESOLUTION);
  for (const file of files) {
    // preProcessFile is syntax only: import, import type, export ... from, require(), import().
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = new Set<string>();
    for (const { fileName: specifier } of importedFiles) {
      const resolved = ts.resolveModuleName(specifier, file, RESOLUTION, ts.sys, host).resolvedModule;
      const target = resolved?.resolvedFileName;
      // Symlinked workspaces resolve to their real path; what stays under node_modules is a dependency.
      if (!target || target.includes(`${path.sep}node_modules${path.sep}`) || target.endsWith('.d.ts'))
        continue;
      targets.add(path.resolve(target));
    }
    graph.set(path.resolve(file), [...targets]);
  }
  return graph;
}

/**
 * The cycles, one per strongly connected component (Tarjan), each as a path that starts and ends
 * at the same file; a file that imports itself is a cycle of one.
 */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let next = 0;

  const visit = (root: string): void => {
    // Iterative, so a deep import chain cannot overflow the call stack.
    const work: [string, number][] = [[root, 0]];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length) {
      const top = work[work.length - 1];
      if (!top) break;
      const [node, edge] = top;
      const targets = graph.get(node) ?? [];
      if (edge < targets.length) {
        top[1] = edge + 1;
        const target = targets[edge] ?? '';
        if (!graph.has(target)) continue;
        if (!index.has(target)) {
          index.set(target, next);
          low.set(target, next++);
          stack.push(target);
          onStack.add(target);
          work.push([target, 0]);
        } else if (onStack.has(target)) {
          low.set(node, Math.min(low.get(node) ?? 0, index.get(target) ?? 0));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent[0], Math.min(low.get(parent[0]) ?? 0, low.get(node) ?? 0));
      if (low.get(node) === index.get(node)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop();
          if (member === undefined) break;
          onStack.delete(member);
          component.push(member);
        } while (member !== node);
        if (component.length > 1 || (graph.get(node) ?? []).includes(node)) components.push(component);
      }
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return components.map((component) => cycleThrough(graph, new Set(component)));
}

/** One concrete cycle inside a component, shortest from its first file (breadth-first). */
function cycleThrough(graph: ReadonlyMap<string, readonly string[]>, members: ReadonlySet<string>): string[] {
  const start = [...members].sort()[0] ?? '';
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const node = queue.shift() ?? '';
    for (const target of graph.get(node) ?? []) {
      if (!members.has(target)) continue;
      if (target === start) {
        const cycle = [node];
        for (let at = cameFrom.get(node); at !== undefined; at = cameFrom.get(at)) cycle.unshift(at);
        return [...cycle, start];
      }
      if (!cameFrom.has(target)) {
        cameFrom.set(target, node);
        queue.push(target);
      }
    }
  }
  return [start, start];
}

export function repositoryFiles(root = ROOT): string[] {
  return SOURCES.flatMap((pattern) => globSync(pattern, { cwd: root, exclude: IGNORED })).map((file) =>
    path.join(root, file),
  );
}

function main(): number {
  const files = repositoryFiles();
  const cycles = findCycles(importGraph(files));
  const relative = (file: string) => path.relative(ROOT, file);
  for (const cycle of cycles) {
    process.stderr.write(
      `[import-cycles] error: a cycle of ${cycle.length - 1}: ${cycle.map(relative).join(' -> ')}\n`,
    );
  }
  if (cycles.length) return 1;
  process.stderr.write(`[import-cycles] no import cycle among ${files.length} files\n`);
  return 0;
}

if (require.main === module) process.exitCode = main();
