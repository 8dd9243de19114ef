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
