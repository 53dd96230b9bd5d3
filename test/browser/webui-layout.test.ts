/**
 * The web UI's layout at a desktop width and a phone's (390 px): on a phone the conversation list
 * is a drawer (toggle with aria-expanded, Escape, focus), threads take the screen, nothing
 * overflows; channels and messages have addresses that survive a reload and follow back/forward.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildWebIfStale } from '../../scripts/build-web-if-stale.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { launchChromium } from './lib.ts';
import { DESKTOP, message, PHONE, send, shot, signIn, T } from './ui.ts';

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

async function channelWith(owner: string, name: string, members: string[]): Promise<string> {
  const res = await s.as(owner).post('/api/v1/channels', {
    type: 'group',
    name,
    members: members.map((user_id) => ({ user_id })),
  });
  assert.equal(res.status, 201);
  return res.body.id;
}

const focusedInSidebar = (page: Page) => page.evaluate(() => !!document.activeElement?.closest('#sidebar'));
const noSideScroll = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

test('on a phone the list is a drawer: toggle, Escape, focus, closes on a choice; messages, composer and thread fit', async () => {
  const id = await channelWith('quinn', 'homework-help', ['pat']);
  await channelWith('quinn', 'second-channel', ['pat']);
  const long =
    'Could you explain the second part of question four again? I understood the first half but then the ' +
    'substitution step lost me completely, and the worked example in the book skips it.';
  assert.equal((await s.as('quinn').post(`/api/v1/channels/${id}/messages`, { content: long })).status, 201);

  const page = await signIn(browser, contexts, s.url, 'pat', 'Pat Doe', PHONE);
  const toggle = page.getByRole('button', { name: 'Conversations' });
  const sidebar = page.locator('#sidebar');
  // Closed: the list is off screen and out of reach.
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  assert.equal(await toggle.getAttribute('aria-controls'), 'sidebar');
  assert.equal(await sidebar.isVisible(), false);
  await shot(page, 'phone-empty');

  // Open: visible, focus inside; Escape closes and gives focus back to the toggle.
  await toggle.click();
  await sidebar.waitFor({ state: 'visible', ...T });
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  await page.waitForFunction(() => !!document.activeElement?.closest('#sidebar'), undefined, T);
  // (after its slide-in)
  await page.waitForFunction(() => document.getElementById('sidebar')?.getBoundingClientRect().x === 0, undefined, T);
  await shot(page, 'phone-drawer-open');
  await page.keyboard.press('Escape');
  await sidebar.waitFor({ state: 'hidden', ...T });
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  await page.waitForFunction(() => document.activeElement?.id === 'drawer-toggle', undefined, T);
  assert.equal(await focusedInSidebar(page), false);

  // Choosing a conversation closes the drawer and opens it.
  await toggle.click();
  await page.locator('.channel-item', { hasText: 'homework-help' }).click();
  await sidebar.waitFor({ state: 'hidden', ...T });
  await page.locator('.channel-head h2', { hasText: 'homework-help' }).waitFor(T);
  assert.equal(new URL(page.url()).hash, `#/c/${id}`);

  // The message uses the width (a 220 px column left ~150 px: a word a line).
  const body = await message(page, 'question four').locator('.msg-body').boundingBox();
  assert.ok(body && body.width > 280, `message body ${body?.width} px wide on a 390 px screen`);
  const composer = await page.locator('.channel .composer').boundingBox();
  assert.ok(composer && composer.x >= 0 && composer.x + composer.width <= PHONE.width, JSON.stringify(composer));
  assert.ok(await noSideScroll(page), 'no horizontal scrolling');
  await shot(page, 'phone-channel');

  // A thread takes the whole screen; Escape goes back to the channel.
  await send(page, 'I will try it now');
  const mine = message(page, 'I will try it now');
  await mine.waitFor(T);
  await mine.click();
  await mine.getByRole('button', { name: 'Reply in thread' }).click();
  const thread = page.locator('.thread');
  await thread.locator('.msg', { hasText: 'I will try it now' }).waitFor(T);
  const box = await thread.boundingBox();
  assert.deepEqual(box && { x: box.x, width: box.width, height: box.height }, {
    x: 0,
    width: PHONE.width,
    height: PHONE.height,
  });
  const reply = await thread.locator('.composer').boundingBox();
  assert.ok(reply && reply.x + reply.width <= PHONE.width);
  await send(page, 'Step one done', '.thread');
  await thread.locator('.msg', { hasText: 'Step one done' }).waitFor(T);
  await shot(page, 'phone-thread');
  await thread.getByRole('button', { name: 'Close thread' }).focus();
  await page.keyboard.press('Escape');
  await thread.waitFor({ state: 'detached', ...T });
});

test('on a desktop the list stays a column; channel and message addresses survive reload and follow back and forward', async () => {
  const first = await channelWith('rosa', 'maths', ['sam']);
  const second = await channelWith('rosa', 'physics', ['sam']);
  await s.sql`
    INSERT INTO channel_messages (channel_id, user_id, content)
    SELECT ${first}, 'rosa', 'maths note ' || g FROM generate_series(1, 70) g`;
  const [old] = await s.sql<{ id: string }[]>`
    SELECT id FROM channel_messages WHERE channel_id = ${first} AND content = 'maths note 3'`;

  const page = await signIn(browser, contexts, s.url, 'sam', 'Sam Poe', DESKTOP);
  assert.equal(await page.locator('#sidebar').isVisible(), true);
  assert.equal(await page.getByRole('button', { name: 'Conversations' }).isVisible(), false);

  await page.locator('.channel-item', { hasText: 'maths' }).click();
  await message(page, 'maths note 70').waitFor(T);
  assert.equal(new URL(page.url()).hash, `#/c/${first}`);
  await page.reload();
  await message(page, 'maths note 70').waitFor(T);
  await page.locator('.channel-head h2', { hasText: 'maths' }).waitFor(T);

  // A message's address pages back to it (it is not in the newest page), scrolls to it and marks it.
  await page.goto(`${s.url}/#/c/${first}/m/${old!.id}`);
  const target = page.locator(`.msg.highlight[data-message="${old!.id}"]`);
  await target.waitFor(T);
  assert.equal(await target.getAttribute('aria-current'), 'true');
  await page.waitForFunction(
    (id) => {
      const el = document.querySelector(`[data-message="${id}"]`);
      const list = document.querySelector('.messages');
      if (!el || !list) return false;
      const a = el.getBoundingClientRect();
      const b = list.getBoundingClientRect();
      return a.top >= b.top && a.bottom <= b.bottom;
    },
    old!.id,
    T,
  );
  await shot(page, 'desktop-message-link');

  // Another channel, then back (the message again) and forward.
  await page.locator('.channel-item', { hasText: 'physics' }).click();
  await page.locator('.channel-head h2', { hasText: 'physics' }).waitFor(T);
  assert.equal(new URL(page.url()).hash, `#/c/${second}`);
  await page.goBack();
  await page.locator('.channel-head h2', { hasText: 'maths' }).waitFor(T);
  await target.waitFor(T);
  await page.goForward();
  await page.locator('.channel-head h2', { hasText: 'physics' }).waitFor(T);

  // An address of a channel one is not in shows nothing of it.
  const foreign = await channelWith('rosa', 'staff-room', []);
  await page.goto(`${s.url}/#/c/${foreign}`);
  await page.getByRole('alert').filter({ hasText: 'not one of yours' }).waitFor(T);
  assert.equal(await page.locator('.channel-head h2', { hasText: 'staff-room' }).count(), 0);
  await shot(page, 'desktop-layout');
});
