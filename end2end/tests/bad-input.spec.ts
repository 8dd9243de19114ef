// Journey 3: every bad input named in the UI contract gets its own message,
// shown in a role=alert element, and the form stays on the page.

import { expect, test, type Page } from '@playwright/test';
import {
  SMALL_PNG,
  TEXT,
  accountMenu,
  alert,
  disableNativeValidation,
  field,
  fillLogin,
  fillSignup,
  gotoReady,
  logOut,
  newUser,
  signUp,
  status,
  submit,
} from './helpers';

async function expectSignupRefused(page: Page, message: string) {
  await expect(alert(page, message)).toBeVisible();
  await expect(status(page, TEXT.signupDone)).toHaveCount(0);
  // The form stays, so the visitor can correct the value.
  await expect(page.getByRole('button', { name: 'Create account', exact: true })).toBeVisible();
  await expect(accountMenu(page)).toHaveCount(0);
}

test.describe('sign-up', () => {
  test('an invalid email address is refused', async ({ page }) => {
    const user = { ...newUser(), email: 'not-an-email' };
    await fillSignup(page, user, { noValidate: true });
    await expectSignupRefused(page, TEXT.invalidEmail);
    await expect(field(page, 'Email')).toHaveValue('not-an-email');
  });

  test('a weak password is refused', async ({ page }) => {
    const user = { ...newUser(), password: 'short1' };
    await fillSignup(page, user, { noValidate: true });
    await expectSignupRefused(page, TEXT.weakPassword);
  });

  test('a badly formed handle is refused', async ({ page }) => {
    const user = { ...newUser(), handle: 'A!' };
    await fillSignup(page, user, { noValidate: true });
    await expectSignupRefused(page, TEXT.badHandle);
  });

  test('an email address that is already registered gets the same answer and signs nobody in', async ({ page }) => {
    // Sign-up must not tell whether an address has an account: the owner is mailed instead.
    const first = newUser();
    await signUp(page, first);
    await page.context().clearCookies();

    const second = { ...newUser(), email: first.email };
    await fillSignup(page, second);
    await expect(status(page, TEXT.signupDone)).toContainText(first.email);
    await expect(accountMenu(page)).toHaveCount(0);
  });

  test('a handle that is taken is refused', async ({ page }) => {
    const first = newUser();
    await signUp(page, first);
    await page.context().clearCookies();

    const second = { ...newUser(), handle: first.handle };
    await fillSignup(page, second);
    await expectSignupRefused(page, TEXT.handleTaken);
  });
});

test.describe('log-in', () => {
  test('a wrong password is refused', async ({ page }) => {
    const user = newUser();
    await signUp(page, user);
    await logOut(page);

    await fillLogin(page, user.email, `${user.password}-wrong`);
    await expect(alert(page, TEXT.wrongCredentials)).toBeVisible();
    await expect(page).toHaveURL((url) => url.pathname === '/login');
    await expect(accountMenu(page)).toHaveCount(0);
  });

  test('too many failed attempts for one email are rate-limited', async ({ page }) => {
    const user = newUser();
    await signUp(page, user);
    await logOut(page);

    await gotoReady(page, '/login');
    // Five failed attempts are each answered as a wrong password…
    for (let attempt = 1; attempt <= 5; attempt++) {
      await fillLogin(page, user.email, `${user.password}-wrong-${attempt}`);
      if (attempt < 5) {
        await expect(alert(page, TEXT.wrongCredentials)).toBeVisible();
      } else {
        // The fifth may already be reported as rate-limited.
        await expect(
          alert(page, TEXT.wrongCredentials).or(alert(page, TEXT.tooManyAttempts)).first(),
        ).toBeVisible();
      }
    }
    // …and after them the email is locked out, whatever the password.
    await fillLogin(page, user.email, `${user.password}-wrong-6`);
    await expect(alert(page, TEXT.tooManyAttempts)).toBeVisible();

    await fillLogin(page, user.email, user.password);
    await expect(alert(page, TEXT.tooManyAttempts)).toBeVisible();
    await expect(accountMenu(page)).toHaveCount(0);
  });
});

test.describe('links', () => {
  test('a made-up verification link is rejected', async ({ page }) => {
    await gotoReady(page, '/verify/this-token-does-not-exist-0123456789');
    await expect(alert(page, TEXT.badVerifyLink)).toBeVisible();
    await expect(status(page, TEXT.verified)).toHaveCount(0);
  });

  // The reused reset link is checked in password-reset.spec.ts, where a real
  // link exists; a made-up one is checked there too.
});

test.describe('avatar upload', () => {
  test('a file that is not an image is refused', async ({ page }) => {
    await signUp(page, newUser());
    await gotoReady(page, '/settings');
    await field(page, 'Avatar').setInputFiles({
      name: 'x.png',
      mimeType: 'image/png',
      buffer: Buffer.from('This is plain text, not a PNG image.\n'),
    });
    await submit(page, 'Upload avatar');
    await expect(alert(page, TEXT.avatarType)).toBeVisible();
    await expect(status(page, TEXT.avatarUpdated)).toHaveCount(0);
  });

  test('an image larger than 2 MB is refused', async ({ page }) => {
    await signUp(page, newUser());
    await gotoReady(page, '/settings');
    // A real PNG header followed by padding: it looks like an image, so only
    // the size can be the reason for refusing it.
    const big = Buffer.alloc(2 * 1024 * 1024 + 64 * 1024);
    SMALL_PNG.copy(big);
    await field(page, 'Avatar').setInputFiles({ name: 'big.png', mimeType: 'image/png', buffer: big });
    await submit(page, 'Upload avatar');
    await expect(alert(page, TEXT.avatarSize)).toBeVisible();
    await expect(status(page, TEXT.avatarUpdated)).toHaveCount(0);
  });
});

test.describe('admin pages', () => {
  test('a member who is not an admin cannot see the outbox', async ({ page }) => {
    await signUp(page, newUser());
    await gotoReady(page, '/admin/outbox');
    await expect(alert(page, TEXT.adminOnly)).toBeVisible();
    await expect(page.locator('article.mail')).toHaveCount(0);
  });
});
