// Campaigns and pledges made through the app's own API and the simulator's hosted checkout,
// shared by the payment and course journeys.

import { expect, type Browser, type Page } from '@playwright/test';
import { ADMIN, gotoReady, logIn, newUser, signUp } from './helpers';

export function day(offset: number): string {
  return new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
}

export async function csrf(page: Page): Promise<string> {
  return (await page.locator('meta[name="csrf-token"]').getAttribute('content')) ?? '';
}

export async function api(page: Page, name: string, form: Record<string, string>) {
  const res = await page.request.post(`/api/${name}`, { form: { csrf: await csrf(page), ...form } });
  expect(res.status(), `${name}: ${await res.text()}`).toBe(200);
  return res.json();
}

export interface Live {
  slug: string;
  id: string;
  admin: Page;
  /** Signed in as the campaign's creator. */
  creator: Page;
}

/** A live campaign made through the app's own API: a creator, then an admin's approval. */
export async function liveCampaign(browser: Browser, mode: string, goal: string): Promise<Live> {
  const creatorPage = await (await browser.newContext()).newPage();
  const creator = newUser();
  await signUp(creatorPage, creator);
  await api(creatorPage, 'become_creator', {});
  const slug = `pay-${creator.handle.slice(-10)}`;
  const id: string = await api(creatorPage, 'start_campaign', { title: `Pledge test ${slug}`, category: 'course' });
  const draft = {
    title: `Pledge test ${slug}`, slug, pitch: 'A short course to test pledging end to end.',
    story: 'Lessons and exercises.', video_url: '', category: 'course', tags: 'test',
    currency: 'USD', goal, starts_on: day(0), ends_on: day(20), mode, faq: [],
    tiers: [{ id: null, title: 'Early bird', description: 'The course.', min_amount: '30', quantity: '50', delivery: '', grants: 'course' }],
    stretch_goals: [], milestones: [],
  };
  const saved = await creatorPage.request.post('/api/save_campaign', { data: { csrf: await csrf(creatorPage), id, draft } });
  expect(saved.status(), await saved.text()).toBe(200);
  await api(creatorPage, 'submit_campaign', { id });
  const admin = await (await browser.newContext()).newPage();
  await logIn(admin, ADMIN.email, ADMIN.password);
  expect(await api(admin, 'review_campaign', { id, approve: 'true' })).toBe('live');
  return { slug, id, admin, creator: creatorPage };
}

/** Signs up a backer, picks the Early bird reward and goes through Checkout with `card`. */
export async function pledge(page: Page, slug: string, card: string): Promise<void> {
  await signUp(page, newUser());
  await gotoReady(page, `/c/${slug}`);
  await page.getByRole('link', { name: 'Back this campaign' }).click();
  await page.waitForURL(`**/c/${slug}/pledge`);
  await gotoReady(page, `/c/${slug}/pledge`);
  await page.getByLabel(/Early bird/).check();
  await expect(page.getByLabel(/Pledge amount/)).toHaveValue('30.00');
  await page.getByRole('button', { name: 'Continue to payment' }).click();
  await page.waitForURL(/\/_stripe\/checkout\/cs_test_/);
  await expect(page.getByText('Test mode')).toBeVisible();
  await page.getByLabel('Card number').fill(card);
  await page.getByLabel('Expiry (MM/YY)').fill('12/40');
  await page.getByLabel('CVC').fill('123');
  await page.getByRole('button', { name: /Save card|Pay/ }).click();
}

