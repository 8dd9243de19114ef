// Journey 4: axe-core finds no serious or critical accessibility problems.

import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { ADMIN, gotoReady, logIn, newUser, signUp } from './helpers';

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

for (const path of ['/', '/signup', '/login', '/forgot', '/discover', '/discover?q=rust', '/c/reliable-rust-web-services', '/c/mechanics-self-study']) {
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

test('axe: the campaign editor, my campaigns, the dashboard and the review queue', async ({ page }) => {
  await logIn(page, 'lin.wei@cohort.local', 'cohort-demo-pass');
  await gotoReady(page, '/campaigns');
  await expectNoSeriousViolations(page, '/campaigns');
  const edit = page.getByRole('link', { name: 'Edit' }).first();
  const editHref = await edit.getAttribute('href');
  await gotoReady(page, editHref!);
  await expectNoSeriousViolations(page, 'the campaign editor');
  await gotoReady(page, editHref!.replace(/\/edit$/, '/dashboard'));
  await expectNoSeriousViolations(page, 'the dashboard');

  const context = await page.context().browser()!.newContext();
  const admin = await context.newPage();
  await logIn(admin, ADMIN.email, ADMIN.password);
  await gotoReady(admin, '/admin/review');
  await expectNoSeriousViolations(admin, '/admin/review');
  await context.close();
});

test('axe: a ledger page with its refund tools and survey, and the payment checks', async ({ page, browser }) => {
  await logIn(page, 'lin.wei@cohort.local', 'cohort-demo-pass');
  await gotoReady(page, '/c/sql-for-analysts');
  const ledger = page.getByRole('link', { name: 'Ledger' });
  await gotoReady(page, (await ledger.getAttribute('href'))!);
  await expect(page.getByRole('heading', { name: 'Refunds' })).toBeVisible();
  await expectNoSeriousViolations(page, 'a campaign ledger');

  const context = await browser.newContext();
  const admin = await context.newPage();
  await logIn(admin, ADMIN.email, ADMIN.password);
  await gotoReady(admin, '/admin/payments');
  await expect(admin.getByRole('heading', { name: 'Payment checks' })).toBeVisible();
  await expectNoSeriousViolations(admin, '/admin/payments');
  await context.close();
});

test('axe: the report queue', async ({ browser }) => {
  const context = await browser.newContext();
  const admin = await context.newPage();
  await logIn(admin, ADMIN.email, ADMIN.password);
  await gotoReady(admin, '/admin/reports');
  await expect(admin.getByRole('heading', { name: 'Reports', level: 1 })).toBeVisible();
  await expectNoSeriousViolations(admin, '/admin/reports');
  await context.close();
});
