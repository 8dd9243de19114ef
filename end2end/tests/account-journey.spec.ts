// Journey 1: sign up → verify by mail → log out → log in → edit profile → public profile.

import { expect, test } from '@playwright/test';
import {
  ADMIN,
  TEXT,
  accountMenu,
  alert,
  field,
  gotoReady,
  header,
  linkFromOutbox,
  logIn,
  logOut,
  newUser,
  openAccountMenu,
  signUp,
  status,
  submit,
} from './helpers';

test('sign up, verify email, log in again and edit the public profile', async ({ page, browser }) => {
  const user = newUser();

  await test.step('sign up', async () => {
    await signUp(page, user);
    await expect(status(page, TEXT.signupDone)).toContainText(user.email);
  });

  const verifyPath = await test.step('read the verification mail in the outbox', async () =>
    linkFromOutbox(browser, user.email, TEXT.verifySubject, 'verify'),
  );

  await test.step('verify the email address', async () => {
    await gotoReady(page, verifyPath);
    await expect(status(page, TEXT.verified)).toBeVisible();
  });

  await test.step('a used verification link is rejected', async () => {
    await gotoReady(page, verifyPath);
    await expect(alert(page, TEXT.badVerifyLink)).toBeVisible();
  });

  await test.step('the account menu links to profile and settings, not the outbox', async () => {
    await gotoReady(page, '/');
    const menu = await openAccountMenu(page);
    await expect(menu.getByRole('link', { name: 'Profile', exact: true })).toHaveAttribute(
      'href',
      `/u/${user.handle}`,
    );
    await expect(menu.getByRole('link', { name: 'Settings', exact: true })).toHaveAttribute('href', '/settings');
    await expect(menu.getByRole('link', { name: 'Outbox', exact: true })).toHaveCount(0);
  });

  await test.step('log out', async () => {
    await logOut(page);
    await expect(header(page).getByRole('link', { name: 'Sign up', exact: true })).toHaveAttribute(
      'href',
      '/signup',
    );
  });

  await test.step('log in again', async () => {
    await logIn(page, user.email, user.password, user.displayName);
  });

  const newName = `Renamed ${user.displayName.slice(-6)}`;
  const newBio = `I teach pottery to robots. (${user.handle})`;

  await test.step('edit display name and bio in settings', async () => {
    await gotoReady(page, '/settings');
    await expect(field(page, 'Handle')).toHaveValue(user.handle);
    await field(page, 'Display name').fill(newName);
    await field(page, 'Bio').fill(newBio);
    await submit(page, 'Save profile');
    await expect(status(page, TEXT.profileSaved)).toBeVisible();
    await expect(accountMenu(page).locator('summary')).toContainText(newName);
  });

  await test.step('the public profile shows the new name and bio', async () => {
    await gotoReady(page, `/u/${user.handle}`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(newName);
    await expect(page.getByText(`@${user.handle}`, { exact: false }).first()).toBeVisible();
    await expect(page.getByText(newBio)).toBeVisible();
  });
});

test('the admin account menu links to the outbox', async ({ page }) => {
  await logIn(page, ADMIN.email, ADMIN.password);
  const menu = await openAccountMenu(page);
  await expect(menu.getByRole('link', { name: 'Outbox', exact: true })).toHaveAttribute('href', '/admin/outbox');
  await menu.getByRole('link', { name: 'Outbox', exact: true }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/admin/outbox');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Outbox');
});
