import { expect, test } from '@playwright/test';

// The demo company loaded by `bhd demo` (see e2e/serve.mjs): log in as its owner, open a
// metric, change the granularity, compare with the previous year, upload a CSV with a bad line.

test('demo company: a metric over three years by quarter against last year, and a CSV upload', async ({ page }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));

  await test.step('log in as the demo owner and open Metrics', async () => {
    await page.goto('/login/');
    await page.getByLabel('Email').fill('demo@bhd.local');
    await page.getByLabel('Password').fill('demo-password-123');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL(/\/settings\/$/);
    await page.getByRole('link', { name: 'Metrics' }).click();
    await expect(page).toHaveURL(/\/metrics\/$/);
  });

  await test.step('the demo has metrics in every category', async () => {
    for (const category of ['Financial', 'Customer', 'Operational', 'Growth']) {
      await expect(page.getByRole('region', { name: category })).toBeVisible();
    }
    await expect(page.getByRole('region', { name: 'Customer' }).getByRole('link', { name: 'MRR', exact: true })).toBeVisible();
  });

  await test.step('open MRR', async () => {
    await page.getByRole('region', { name: 'Customer' }).getByRole('link', { name: 'MRR', exact: true }).click();
    await expect(page).toHaveURL(/\/metrics\/\?m=mrr$/);
    await expect(page.getByRole('heading', { name: 'MRR', level: 1 })).toBeVisible();
  });

  await test.step('three years by quarter', async () => {
    const range = page.waitForResponse((r) => r.url().includes('/metrics/mrr/series'));
    await page.getByLabel('Range').selectOption('3y');
    expect((await range).status()).toBe(200);
    const answer = page.waitForResponse((r) => r.url().includes('/metrics/mrr/series') && r.url().includes('granularity=quarter'));
    await page.getByLabel('Granularity').selectOption('quarter');
    const series = await answer;
    expect(series.status()).toBe(200);
    const body = (await series.json()) as { buckets: { value: string | null }[] };
    // Three years of history: every quarter but possibly the first has a value.
    expect(body.buckets.filter((b) => b.value !== null).length).toBeGreaterThanOrEqual(body.buckets.length - 1);
    await expect(page.getByRole('img', { name: /MRR by quarter/ })).toBeVisible();
  });

  await test.step('compare with the previous year', async () => {
    const answer = page.waitForResponse((r) => r.url().includes('/metrics/mrr/series') && r.url().includes('compare=previous_year'));
    await page.getByLabel('Compare with').selectOption('previous_year');
    expect((await answer).status()).toBe(200);
    await expect(page.getByRole('img', { name: /compared with the previous year/ })).toBeVisible();
    await expect(page.getByRole('list', { name: 'Legend' }).getByText('Previous year')).toBeVisible();
  });

  await test.step('upload a CSV with a bad line', async () => {
    await page.getByRole('link', { name: 'All metrics' }).click();
    await expect(page).toHaveURL(/\/metrics\/$/);
    const today = new Date().toISOString().slice(0, 10);
    const csv = ['metric_type,value,recorded_at', `nps,41,${today}T12:00:00Z`, `mrr,lots,${today}T12:00:00Z`].join('\n');
    await page.getByLabel('CSV file', { exact: true }).setInputFiles({
      name: 'demo.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv),
    });
    await page.getByRole('button', { name: 'Upload' }).click();
    await expect(page.getByText('Imported “demo.csv”, with 1 rejected line.')).toBeVisible();
    const rejected = page.getByRole('table', { name: /Rejected lines/ });
    await expect(rejected.getByRole('cell').first()).toHaveText('3');
  });

  expect(pageErrors, 'uncaught errors in the page').toEqual([]);
});
