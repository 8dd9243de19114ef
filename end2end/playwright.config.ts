import { defineConfig } from '@playwright/test';

// Playwright must never try to fetch a browser build of its own here: we drive
// Debian's Chromium through `executablePath` instead.
process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD ??= '1';

const baseURL = process.env.COHORT_BASE_URL || 'http://127.0.0.1:3000';

const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// The one spec that runs on a phone-sized viewport.
const PHONE_SPEC = /phone\.spec\.ts$/;

export default defineConfig({
  testDir: './tests',
  // No webServer block: CI starts the server (fresh database, --seed-demo) itself.
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: 'list',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  forbidOnly: !!process.env.CI,
  outputDir: './test-results',
  use: {
    baseURL,
    headless: true,
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: chromiumArgs,
    },
    locale: 'en-US',
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'desktop',
      testIgnore: PHONE_SPEC,
      use: { viewport: { width: 1280, height: 800 } },
    },
    {
      name: 'phone',
      testMatch: PHONE_SPEC,
      use: {
        viewport: { width: 360, height: 740 },
        isMobile: true,
        hasTouch: true,
        deviceScaleFactor: 2,
      },
    },
  ],
});
