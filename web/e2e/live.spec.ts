import { expect, test, type Page } from '@playwright/test';

// Live updates over Server-Sent Events against a real `bhd serve`: the demo owner's overview
// says it is live; a metric pushed through the API moves the gauge without a page reload.
//
// Every project shares the one demo organization (e2e/serve.mjs), so only one project writes
// to it: two concurrent writers could each find the other's change already in the score.

const EMAIL = 'demo@bhd.local';
const PASSWORD = 'demo-password-123';
/** Our point's source: its own upsert key, so putting the data back touches nothing else. */
const SOURCE = 'e2e-live';

async function openOverview(page: Page) {
  await page.goto('/login/');
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/settings\/$/);
  const nav = page.getByRole('navigation').filter({ visible: true }).first();
  await nav.getByRole('link', { name: 'Overview' }).click();
  await expect(page).toHaveURL(/\/overview\/$/);
  await expect(page.getByRole('heading', { name: 'Overview', level: 1 })).toBeVisible();
}

/** The "Live" indicator: shown once the event stream has opened. */
function liveIndicator(page: Page) {
  return page.getByRole('status').filter({ hasText: /^Live$/ });
}

/**
 * Noon UTC on the 15th of the month before the current one in `timeZone`: inside the last
 * complete month, which the score reads, whatever the organization's offset.
 */
function middleOfLastMonth(timeZone: string, now = new Date()): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric' }).formatToParts(now);
  const year = Number(parts.find((p) => p.type === 'year')?.value);
  const month = Number(parts.find((p) => p.type === 'month')?.value); // 1–12
  // Date.UTC takes a 0-based month and rolls -1 back into December of the year before.
  return new Date(Date.UTC(year, month - 2, 15, 12)).toISOString().replace('.000Z', 'Z');
}

test('the overview says it is live', async ({ page }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const stream = page.waitForRequest((r) => /\/api\/v1\/stream\?ticket=/.test(r.url()));
  await openOverview(page);
  // The ticket is in the URL; the access token never is.
  const url = new URL((await stream).url());
  expect(url.searchParams.get('ticket')).toBeTruthy();
  expect(url.search).not.toMatch(/access_token|Bearer/i);
  await expect(liveIndicator(page)).toBeVisible({ timeout: 15_000 });
  expect(pageErrors, 'uncaught errors in the page').toEqual([]);
});

test('a metric pushed through the API moves the gauge without a reload', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'desktop', 'one writer to the shared demo organization (see the top of the file)');
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const gauge = page.getByRole('meter', { name: /Overall health score/ });
  const readGauge = () => gauge.getAttribute('aria-valuenow', { timeout: 2_000 }).catch(() => null);

  let before: string | null = null;
  await test.step('open the overview and wait until it is live', async () => {
    await openOverview(page);
    await expect(gauge).toBeVisible();
    await expect(liveIndicator(page)).toBeVisible({ timeout: 15_000 });
    before = await readGauge();
    expect(Number(before)).toBeGreaterThan(0);
    // Survives only if the page is never reloaded.
    await page.evaluate(() => {
      (window as unknown as { __liveMarker?: string }).__liveMarker = 'not reloaded';
    });
  });

  // A separate token (no cookie mode, so the browser's refresh cookie is left alone).
  const login = await page.request.post('/api/v1/auth/login', { data: { email: EMAIL, password: PASSWORD } });
  expect(login.status(), await login.text()).toBe(200);
  const { access_token: token, organization } = (await login.json()) as {
    access_token: string;
    organization: { timezone: string };
  };
  const headers = { Authorization: `Bearer ${token}` };
  const recordedAt = middleOfLastMonth(organization.timezone);
  // 50 million of extra expenses, and the net profit they cost: the demo reports net_profit
  // itself, so expenses alone would reach the score only through the cash-flow ratio.
  const push = (expenses: string, netProfit: string) =>
    page.request.post('/api/v1/metrics', {
      headers,
      data: {
        points: [
          { metric_type: 'expenses', value: expenses, recorded_at: recordedAt, source: SOURCE },
          { metric_type: 'net_profit', value: netProfit, recorded_at: recordedAt, source: SOURCE },
        ],
      },
    });

  try {
    await test.step('push a month of huge expenses through the API', async () => {
      const answer = await push('50000000', '-50000000');
      expect(answer.status(), await answer.text()).toBe(200);
    });

    await test.step('the gauge moves by itself (the server recalculates a few seconds later)', async () => {
      await expect.poll(readGauge, { timeout: 20_000, intervals: [500] }).not.toBe(before);
      expect(await readGauge()).not.toBeNull();
      await expect(liveIndicator(page)).toBeVisible();
      expect(await page.evaluate(() => (window as unknown as { __liveMarker?: string }).__liveMarker)).toBe(
        'not reloaded',
      );
    });
  } finally {
    // Put the demo's books back for the other specs: the same points (same source and instant)
    // with nothing in them. Best effort: a failure here must not hide the test's own.
    await push('0', '0').catch(() => undefined);
  }

  expect(pageErrors, 'uncaught errors in the page').toEqual([]);
});
