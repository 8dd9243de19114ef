// Journey 2: forgot password → reset mail → new password → link cannot be reused.

import { expect, test } from '@playwright/test';
import {
  TEXT,
  alert,
  disableNativeValidation,
  field,
  fillLogin,
  gotoReady,
  linkFromOutbox,
  logIn,
  logOut,
  newUser,
  signUp,
  status,
  submit,
} from './helpers';

test('reset a forgotten password by mail', async ({ page, browser }) => {
  const user = newUser();
  const newPassword = `${user.password}-changed`;

  await signUp(page, user);
  await logOut(page);

  await test.step('the login page links to the forgot-password page', async () => {
    await gotoReady(page, '/login');
    await page.getByRole('link', { name: 'Forgot your password?', exact: true }).click();
    await expect(page).toHaveURL((url) => url.pathname === '/forgot');
  });

  await test.step('ask for a reset link', async () => {
    await gotoReady(page, '/forgot');
    await field(page, 'Email').fill(user.email);
    await submit(page, 'Send reset link');
    await expect(status(page, TEXT.forgotDone)).toBeVisible();
  });

  const resetPath = await test.step('read the reset mail in the outbox', async () =>
    linkFromOutbox(browser, user.email, TEXT.resetSubject, 'reset'),
  );

  await test.step('a weak new password is refused', async () => {
    await gotoReady(page, resetPath);
    await disableNativeValidation(page);
    await field(page, 'New password').fill('short');
    await submit(page, 'Set new password');
    await expect(alert(page, TEXT.weakPassword)).toBeVisible();
  });

  await test.step('set the new password', async () => {
    await gotoReady(page, resetPath);
    await field(page, 'New password').fill(newPassword);
    await submit(page, 'Set new password');
    await expect(status(page, TEXT.resetDone)).toBeVisible();
  });

  await test.step('the same link cannot be used twice', async () => {
    await gotoReady(page, resetPath);
    await expectResetLinkRejected(page, `${newPassword}-again`);
  });

  await test.step('the old password no longer works', async () => {
    await gotoReady(page, '/login');
    await fillLogin(page, user.email, user.password);
    await expect(alert(page, TEXT.wrongCredentials)).toBeVisible();
  });

  await test.step('the new password works', async () => {
    await logIn(page, user.email, newPassword, user.displayName);
  });
});

test('the forgot-password answer is the same for unknown addresses', async ({ page }) => {
  await gotoReady(page, '/forgot');
  await field(page, 'Email').fill(`nobody-${Date.now()}@example.com`);
  await submit(page, 'Send reset link');
  await expect(status(page, TEXT.forgotDone)).toBeVisible();
});

test('a made-up reset link is rejected', async ({ page }) => {
  await gotoReady(page, '/reset/this-token-does-not-exist-0123456789');
  await expectResetLinkRejected(page, 'a-perfectly-fine-password');
});

/**
 * The contract does not say whether a bad link is refused when the page
 * loads or when the form is sent; accept either.
 */
async function expectResetLinkRejected(page: import('@playwright/test').Page, password: string) {
  const rejected = alert(page, TEXT.badResetLink);
  if (!(await rejected.isVisible())) {
    await field(page, 'New password').fill(password);
    await submit(page, 'Set new password');
  }
  await expect(rejected).toBeVisible();
  await expect(status(page, TEXT.resetDone)).toHaveCount(0);
}
