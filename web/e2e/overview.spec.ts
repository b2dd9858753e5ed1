import { expect, test } from '@playwright/test';

// The demo company (loaded by e2e/serve.mjs): log in as its owner, open the overview, read
// the gauge and the five categories, open a category's factors, recalculate.

test('demo company: the overview with its gauge, five categories and a factor drill-down', async ({ page }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));

  await test.step('log in as the demo owner and open the overview, the first item of the navigation', async () => {
    await page.goto('/login/');
    await page.getByLabel('Email').fill('demo@bhd.local');
    await page.getByLabel('Password').fill('demo-password-123');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL(/\/settings\/$/);
    const nav = page.getByRole('navigation').filter({ visible: true }).first();
    await expect(nav.getByRole('link').first()).toHaveText('Overview');
    await nav.getByRole('link', { name: 'Overview' }).click();
    await expect(page).toHaveURL(/\/overview\/$/);
    await expect(page.getByRole('heading', { name: 'Overview', level: 1 })).toBeVisible();
  });

  await test.step('the gauge states the overall score', async () => {
    const gauge = page.getByRole('meter', { name: /Overall health score: \d+\.\d out of 100/ });
    await expect(gauge).toBeVisible();
    const now = Number(await gauge.getAttribute('aria-valuenow'));
    expect(now).toBeGreaterThan(0);
    expect(now).toBeLessThanOrEqual(100);
  });

  await test.step('five categories', async () => {
    const cards = page.getByRole('list', { name: 'Category scores' }).getByRole('listitem');
    await expect(cards).toHaveCount(5);
    for (const name of ['Financial', 'Customer', 'Operational', 'Growth', 'Risk']) {
      await expect(page.getByRole('list', { name: 'Category scores' }).getByRole('heading', { name })).toBeVisible();
    }
  });

  await test.step('open the financial factors', async () => {
    await page.getByRole('button', { name: 'See financial factors' }).click();
    const breakdown = page.getByRole('region', { name: 'Financial factors' });
    await expect(breakdown).toBeVisible();
    await expect(breakdown.getByRole('heading', { name: 'Profit margin' })).toBeVisible();
    const factors = breakdown.getByRole('list', { name: 'Financial factors' }).getByRole('listitem');
    expect(await factors.count()).toBeGreaterThanOrEqual(3);
    await expect(factors.first()).toContainText('Benchmark:');
    await expect(factors.first()).toContainText('Source:');
  });

  await test.step('insights with their evidence', async () => {
    const insights = page.getByRole('list', { name: 'Insights' });
    await expect(insights).toBeVisible();
    const first = insights.getByRole('listitem').first();
    await first.getByText('Evidence').click();
    await expect(first.getByText('Benchmark', { exact: true })).toBeVisible();
  });

  await test.step('recalculate', async () => {
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/health/recalculate'));
    await page.getByRole('button', { name: 'Recalculate' }).click();
    expect((await answer).status()).toBe(202);
    await expect(page.getByText('Score recalculated.')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByRole('meter', { name: /Overall health score/ })).toBeVisible();
  });

  expect(pageErrors, 'uncaught errors in the page').toEqual([]);
});
