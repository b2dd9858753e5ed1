import { expect, test, type APIRequestContext } from '@playwright/test';

// Metrics, end to end against a real `bhd serve`: data pushed through the API, the overview,
// one metric's chart at another granularity and against the previous year, and a CSV import
// with a bad line. Each project (phone, desktop) signs up its own organization.

const PASSWORD = 'correct horse battery staple';
const DAYS = 400;
const DAY_MS = 86_400_000;

/** Noon UTC, `daysAgo` days before today. */
function noon(daysAgo: number): string {
  const today = new Date();
  return new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate(), 12) - daysAgo * DAY_MS)
    .toISOString()
    .replace('.000Z', 'Z');
}

/** 400 days of daily revenue (a flow) and cash balance (a stock), both growing. */
function points() {
  const out: { metric_type: string; value: string; recorded_at: string }[] = [];
  for (let ago = DAYS - 1; ago >= 0; ago -= 1) {
    const day = DAYS - 1 - ago;
    const revenue = 1000 + day * 2 + 150 * Math.sin(day / 7);
    out.push({ metric_type: 'revenue', value: revenue.toFixed(2), recorded_at: noon(ago) });
    // The last cash balance is a round 61,234.
    out.push({ metric_type: 'cash_balance', value: String(61_234 - ago * 25), recorded_at: noon(ago) });
  }
  return out;
}

async function seed(request: APIRequestContext, email: string, organization: string) {
  const signup = await request.post('/api/v1/auth/signup', {
    data: { email, password: PASSWORD, name: 'Grace Hopper', organization_name: organization },
  });
  expect(signup.status(), await signup.text()).toBe(201);
  const { access_token: token } = (await signup.json()) as { access_token: string };
  const batch = await request.post('/api/v1/metrics', {
    headers: { Authorization: `Bearer ${token}` },
    data: { points: points() },
  });
  expect(batch.status(), await batch.text()).toBe(200);
  expect(await batch.json()).toMatchObject({ accepted: DAYS * 2 });
}

test('metrics: overview, a metric by week against last year, CSV import with a bad line', async ({
  page,
  request,
}, testInfo) => {
  const suffix = `${testInfo.project.name}-${Date.now()}`;
  const email = `metrics-${suffix}@example.com`;
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));

  await test.step('load data through the API', async () => {
    await seed(request, email, `Metrics ${suffix}`);
  });

  await test.step('log in and open Metrics', async () => {
    await page.goto('/login/');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL(/\/settings\/$/);
    await page.getByRole('link', { name: 'Metrics' }).click();
    await expect(page).toHaveURL(/\/metrics\/$/);
    await expect(page.getByRole('heading', { name: 'Metrics', level: 1 })).toBeVisible();
  });

  await test.step('the overview groups metrics and formats their values', async () => {
    const financial = page.getByRole('region', { name: 'Financial' });
    await expect(financial).toBeVisible();
    const cash = financial.getByRole('listitem').filter({ has: page.getByRole('link', { name: 'Cash balance' }) });
    await expect(cash.getByText('$61,234')).toBeVisible();
    await expect(cash.getByText(/\(better\) vs the 30 days before/)).toBeVisible();
    const revenue = financial.getByRole('listitem').filter({ has: page.getByRole('link', { name: 'Revenue' }) });
    await expect(revenue.getByText(/30-day total: \$/)).toBeVisible();
  });

  await test.step('open revenue: a bar chart of the last 12 months by month', async () => {
    await page.getByRole('link', { name: 'Revenue' }).click();
    await expect(page).toHaveURL(/\/metrics\/\?m=revenue$/);
    await expect(page.getByRole('heading', { name: 'Revenue', level: 1 })).toBeVisible();
    await expect(page.getByText('Income from sales in the period.', { exact: false })).toBeVisible();
    await expect(page.getByLabel('Granularity')).toHaveValue('month');
    await expect(page.getByRole('img', { name: /^Bar chart of Revenue by month/ })).toBeVisible();
  });

  await test.step('change the granularity to weeks', async () => {
    const answer = page.waitForResponse((r) => r.url().includes('/metrics/revenue/series') && r.url().includes('granularity=week'));
    await page.getByLabel('Granularity').selectOption('week');
    expect((await answer).status()).toBe(200);
    await expect(page.getByRole('img', { name: /^Bar chart of Revenue by week/ })).toBeVisible();
  });

  await test.step('compare with the previous year', async () => {
    const answer = page.waitForResponse((r) => r.url().includes('compare=previous_year'));
    await page.getByLabel('Compare with').selectOption('previous_year');
    expect((await answer).status()).toBe(200);
    await expect(page.getByRole('img', { name: /compared with the previous year/ })).toBeVisible();
    await expect(page.getByRole('list', { name: 'Legend' }).getByText('Previous year')).toBeVisible();
    // The latest week against the same week a year ago, in words.
    await expect(page.getByText(/\((better|worse)\)|No change/).first()).toBeVisible();
    await expect(page.getByText(/^vs the week of /)).toBeVisible();
    await page.getByText('Show the numbers').click();
    const table = page.getByRole('table');
    await expect(table.getByRole('columnheader', { name: 'Previous year' })).toBeVisible();
    // The weeks of last year before the data began have none: a gap, not zero.
    await expect(table.getByText('No data').first()).toBeVisible();
  });

  await test.step('upload a CSV with a bad line', async () => {
    await page.getByRole('link', { name: 'All metrics' }).click();
    await expect(page).toHaveURL(/\/metrics\/$/);
    const csv = [
      'metric_type,value,recorded_at',
      `leads,42,${noon(1)}`,
      `leads,40,${noon(0)}`,
      `revenue,not-a-number,${noon(0)}`,
    ].join('\n');
    await page.getByLabel('CSV file', { exact: true }).setInputFiles({
      name: 'points.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv),
    });
    await page.getByRole('button', { name: 'Upload' }).click();
    await expect(page.getByText('Imported “points.csv”, with 1 rejected line.')).toBeVisible();
    const rejected = page.getByRole('table', { name: /Rejected lines/ });
    await expect(rejected.getByRole('row')).toHaveCount(2);
    await expect(rejected.getByRole('cell').first()).toHaveText('4');
    // The new metric shows up in its category.
    await expect(page.getByRole('region', { name: 'Growth' }).getByRole('link', { name: 'Leads' })).toBeVisible();
  });

  expect(pageErrors, 'uncaught errors in the page').toEqual([]);
});
