// Journey 6: switch the interface to 中文 and back to English.

import { expect, test } from '@playwright/test';
import { gotoReady, headerLoginLink, waitForHydrated } from './helpers';

test('switch the language to 中文 and back', async ({ page }) => {
  await gotoReady(page, '/login');
  await expect(page.locator('html')).toHaveAttribute('lang', /^en/);
  await expect(headerLoginLink(page, 'Log in')).toBeVisible();

  const zh = page.getByRole('link', { name: '中文', exact: true }).first();
  await expect(zh).toHaveAttribute('href', /^\/lang\/zh-CN\?next=/);
  await zh.click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await waitForHydrated(page);
  // `next` brings us back to the page we were on.
  await expect(page).toHaveURL((url) => url.pathname === '/login');
  await expect(headerLoginLink(page, '登录')).toBeVisible();
  await expect(headerLoginLink(page, 'Log in')).toHaveCount(0);

  // The choice sticks for the next page too.
  await gotoReady(page, '/');
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(headerLoginLink(page, '登录')).toBeVisible();

  const en = page.getByRole('link', { name: 'English', exact: true }).first();
  await expect(en).toHaveAttribute('href', /^\/lang\/en\?next=/);
  await en.click();
  await expect(page.locator('html')).toHaveAttribute('lang', /^en/);
  await waitForHydrated(page);
  await expect(page).toHaveURL((url) => url.pathname === '/');
  await expect(headerLoginLink(page, 'Log in')).toBeVisible();
});
