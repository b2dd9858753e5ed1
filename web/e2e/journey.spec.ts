import { expect, test, type Page } from '@playwright/test';

// One person's whole first visit, against a real `bhd serve` on an empty database.
// Each project (phone, desktop) uses its own unique emails.

const PASSWORD = 'correct horse battery staple';

async function logOut(page: Page) {
  await page.getByRole('button', { name: 'Account' }).click();
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login\/$/);
}

async function openOrgSwitcher(page: Page) {
  await page.getByRole('button', { name: /Current organization/ }).click();
}

async function expectCurrentOrg(page: Page, name: string) {
  await expect(page.getByRole('button', { name: /Current organization/ })).toContainText(name);
  await expect(page.getByLabel('Organization name')).toHaveValue(name);
}

test('sign up, settings, API key, invitation, organizations, log out', async ({ page }, testInfo) => {
  const suffix = `${testInfo.project.name}-${Date.now()}`;
  const email = `owner-${suffix}@example.com`;
  const firstOrg = `Acme ${suffix}`;
  const secondOrg = `Second ${suffix}`;
  const invitee = `invitee-${suffix}@example.com`;
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));

  await test.step('sign up', async () => {
    await page.goto('/');
    await expect(page).toHaveURL(/\/login\/$/);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await expect(page).toHaveURL(/\/signup\/$/);
    await page.getByLabel('Your name').fill('Ada Lovelace');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Business name').fill(firstOrg);
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByText('Use at least 10 characters')).toBeVisible();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page).toHaveURL(/\/settings\/$/);
    await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
    await expectCurrentOrg(page, firstOrg);
  });

  await test.step('log out, and the dashboard is closed', async () => {
    await logOut(page);
    await page.goto('/settings/');
    await expect(page).toHaveURL(/\/login\/$/);
  });

  await test.step('log in (a wrong password first)', async () => {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.locator('form').getByRole('alert')).toHaveText('The email or password is incorrect.');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL(/\/settings\/$/);
    await expectCurrentOrg(page, firstOrg);
  });

  await test.step('change the time zone; it is kept after a reload', async () => {
    const zone = page.getByLabel('Time zone');
    const target = (await zone.inputValue()) === 'Asia/Tokyo' ? 'America/Chicago' : 'Asia/Tokyo';
    await zone.selectOption(target);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByText('Saved.')).toBeVisible();
    await page.reload();
    await expect(page).toHaveURL(/\/settings\/$/);
    await expect(page.getByLabel('Time zone')).toHaveValue(target);
  });

  await test.step('create an API key and see it exactly once', async () => {
    await expect(page.getByText(/No API keys yet/)).toBeVisible();
    await page.getByLabel('Key name').fill('CI pipeline');
    await page.getByLabel('Ingest').check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Copy your new API key' });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByText(/You won’t see this key again/)).toBeVisible();
    const key = await dialog.getByLabel('API key').inputValue();
    expect(key).toMatch(/^bhd_/);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await expect(dialog).toBeHidden();
    const keys = page.getByRole('list', { name: 'API keys' });
    await expect(keys.getByText('CI pipeline')).toBeVisible();
    await expect(page.getByText(key)).toHaveCount(0);
    expect(await page.content()).not.toContain(key);
  });

  await test.step('invite an unknown email: a pending invitation', async () => {
    await page.getByLabel('Email address').fill(invitee);
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Invite' }).click();
    await expect(page.getByText(`Invitation pending: ${invitee}`)).toBeVisible();
    await expect(page.getByRole('list', { name: 'Pending invitations' }).getByText(invitee)).toBeVisible();
  });

  await test.step('create a second organization, which becomes current', async () => {
    await openOrgSwitcher(page);
    await page.getByRole('button', { name: 'Create organization' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create an organization' });
    await expect(dialog).toBeVisible();
    await dialog.getByLabel('Organization name').fill(secondOrg);
    await dialog.getByRole('button', { name: 'Create organization' }).click();
    await expect(dialog).toBeHidden();
    await expectCurrentOrg(page, secondOrg);
    await expect(page.getByText(/No API keys yet/)).toBeVisible();
  });

  await test.step('switch back to the first organization', async () => {
    await openOrgSwitcher(page);
    await page.getByRole('button', { name: new RegExp(firstOrg) }).click();
    await expectCurrentOrg(page, firstOrg);
    await expect(page.getByRole('list', { name: 'API keys' }).getByText('CI pipeline')).toBeVisible();
    await openOrgSwitcher(page);
    await page.getByRole('button', { name: new RegExp(secondOrg) }).click();
    await expectCurrentOrg(page, secondOrg);
    await openOrgSwitcher(page);
    await page.getByRole('button', { name: new RegExp(firstOrg) }).click();
    await expectCurrentOrg(page, firstOrg);
  });

  await test.step('log out', async () => {
    await logOut(page);
    await page.reload();
    await expect(page).toHaveURL(/\/login\/$/);
  });

  expect(pageErrors, 'uncaught errors in the page').toEqual([]);
});
