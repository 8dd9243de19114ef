// Pledging through the built-in Stripe simulator, in a real browser: the hosted checkout page
// with Stripe's test cards, the "confirming…" return page, settlement after the deadline
// (an admin ends the campaign early), retries of a failing card, a missed goal, and a
// self-service refund. The server under test runs with COHORT_CHARGE_RETRIES=2s,2s,2s.

import { expect, test, type Page } from '@playwright/test';
import { gotoReady, newUser, signUp } from './helpers';
import { liveCampaign, pledge, type Live } from './pledging';

test.describe.configure({ timeout: 150_000 });

/** Reloads "My pledges" until the first pledge shows `state` (settlement runs every 10 s). */
async function waitForState(page: Page, state: string, timeout = 60_000): Promise<void> {
  await expect(async () => {
    await gotoReady(page, '/pledges');
    await expect(page.locator('article.pledge').first()).toContainText(state, { timeout: 1_000 });
  }).toPass({ timeout, intervals: [2_000] });
}

async function endNow(live: Live): Promise<void> {
  await gotoReady(live.admin, `/c/${live.slug}`);
  await live.admin.getByRole('button', { name: 'End campaign now (admin)' }).click();
  await expect(live.admin.getByText('Campaign ended; settlement runs in the background.')).toBeVisible();
}

test('all-or-nothing: the card is saved, charged at the end, and the backer sees it', async ({ page, browser }) => {
  const live = await liveCampaign(browser, 'all_or_nothing', '30');
  await pledge(page, live.slug, '4242 4242 4242 4242');
  await page.waitForURL(/\/pledges\/[a-z0-9]+$/);
  await expect(page.getByText('Your card is saved and will be charged only if the goal is met.')).toBeVisible({ timeout: 15_000 });
  await waitForState(page, 'Card saved — charged if funded');
  await endNow(live);
  await waitForState(page, 'Charged');
  // The creator's public "where the money went" shows the charge.
  await gotoReady(page, `/c/${live.slug}`);
  await expect(page.getByRole('heading', { name: 'Where the money went' })).toBeVisible();
});

test('a declined card is refused at checkout; a card that fails later is retried, then dropped', async ({ page, browser }) => {
  const live = await liveCampaign(browser, 'all_or_nothing', '30');
  const good = await (await browser.newContext()).newPage();
  await pledge(good, live.slug, '4242424242424242');
  await expect(good.getByText('Your card is saved')).toBeVisible({ timeout: 15_000 });

  await pledge(page, live.slug, '4000 0000 0000 0002');
  await expect(page.getByRole('alert')).toContainText('Your card was declined.');
  await page.getByLabel('Card number').fill('4000 0000 0000 0341');
  await page.getByLabel('Expiry (MM/YY)').fill('12/40');
  await page.getByLabel('CVC').fill('123');
  await page.getByRole('button', { name: 'Save card' }).click();
  await expect(page.getByText('Your card is saved')).toBeVisible({ timeout: 15_000 });

  await endNow(live);
  await waitForState(page, 'Payment failed — update card');
  await expect(page.getByRole('button', { name: 'Update card' })).toBeVisible();
  await waitForState(page, 'Dropped after failed payments', 90_000);
  await waitForState(good, 'Charged');
});

test('a missed goal charges nobody', async ({ page, browser }) => {
  const live = await liveCampaign(browser, 'all_or_nothing', '1000');
  await pledge(page, live.slug, '4242424242424242');
  await expect(page.getByText('Your card is saved')).toBeVisible({ timeout: 15_000 });
  await endNow(live);
  await waitForState(page, 'Cancelled');
  await gotoReady(page, `/c/${live.slug}`);
  await expect(page.getByText('did not reach its goal. Nobody was charged.')).toBeVisible();
});

test('flexible: charged at once, then refunded by the backer', async ({ page, browser }) => {
  const live = await liveCampaign(browser, 'flexible', '500');
  await pledge(page, live.slug, '4242424242424242');
  await expect(page.getByText('Your payment went through')).toBeVisible({ timeout: 15_000 });
  await gotoReady(page, '/pledges');
  const card = page.locator('article.pledge').first();
  await expect(card).toContainText('Charged');
  await card.getByRole('button', { name: 'Refund me' }).click();
  await expect(card.getByRole('status')).toContainText('Refund started');
  await waitForState(page, 'Refunded');
});

test('a creator surveys paying backers and refunds one from the ledger page', async ({ page, browser }) => {
  const live = await liveCampaign(browser, 'flexible', '500');
  await pledge(page, live.slug, '4242424242424242');
  await expect(page.getByText('Your payment went through')).toBeVisible({ timeout: 15_000 });

  const creator = live.creator;
  await gotoReady(creator, `/campaigns/${live.id}/ledger`);
  await creator.getByLabel('Questions for your paying backers, one per line').fill('Postal address?\nT-shirt size?');
  await creator.getByRole('button', { name: 'Save the survey' }).click();
  await expect(creator.getByText('Survey saved.')).toBeVisible();

  await gotoReady(page, '/pledges');
  const card = page.locator('article.pledge').first();
  await card.getByLabel('Postal address?').fill('1 Main St');
  await card.getByLabel('T-shirt size?').fill('M');
  await card.getByRole('button', { name: 'Send answers' }).click();
  await expect(card.getByText('Thank you, your answers were sent.')).toBeVisible();

  await gotoReady(creator, `/campaigns/${live.id}/ledger`);
  await expect(creator.getByText('Answers so far: 1')).toBeVisible();
  const csv = await creator.request.get(`/campaigns/${live.id}/backers.csv`);
  expect(await csv.text()).toContain(',1 Main St,M');
  const row = creator.locator('table.refunds tbody tr').first();
  await row.getByRole('button', { name: 'Refund' }).click();
  await expect(creator.getByText('No paid pledges to refund.')).toBeVisible({ timeout: 15_000 });
  await waitForState(page, 'Refunded');
});

test('a pledge left awaiting payment: "Finish payment" opens the checkout, and cancelling asks first', async ({ page, browser }) => {
  const live = await liveCampaign(browser, 'flexible', '30');
  await signUp(page, newUser());
  await gotoReady(page, `/c/${live.slug}/pledge`);
  await page.getByLabel(/Early bird/).check();
  await page.getByRole('button', { name: 'Continue to payment' }).click();
  await page.waitForURL(/\/_stripe\/checkout\/cs_test_/);
  // The backer walks away from Checkout, then comes back through "My pledges".
  await gotoReady(page, '/pledges');
  const card = page.locator('article.pledge').first();
  await expect(card).toContainText('Awaiting payment');
  // A client-side route would show "Page not found" here: the link must leave the app.
  await card.getByRole('link', { name: 'Finish payment' }).click();
  await page.waitForURL(/\/_stripe\/checkout\/cs_test_/);
  await expect(page.getByLabel('Card number')).toBeVisible();

  await gotoReady(page, '/pledges');
  await card.getByRole('button', { name: 'Cancel pledge' }).click();
  await expect(card.getByText('Cancel this pledge?')).toBeVisible();
  await card.getByRole('button', { name: 'Keep my pledge' }).click();
  await expect(card).toContainText('Awaiting payment');
  await card.getByRole('button', { name: 'Cancel pledge' }).click();
  await card.getByRole('button', { name: 'Yes, cancel it' }).click();
  // The card changes at once, without a reload, and offers nothing more.
  await expect(card.locator('.pledge-state')).toHaveText('Cancelled');
  await expect(card.getByRole('link', { name: 'Finish payment' })).toBeHidden();
});
