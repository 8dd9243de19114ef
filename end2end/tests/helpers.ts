// Shared helpers for Cohort's browser tests.
//
// Every test makes its own users (see `newUser`), so tests never depend on one
// another or on the order they run in. The only shared account is the demo
// admin that the server seeds with `--seed-demo`.

import { expect, test, type Browser, type Locator, type Page, type Request, type Response } from '@playwright/test';

export const ADMIN = {
  email: 'admin@cohort.local',
  password: 'cohort-demo-admin',
};

/** Exact UI texts from the contract, in one place so a wording change is one edit. */
export const TEXT = {
  signupDone: 'We sent a verification link to',
  verified: 'Your email address is verified.',
  badVerifyLink: 'This verification link is invalid or has expired.',
  invalidEmail: 'Enter a valid email address.',
  weakPassword: 'Use at least 10 characters for your password.',
  emailTaken: 'An account with this email already exists.',
  handleTaken: 'That handle is taken.',
  badHandle: 'Handles use 3–30',
  wrongCredentials: 'Email or password is wrong.',
  tooManyAttempts: 'Too many attempts',
  forgotDone: 'If an account exists for that address, we sent a reset link.',
  resetDone: 'Your password is changed. You can log in now.',
  badResetLink: 'This reset link is invalid or has expired.',
  profileSaved: 'Profile saved.',
  avatarUpdated: 'Avatar updated.',
  avatarType: 'Avatar must be a PNG, JPEG, GIF or WebP image.',
  avatarSize: 'Avatar must be 2 MB or smaller.',
  creatorDone: 'You are a creator now.',
  adminOnly: 'Only admins can see this page.',
  notFound: 'Page not found',
  verifySubject: 'Verify your email for Cohort',
  resetSubject: 'Reset your Cohort password',
} as const;

/** A 16×16 RGB PNG, made for these tests. */
export const SMALL_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAB0klEQVR42gXBIQ5FAAAAUMdxAAdwAAcw0STJRJMk+9Ek6U00STLRJMlkh/nvBWEmysSZJJNmikyVaTN9ZszIrJk9c2WezJcJwlyUi3NJLs0VuSrX5vrcmJNbc3vuyj25LxeEpagUl5JSWipKVakt9aWxpLSW9tJVekpfKQhrUS2uJbW0VtSqWlvra2NNba3ttav21L5aEDaiRtxIGmmjaFSNttE3xobG2tgbV+NpfI0g7ESduJN00k7RqTptp++MHZ21s3euztP5OkH4E/3EP8lP+lP8VD/tT/8z/vhZf/af6+f5+X6CcBAN4kEySAfFoBq0g34wDgzWwT64Bs/gGwThJJrEk2SSTopJNWkn/WScmKyTfXJNnsk3CcJZNItnySydFbNq1s762TgzW2f77Jo9s28WhItoES+SRbooFtWiXfSLcWGxLvbFtXgW3yIIN9Em3iSbdFNsqk276Tfjxmbd7Jtr82y+TRAeokN8SA7poThUh/bQH8aDw3rYD9fhOXyHIDxFp/iUnNJTcapO7ak/jSen9bSfrtNz+k5BeItu8S25pbfiVt3aW38bb27rbb9dt+f23YLwFb3iV/JKX8WrerWv/jW+vNbX/rpez+t7/QFDcrgQlymSuAAAAABJRU5ErkJggg==',
  'base64',
);

export interface TestUser {
  email: string;
  displayName: string;
  handle: string;
  password: string;
}

function randomDigits(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += Math.floor(Math.random() * 10).toString();
  return out;
}

/** A fresh, unique user (not yet signed up). Handles match ^[a-z][a-z0-9_]{2,29}$. */
export function newUser(): TestUser {
  const stamp = Date.now().toString();
  const rnd = randomDigits(6);
  return {
    email: `e2e-${stamp}-${rnd}@example.com`,
    displayName: `E2E Tester ${rnd}`,
    handle: `e2e${stamp.slice(-8)}${rnd}`,
    password: `pw-${rnd}-long-enough`,
  };
}

/** The base URL of the server under test, as configured for this project. */
export function baseURL(): string {
  const fromProject = test.info().project.use.baseURL;
  return fromProject || process.env.COHORT_BASE_URL || 'http://127.0.0.1:3000';
}

/** Waits until the WebAssembly app has hydrated the page (`<body data-hydrated="true">`). */
export async function waitForHydrated(page: Page): Promise<void> {
  await page.waitForFunction(() => document.body?.dataset.hydrated === 'true', undefined, {
    timeout: 15_000,
  });
}

/** Navigates to `path` and waits for hydration before any interaction. */
export async function gotoReady(page: Page, path: string): Promise<Response | null> {
  const response = await page.goto(path);
  await waitForHydrated(page);
  return response;
}

// ---------------------------------------------------------------- locators

export function header(page: Page): Locator {
  return page.locator('header').first();
}

export function accountMenu(page: Page): Locator {
  return header(page).locator('details.account-menu');
}

export function headerLoginLink(page: Page, name = 'Log in'): Locator {
  return header(page).getByRole('link', { name, exact: true });
}

/** A role=status element containing `text`. */
export function status(page: Page, text: string): Locator {
  return page.getByRole('status').filter({ hasText: text }).first();
}

/** A role=alert element containing `text`. */
export function alert(page: Page, text: string): Locator {
  return page.getByRole('alert').filter({ hasText: text }).first();
}

export function field(page: Page, label: string): Locator {
  return page.getByLabel(label, { exact: true });
}

/**
 * Clicks a submit button and waits for the POST it causes to be answered
 * (a server-function fetch once hydrated, or a plain form POST otherwise).
 * This keeps repeated submissions (e.g. the login rate limit) in lock-step.
 * Only POSTs that start after the click count, so a request already in
 * flight is never mistaken for the answer. If no POST starts within a few
 * seconds (the app answered on the client), it simply returns.
 */
export async function submit(page: Page, buttonName: string): Promise<void> {
  const origin = new URL(baseURL()).origin;
  const posts: Request[] = [];
  const onRequest = (r: Request) => {
    if (r.method() === 'POST' && r.url().startsWith(origin)) posts.push(r);
  };
  page.on('request', onRequest);
  try {
    await page.getByRole('button', { name: buttonName, exact: true }).click();
    const deadline = Date.now() + 3_000;
    while (posts.length === 0 && Date.now() < deadline) {
      await page.waitForTimeout(50);
    }
    if (posts.length > 0) await posts[0].response();
  } finally {
    page.off('request', onRequest);
  }
}

/**
 * Turns off the browser's own constraint validation (type=email, minlength,
 * pattern, required) on every form, so a bad value reaches the app and the
 * test sees the app's own role=alert message.
 */
export async function disableNativeValidation(page: Page): Promise<void> {
  await page.evaluate(() => {
    for (const form of Array.from(document.forms)) form.noValidate = true;
  });
}

// ---------------------------------------------------------------- flows

/** Fills and submits the sign-up form (does not check the outcome). */
export async function fillSignup(page: Page, user: TestUser, opts: { noValidate?: boolean } = {}): Promise<void> {
  await gotoReady(page, '/signup');
  if (opts.noValidate) await disableNativeValidation(page);
  await field(page, 'Email').fill(user.email);
  await field(page, 'Display name').fill(user.displayName);
  await field(page, 'Handle').fill(user.handle);
  await field(page, 'Password').fill(user.password);
  await submit(page, 'Create account');
}

/** Signs `user` up and checks they are logged in afterwards. */
export async function signUp(page: Page, user: TestUser): Promise<void> {
  await fillSignup(page, user);
  await expect(status(page, TEXT.signupDone)).toBeVisible();
  await expect(accountMenu(page).locator('summary')).toContainText(user.displayName);
}

/** Fills and submits the login form (does not check the outcome). */
export async function fillLogin(page: Page, email: string, password: string): Promise<void> {
  if (new URL(page.url(), baseURL()).pathname !== '/login') {
    await gotoReady(page, '/login');
  }
  await field(page, 'Email').fill(email);
  await field(page, 'Password').fill(password);
  await submit(page, 'Log in');
}

/** Logs in and checks the redirect to `/` and the account menu. */
export async function logIn(page: Page, email: string, password: string, displayName?: string): Promise<void> {
  await gotoReady(page, '/login');
  await fillLogin(page, email, password);
  await expect(page).toHaveURL((url) => url.pathname === '/');
  await waitForHydrated(page);
  const summary = accountMenu(page).locator('summary');
  await expect(summary).toBeVisible();
  if (displayName) await expect(summary).toContainText(displayName);
}

/** Opens the account menu (a `<details>`) unless it is open already. */
export async function openAccountMenu(page: Page): Promise<Locator> {
  const menu = accountMenu(page);
  if (!(await menu.evaluate((d: HTMLDetailsElement) => d.open))) {
    await menu.locator('summary').click();
  }
  await expect(menu).toHaveJSProperty('open', true);
  return menu;
}

export async function logOut(page: Page): Promise<void> {
  const menu = await openAccountMenu(page);
  await menu.getByRole('button', { name: 'Log out', exact: true }).click();
  await expect(headerLoginLink(page)).toBeVisible();
  await expect(menu).toHaveCount(0);
}

// ---------------------------------------------------------------- mail

interface OutboxMail {
  to: string;
  subject: string;
  body: string;
}

/**
 * Reads the newest mail to `to` with subject `subject` from /admin/outbox,
 * as the demo admin in a separate browser context, and returns the path
 * (plus query) of the first `…/<kind>/TOKEN` URL in its body.
 */
export async function linkFromOutbox(
  browser: Browser,
  to: string,
  subject: string,
  kind: 'verify' | 'reset',
): Promise<string> {
  const context = await browser.newContext({ baseURL: baseURL(), viewport: { width: 1280, height: 800 } });
  try {
    const admin = await context.newPage();
    await logIn(admin, ADMIN.email, ADMIN.password);

    let mail: OutboxMail | undefined;
    await expect(async () => {
      await gotoReady(admin, '/admin/outbox');
      const mails = await admin.locator('article.mail').evaluateAll((articles) =>
        articles.map((a) => ({
          to: a.querySelector('.mail-to')?.textContent ?? '',
          subject: a.querySelector('h2')?.textContent ?? '',
          body: a.querySelector('pre.mail-body')?.textContent ?? '',
        })),
      );
      // Newest first: the first match is the newest one.
      mail = mails.find(
        (m) => recipientOf(m.to) === to.toLowerCase() && m.subject.trim() === subject,
      );
      expect(mail, `a mail to ${to} with subject "${subject}" in the outbox`).toBeDefined();
    }).toPass({ timeout: 15_000, intervals: [250, 500, 1000] });

    const body = mail!.body;
    const match = new RegExp(`https?://[^\\s"'<>]*?/${kind}/[A-Za-z0-9_\\-~%=]+`).exec(body);
    expect(match, `a /${kind}/TOKEN link in the mail body:\n${body}`).not.toBeNull();
    const url = new URL(match![0]);
    return url.pathname + url.search;
  } finally {
    await context.close();
  }
}

/** The address in a `.mail-to` element, tolerating a "To:" label before it. */
function recipientOf(text: string): string {
  return text
    .trim()
    .replace(/^(to|收件人)\s*[:：]?\s*/i, '')
    .replace(/^<|>$/g, '')
    .trim()
    .toLowerCase();
}
