// The web app's weight and speed: the initial JavaScript, gzipped, per chunk (the goal is at
// most 200 kB), and the time to interactive of the sign-in and today screens in Debian's
// Chromium against a running stack (by default `npm run up`'s edge, https://localhost:8443).
// A measurement, not a test: nothing is asserted. See bench/README.md.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

import { chromium, type Page } from '@playwright/test';

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'services', 'web', 'dist');
const BASE_URL = process.env.WEB_BASE_URL ?? 'https://localhost:8443';
const RUNS = Number(process.env.RUNS ?? 5);
const BUDGET_KB = 200;

const kb = (bytes: number) => (bytes / 1024).toFixed(1);

/** The JavaScript a first visit loads before any route: the entry script and its modulepreloads. */
function initialJavaScript(): void {
  const indexFile = path.join(DIST, 'index.html');
  if (!existsSync(indexFile))
    throw new Error('no services/web/dist: run `npm run build -w @tracking/web` first');
  const index = readFileSync(indexFile, 'utf8');
  const files = [...index.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map(
    (match) => match[1] ?? '',
  );
  let totalJs = 0;
  console.log('initial assets (referenced by index.html)');
  console.log('  file                                      raw kB   gzip kB');
  for (const file of files) {
    const bytes = readFileSync(path.join(DIST, file));
    const gzipped = gzipSync(bytes, { level: 9 }).length;
    if (file.endsWith('.js')) totalJs += gzipped;
    console.log(`  ${file.padEnd(40)} ${kb(bytes.length).padStart(7)} ${kb(gzipped).padStart(9)}`);
  }
  console.log(`  initial JavaScript, gzipped: ${kb(totalJs)} kB (goal <= ${BUDGET_KB} kB)\n`);
}

/** Milliseconds from navigation start until `ready` holds (the screen can be used). */
async function timeToInteractive(
  page: Page,
  url: string,
  ready: (page: Page) => Promise<void>,
): Promise<number> {
  await page.goto(url, { waitUntil: 'commit' });
  await ready(page);
  return page.evaluate<number>('performance.now()');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function screens(): Promise<void> {
  const password = readFileSync(path.join(ROOT, '.local', 'secrets', 'demo-password'), 'utf8').trim();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
  try {
    const signIn: number[] = [];
    const today: number[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      // A fresh context each run: an empty cache, as a first visit.
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      signIn.push(
        await timeToInteractive(page, `${BASE_URL}/sign-in`, async (p) => {
          await p.getByRole('button', { name: 'Sign in' }).waitFor();
        }),
      );
      await page.getByLabel('Email').fill('client@demo.tracking.test');
      await page.getByLabel('Password', { exact: true }).fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/today$/);
      // Today, cold again but signed in: the cache is dropped by a new page in a new context
      // holding the same cookies and CSRF token.
      const state = await context.storageState();
      const second = await browser.newContext({ ignoreHTTPSErrors: true, storageState: state });
      const todayPage = await second.newPage();
      today.push(
        await timeToInteractive(todayPage, `${BASE_URL}/today`, async (p) => {
          await p.getByRole('heading', { name: 'Today', level: 1 }).waitFor();
          await p.waitForLoadState('networkidle');
        }),
      );
      await second.close();
      await context.close();
    }
    console.log(`time to interactive, median of ${RUNS} cold loads (ms), ${BASE_URL}`);
    console.log(
      `  sign-in: ${median(signIn).toFixed(0)}   (runs: ${signIn.map((ms) => ms.toFixed(0)).join(', ')})`,
    );
    console.log(
      `  today:   ${median(today).toFixed(0)}   (runs: ${today.map((ms) => ms.toFixed(0)).join(', ')})`,
    );
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  initialJavaScript();
  if (process.argv.includes('--size-only')) return;
  await screens();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
