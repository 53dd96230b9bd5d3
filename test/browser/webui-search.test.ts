/**
 * Search in the web UI against the real GET /search: results from the caller's channels only, the
 * matches marked with <mark> around slices of the snippet (text, never HTML), and a result opens
 * its message at its address (scrolled to, highlighted); on a phone from inside the drawer.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { buildWebIfStale } from '../../scripts/build-web-if-stale.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { launchChromium } from './lib.ts';
import { DESKTOP, PHONE, shot, signIn, T } from './ui.ts';

let s: TestServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
before(async () => {
  browser = await launchChromium();
  await buildWebIfStale();
  s = await startTestServer();
});
after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await s?.close();
});

for (const [label, viewport] of [
  ['desktop', DESKTOP],
  ['phone', PHONE],
] as const) {
  test(`${label}: a search shows marked snippets from my channels only, and a result opens its message`, async () => {
    const me = `searcher-${label}`;
    const mine = await s.as('tutor').post('/api/v1/channels', {
      type: 'group',
      name: `revision-${label}`,
      members: [{ user_id: me }],
    });
    assert.equal(mine.status, 201);
    const other = await s.as('tutor').post('/api/v1/channels', { type: 'group', name: `staff-${label}` });
    assert.equal(other.status, 201);
    const post = async (channel: string, content: string) => {
      const r = await s.as('tutor').post(`/api/v1/channels/${channel}/messages`, { content });
      assert.equal(r.status, 201);
      return r.body.id as string;
    };
    const target = await post(mine.body.id, 'Remember the <b>quadratic</b> formula for Friday');
    await s.sql`
      INSERT INTO channel_messages (channel_id, user_id, content)
      SELECT ${mine.body.id}, 'tutor', 'filler ' || g FROM generate_series(1, 60) g`;
    await post(other.body.id, 'quadratic marking scheme for staff only');

    const page = await signIn(browser, contexts, s.url, me, 'Searcher', viewport);
    if (viewport === PHONE) await page.getByRole('button', { name: 'Conversations' }).click();
    const box = page.getByRole('searchbox', { name: 'Search messages' });
    await box.fill('quadratic');
    await box.press('Enter');
    const results = page.getByRole('region', { name: 'Search results' });
    await results.getByText('1 message').waitFor(T);
    const hit = results.locator('.search-hit');
    assert.equal(await hit.count(), 1);
    assert.equal(
      await hit
        .locator('mark')
        .allTextContents()
        .then((t) => t.join('|')),
      'quadratic',
    );
    assert.ok((await hit.locator('.hit-text').textContent())?.includes('<b>quadratic</b>'));
    assert.equal(await hit.locator('b').count(), 0);
    assert.equal(await results.getByText('staff only').count(), 0);
    await shot(page, `${label}-search-results`);

    await hit.click();
    await page.locator(`.msg.highlight[data-message="${target}"]`).waitFor(T);
    assert.equal(new URL(page.url()).hash, `#/c/${mine.body.id}/m/${target}`);
    if (viewport === PHONE) await page.locator('#sidebar').waitFor({ state: 'hidden', ...T });
    await shot(page, `${label}-search-opened`);

    // Nothing found is said so.
    if (viewport === PHONE) await page.getByRole('button', { name: 'Conversations' }).click();
    await box.fill('trigonometry');
    await box.press('Enter');
    await results.getByText('No messages found.').waitFor(T);
  });
}
