// Journey 4: axe-core finds no serious or critical accessibility problems.

import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { gotoReady, newUser, signUp } from './helpers';

const BLOCKING = new Set(['serious', 'critical']);

async function expectNoSeriousViolations(page: Page, label: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const blocking = results.violations.filter((v) => v.impact && BLOCKING.has(v.impact));
  if (blocking.length > 0) {
    const report = blocking
      .map((v) => {
        const nodes = v.nodes
          .slice(0, 5)
          .map((n) => `      ${n.target.join(' ')}\n        ${n.failureSummary?.replace(/\n/g, '\n        ') ?? ''}`)
          .join('\n');
        return `  [${v.impact}] ${v.id}: ${v.help}\n    ${v.helpUrl}\n${nodes}`;
      })
      .join('\n');
    console.log(`axe on ${label} (${page.url()}):\n${report}`);
  }
  expect(blocking.map((v) => `${v.impact}: ${v.id} (${v.nodes.length} nodes)`), `axe on ${label}`).toEqual([]);
}

for (const path of ['/', '/signup', '/login', '/forgot']) {
  test(`axe: ${path}`, async ({ page }) => {
    await gotoReady(page, path);
    await expectNoSeriousViolations(page, path);
  });
}

test('axe: the 404 page', async ({ page }) => {
  await gotoReady(page, `/no-such-page-${Date.now()}`);
  await expectNoSeriousViolations(page, '404 page');
});

test('axe: /settings and a public profile', async ({ page }) => {
  const user = newUser();
  await signUp(page, user);

  await gotoReady(page, '/settings');
  await expectNoSeriousViolations(page, '/settings');

  await gotoReady(page, `/u/${user.handle}`);
  await expectNoSeriousViolations(page, 'a public profile');
});
