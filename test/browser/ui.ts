/** Helpers of the web UI's browser tests (not a test file): sign-in at a viewport, screenshots. */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** Gitignored: look at them after a run. */
export const SHOTS = process.env.PARLEY_SCREENSHOT_DIR ?? join(dirname(fileURLToPath(import.meta.url)), 'screenshots');
mkdirSync(SHOTS, { recursive: true });

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
export const T = { timeout: 15_000 };

export type Viewport = typeof DESKTOP;

/** A fresh browser context at a viewport; page errors fail the test when it calls `errors()`. */
export async function openPage(
  browser: Browser,
  contexts: BrowserContext[],
  viewport: Viewport,
): Promise<{ page: Page; errors: string[] }> {
  const ctx = await browser.newContext({ viewport, hasTouch: viewport.width < 500 });
  contexts.push(ctx);
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { page, errors };
}

/** Signs in with the demo form (the server runs with dev auth) and waits for the stream. */
export async function signIn(
  browser: Browser,
  contexts: BrowserContext[],
  url: string,
  userId: string,
  name: string,
  viewport: Viewport = DESKTOP,
): Promise<Page> {
  const { page, errors } = await openPage(browser, contexts, viewport);
  await page.goto(url);
  await page.getByLabel('User id').fill(userId);
  await page.getByLabel('Display name').fill(name);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitConnected(page, viewport);
  assert.deepEqual(errors, []);
  return page;
}

/** The connection state is in the sidebar, which a phone keeps in a closed drawer: read it, visible or not. */
export async function waitConnected(page: Page, _viewport?: Viewport): Promise<void> {
  await page
    .getByTestId('connection')
    .filter({ hasText: 'Connected' })
    .waitFor({ state: 'attached', ...T });
}

export const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });

export const message = (page: Page, text: string) => page.locator('.messages .msg', { hasText: text });

export async function send(page: Page, text: string, where = '.channel'): Promise<void> {
  const box = page.locator(`${where} .composer textarea`);
  await box.fill(text);
  await box.press('Enter');
}
