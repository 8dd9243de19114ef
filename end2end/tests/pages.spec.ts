// Pages and page furniture: header links, 404s, CSRF fields, avatar and creator tools.

import { expect, test, type Page } from '@playwright/test';
import {
  SMALL_PNG,
  TEXT,
  field,
  gotoReady,
  header,
  newUser,
  signUp,
  status,
  submit,
} from './helpers';

test('the logged-out header links home, to log in and to sign up', async ({ page }) => {
  await gotoReady(page, '/');
  const top = header(page);
  await expect(top.getByRole('link', { name: 'Cohort', exact: true })).toHaveAttribute('href', '/');
  await expect(top.getByRole('link', { name: 'Log in', exact: true })).toHaveAttribute('href', '/login');
  await expect(top.getByRole('link', { name: 'Sign up', exact: true })).toHaveAttribute('href', '/signup');
  await expect(top.locator('details.account-menu')).toHaveCount(0);
});

test('an unknown path answers 404 with "Page not found"', async ({ page }) => {
  const response = await gotoReady(page, `/no-such-page-${Date.now()}`);
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(TEXT.notFound);
});

test('an unknown handle shows "Page not found"', async ({ page }) => {
  await gotoReady(page, `/u/nobody${Date.now()}`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(TEXT.notFound);
});

async function expectCsrfInEveryPostForm(page: Page) {
  const forms = page.locator('form[method="post" i]');
  const count = await forms.count();
  expect(count, `POST forms on ${page.url()}`).toBeGreaterThan(0);
  for (let i = 0; i < count; i++) {
    const form = forms.nth(i);
    const csrf = form.locator('input[type="hidden"][name="csrf"]');
    await expect(csrf, `form #${i + 1} on ${page.url()} has one csrf field`).toHaveCount(1);
    expect(await csrf.inputValue(), `form #${i + 1} on ${page.url()} has a csrf value`).not.toBe('');
  }
}

test('every POST form carries a CSRF token', async ({ page }) => {
  await gotoReady(page, '/login');
  await expectCsrfInEveryPostForm(page);

  await gotoReady(page, '/signup');
  await expectCsrfInEveryPostForm(page);

  await signUp(page, newUser());
  await gotoReady(page, '/settings');
  await expectCsrfInEveryPostForm(page);
});

test('upload an avatar and become a creator', async ({ page }) => {
  const user = newUser();
  await signUp(page, user);

  await gotoReady(page, '/settings');
  await field(page, 'Avatar').setInputFiles({ name: 'avatar.png', mimeType: 'image/png', buffer: SMALL_PNG });
  await submit(page, 'Upload avatar');
  await expect(status(page, TEXT.avatarUpdated)).toBeVisible();

  await submit(page, 'Become a creator');
  await expect(status(page, TEXT.creatorDone)).toBeVisible();

  await gotoReady(page, `/u/${user.handle}`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(user.displayName);
  const avatar = page.getByRole('img', { name: `Avatar of ${user.displayName}`, exact: true });
  await expect(avatar).toBeVisible();
  // The image really loads (not a broken link).
  await expect
    .poll(() => avatar.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0))
    .toBe(true);
});
