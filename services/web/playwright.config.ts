import { defineConfig, devices } from '@playwright/test';

/**
 * The browser journeys: Debian's Chromium (Playwright's own browser download cannot run here)
 * against the real stack through the edge over HTTPS; no API is mocked. e2e/global-setup.ts
 * starts that stack (or uses the one at WEB_BASE_URL). One worker: the
 * journeys share one stack and its per-IP sign-in budget, like people on one network.
 * Screenshots of every screen (desktop and 360 px) go to test-results/screenshots/, which CI
 * keeps as an artifact.
 */
export default defineConfig({
  testDir: 'e2e',
  globalSetup: './e2e/global-setup.ts',
  outputDir: 'test-results/output',
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  // Generous: every screen is checked three times (light, 360 px, dark) on a shared, busy machine.
  timeout: 300_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    // Set by the global setup before any worker starts; the workers read it from here.
    baseURL: process.env.WEB_BASE_URL,
    // The local edge's certificate comes from a local CA made by `npm run up`.
    ignoreHTTPSErrors: true,
    locale: 'en-NZ',
    timezoneId: 'Pacific/Auckland',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
  ],
});
