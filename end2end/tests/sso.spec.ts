// Sign-in with an OpenID Connect provider (oauth2-mock-server, started by scripts/test.sh).

import { expect, test } from '@playwright/test';
import { gotoReady } from './helpers';

test('a person signs in with the OpenID Connect provider and lands signed in', async ({ page }) => {
  await gotoReady(page, '/login');
  const sso = page.getByRole('link', { name: /Continue with Mock SSO/ });
  await expect(sso).toBeVisible();
  await sso.click();
  await page.waitForURL((url) => url.pathname === '/');
  await expect(page.locator('header details.account-menu summary')).toContainText('SSO Learner');
});

test('a callback that this browser did not start is refused', async ({ page }) => {
  await page.goto('/auth/oidc/callback?code=stolen&state=forged');
  await expect(page).toHaveURL(/\/login\?sso=state/);
  await expect(page.getByRole('alert')).toContainText('Signing in with your provider did not work');
});
