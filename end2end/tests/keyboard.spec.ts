// Moving around with a keyboard (and a pointer) the way the walk-through found broken: the
// account menu covering the page after a choice, the skip link that left focus behind, and
// focus left in the header after a client-side navigation.

import { expect, test } from '@playwright/test';
import { accountMenu, gotoReady, newUser, openAccountMenu, signUp } from './helpers';

test('choosing an item in the account menu closes the menu', async ({ page }) => {
  await signUp(page, newUser());
  await gotoReady(page, '/');
  const menu = await openAccountMenu(page);
  await menu.getByRole('link', { name: 'My pledges' }).click();
  await page.waitForURL('**/pledges');
  await expect(page.getByRole('heading', { level: 1, name: 'My pledges' })).toBeVisible();
  await expect(accountMenu(page)).toHaveJSProperty('open', false);
});

test('the skip link moves focus into the main content', async ({ page }) => {
  await gotoReady(page, '/discover');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect.poll(() => page.evaluate(() => document.activeElement?.closest('main') !== null)).toBe(true);
});

test('after following a header link, focus is on the new page heading', async ({ page }) => {
  await gotoReady(page, '/');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Courses' }).click();
  await page.waitForURL('**/courses');
  await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
});
