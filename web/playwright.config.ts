import { defineConfig, devices } from '@playwright/test';

const PORT = 18765;
const baseURL = `http://127.0.0.1:${PORT}`;

// Debian's Chromium; nothing is downloaded (never run `playwright install`).
const launchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

export default defineConfig({
  testDir: './e2e',
  timeout: 90_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : [['list']],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions,
  },
  projects: [
    {
      name: 'phone',
      // Pixel 7: 412x915, isMobile, touch.
      use: { ...devices['Pixel 7'], browserName: 'chromium', launchOptions },
    },
    {
      name: 'desktop',
      use: { browserName: 'chromium', viewport: { width: 1280, height: 800 }, launchOptions },
    },
  ],
  webServer: {
    // A fresh temporary database on every run (see e2e/serve.mjs).
    command: 'node e2e/serve.mjs',
    url: `${baseURL}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: { BHD_RATE_LIMIT: '0' },
    // SIGTERM (not SIGKILL) so that e2e/serve.mjs can remove its temporary database.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
  },
});
