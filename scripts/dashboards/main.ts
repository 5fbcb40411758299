/** The CLI: writes the dashboards, or with --check fails if a checked-in one is stale (index.ts). */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { committedFiles, DASHBOARD_DIR, renderDashboards, staleDashboards } from './index';

const USAGE = 'usage: scripts/dashboards/main.ts [--check]';

async function main(args: string[]): Promise<number> {
  if (args.length > 1 || (args[0] !== undefined && args[0] !== '--check')) {
    process.stderr.write(`[dashboards] ${USAGE}\n`);
    return 2;
  }
  const relative = path.relative(process.cwd(), DASHBOARD_DIR);
  if (args[0] === '--check') {
    const problems = await staleDashboards();
    if (problems.length === 0) {
      process.stderr.write(`[dashboards] ${relative} is up to date\n`);
      return 0;
    }
    for (const problem of problems) process.stderr.write(`[dashboards] error: ${relative}/${problem}\n`);
    process.stderr.write('[dashboards] run `npm run dashboards` and commit the result\n');
    return 1;
  }
  const expected = await renderDashboards();
  mkdirSync(DASHBOARD_DIR, { recursive: true });
  // The directory holds generated files only: a dashboard the generator no longer makes goes.
  for (const name of committedFiles().keys()) {
    if (!expected.has(name)) rmSync(path.join(DASHBOARD_DIR, name));
  }
  for (const [name, content] of expected) writeFileSync(path.join(DASHBOARD_DIR, name), content);
  process.stderr.write(`[dashboards] wrote ${expected.size} dashboards to ${relative}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `[dashboards] failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
