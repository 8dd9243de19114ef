// Journey 5: on a 360×740 phone (the "phone" project) nothing scrolls sideways.

import { expect, test } from '@playwright/test';
import { gotoReady } from './helpers';

for (const path of ['/', '/signup', '/discover', '/c/reliable-rust-web-services', '/c/sql-for-analysts']) {
  test(`no horizontal overflow at 360 px: ${path}`, async ({ page }) => {
    await gotoReady(page, path);
    expect(page.viewportSize()?.width).toBe(360);
    const { scrollWidth, widest } = await page.evaluate(() => {
      // Name the widest elements, so a failure says where to look.
      const wide = Array.from(document.querySelectorAll<HTMLElement>('body *'))
        .map((el) => ({ el, right: el.getBoundingClientRect().right }))
        .filter(({ right }) => right > 360)
        .sort((a, b) => b.right - a.right)
        .slice(0, 5)
        .map(({ el, right }) => `${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).trim().replace(/\s+/g, '.') : ''} → ${Math.round(right)}px`);
      return { scrollWidth: document.documentElement.scrollWidth, widest: wide };
    });
    expect(scrollWidth, `scrollWidth on ${path}; widest: ${widest.join(', ') || 'none'}`).toBeLessThanOrEqual(360);
  });
}

test('a shared campaign link on a phone shows the amount, the time left and "Back this campaign" without scrolling', async ({ page }) => {
  await gotoReady(page, '/c/reliable-rust-web-services');
  const bar = page.locator('.pledge-bar');
  await expect(bar).toBeVisible();
  await expect(bar).toContainText('$');
  const back = bar.getByRole('link', { name: 'Back this campaign' });
  await expect(back).toBeInViewport({ ratio: 1 });
  const box = await back.boundingBox();
  expect(box && box.height).toBeGreaterThanOrEqual(44);
  await back.click();
  await page.waitForURL('**/c/reliable-rust-web-services/pledge');
});
