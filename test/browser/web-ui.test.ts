/**
 * The built chat UI, driven as two people would: two browser contexts, two users. One creates a
 * channel with the other and writes; the other sees it live, reacts, types, replies in a thread.
 * Screenshots go to /tmp/parley-ui-*.png.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildWebIfStale } from '../../scripts/build-web-if-stale.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { launchChromium } from './lib.ts';

const SHOTS = process.env.PARLEY_SCREENSHOT_DIR ?? '/tmp';
const T = { timeout: 15_000 };

let s: TestServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
before(async () => {
  browser = await launchChromium();
  // The server serves web/dist only if it exists when it starts: build first.
  await buildWebIfStale();
  s = await startTestServer();
});
after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await s?.close();
});

async function signIn(userId: string, name: string): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  contexts.push(ctx);
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(s.url);
  await page.getByText('Local demo mode').waitFor(T);
  await page.getByLabel('User id').fill(userId);
  await page.getByLabel('Display name').fill(name);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor(T);
  assert.deepEqual(errors, []);
  return page;
}

const message = (page: Page, text: string) => page.locator('.messages .msg', { hasText: text });

async function send(page: Page, text: string, where = '.channel'): Promise<void> {
  const box = page.locator(`${where} .composer textarea`);
  await box.fill(text);
  await box.press('Enter');
}

test('two users chat live in the web UI: channel, message, unread badge, reaction, typing, read receipt, thread, edit', async () => {
  const alice = await signIn('alice', 'Alice Martin');
  const bob = await signIn('bob', 'Bob Chen');

  // Alice creates a group with Bob.
  await alice.getByRole('button', { name: 'New channel' }).click();
  await alice.getByLabel('Name').fill('design-team');
  await alice.getByLabel('Members').fill('bob');
  await alice.getByRole('button', { name: 'Create' }).click();
  await alice.locator('.channel-head h2', { hasText: 'design-team' }).waitFor(T);

  // Bob's list gets the channel live; a message while he looks elsewhere shows as unread.
  const bobItem = bob.locator('.channel-item', { hasText: 'design-team' });
  await bobItem.waitFor(T);
  await send(alice, 'Hi Bob! The new mockups are ready 🎨');
  await message(alice, 'The new mockups are ready').waitFor(T);
  await bobItem.getByTestId('unread').filter({ hasText: '1' }).waitFor(T);

  // Bob opens it: history shows the message, the badge goes, Alice sees "Seen by Bob Chen" (his name, not his id).
  await bobItem.click();
  await message(bob, 'The new mockups are ready').waitFor(T);
  await bobItem.getByTestId('unread').waitFor({ state: 'detached', ...T });
  await message(alice, 'The new mockups are ready').locator('.seen', { hasText: 'Seen by Bob Chen' }).waitFor(T);

  // Both are online: the header's member list shows Bob's green dot to Alice.
  await alice.locator('.member-stack [title^="bob"] .dot.on').waitFor(T);

  // Live while open.
  await send(alice, 'Could you review them before Friday?');
  await message(bob, 'before Friday').waitFor(T);

  // Bob reacts; Alice sees the reaction appear.
  const target = message(bob, 'The new mockups are ready');
  await target.hover();
  await target.getByRole('button', { name: 'Add reaction' }).click();
  await target.getByRole('button', { name: 'React 👍' }).click();
  const aliceReaction = message(alice, 'The new mockups are ready').locator('.reaction', { hasText: '👍' });
  await aliceReaction.waitFor(T);
  assert.equal((await aliceReaction.locator('.count').textContent())?.trim(), '1');

  await send(bob, 'Looks great, on it!');
  await message(alice, 'Looks great, on it!').waitFor(T);

  // Bob starts typing: Alice sees the indicator.
  await bob.locator('.channel .composer textarea').pressSequentially('Sure, I will', { delay: 20 });
  await alice.getByTestId('typing').filter({ hasText: 'Bob Chen is typing' }).waitFor(T);
  await alice.mouse.move(640, 700);
  await alice.screenshot({ path: `${SHOTS}/parley-ui-alice.png` });

  // Alice replies in a thread; Bob sees the reply count and opens the thread.
  const aliceMsg = message(alice, 'before Friday');
  await aliceMsg.hover();
  await aliceMsg.getByRole('button', { name: 'Reply in thread' }).click();
  await alice.locator('.thread .msg', { hasText: 'before Friday' }).waitFor(T);
  await send(alice, 'Especially the onboarding screens.', '.thread');
  await alice.locator('.thread .msg', { hasText: 'onboarding screens' }).waitFor(T);
  const replies = message(bob, 'before Friday').locator('.thread-link', { hasText: '1 reply' });
  await replies.waitFor(T);
  await replies.click();
  await bob.locator('.thread .msg', { hasText: 'onboarding screens' }).waitFor(T);
  await send(bob, 'Will do 👍', '.thread');
  await alice.locator('.thread .msg', { hasText: 'Will do' }).waitFor(T);

  // Alice edits her first message; Bob sees the edit.
  const first = message(alice, 'The new mockups are ready');
  await first.hover();
  await first.getByRole('button', { name: 'Edit message' }).click();
  const editor = alice.getByRole('textbox', { name: 'Edit message' });
  await editor.fill('Hi Bob! The new mockups (v2) are ready 🎨');
  await editor.press('Enter');
  await message(bob, 'mockups (v2)').locator('.edited').waitFor(T);

  await bob.mouse.move(640, 700);
  await bob.screenshot({ path: `${SHOTS}/parley-ui-bob.png` });
});

test('the web UI pages back through history, shows unread and mention badges, and starts a direct message', async () => {
  const api = s.as('dave');
  const big = await api.post('/api/v1/channels', { type: 'group', name: 'archive', members: [{ user_id: 'carol' }] });
  assert.equal(big.status, 201);
  await s.sql`
    INSERT INTO channel_messages (channel_id, user_id, content)
    SELECT ${big.body.id}, 'dave', 'old message ' || g FROM generate_series(1, 45) g`;
  const lessons = await api.post('/api/v1/channels', {
    type: 'tutor_student',
    name: 'lessons',
    members: [{ user_id: 'carol' }],
  });
  assert.equal(lessons.status, 201);

  const carol = await signIn('carol', 'Carol');
  // A mention while Carol looks elsewhere: unread and mention badges on that channel.
  const mentioned = await api.post(`/api/v1/channels/${lessons.body.id}/messages`, {
    content: '@carol your homework is graded',
    mentions: ['carol'],
  });
  assert.equal(mentioned.status, 201);
  const lessonsItem = carol.locator('.channel-item', { hasText: 'lessons' });
  await lessonsItem.locator('.badge.mention', { hasText: '@1' }).waitFor(T);
  await lessonsItem.getByTestId('unread').filter({ hasText: '1' }).waitFor(T);
  await carol.screenshot({ path: `${SHOTS}/parley-ui-badges.png` });
  await lessonsItem.click();
  await message(carol, 'homework is graded').waitFor(T);
  await lessonsItem
    .locator('.badge')
    .first()
    .waitFor({ state: 'detached', ...T });

  // History: the newest page first, older ones on demand.
  await carol.locator('.channel-item', { hasText: 'archive' }).click();
  await message(carol, 'old message 45').waitFor(T);
  const oldest = carol.locator('.messages .msg-body', { hasText: /^old message 1$/ });
  assert.equal(await oldest.count(), 0);
  await carol.getByRole('button', { name: 'Load older messages' }).click();
  await oldest.waitFor(T);
  await carol.getByText('This is the start of archive.').waitFor(T);

  // A direct message, started from the sidebar.
  await carol.getByRole('button', { name: 'New direct message' }).click();
  await carol.getByLabel('User id').fill('dave');
  await carol.getByRole('button', { name: 'Start' }).click();
  await carol.locator('.channel-head h2', { hasText: 'dave' }).waitFor(T);
  await send(carol, 'Thanks for grading!');
  await message(carol, 'Thanks for grading!').waitFor(T);
  const dm = await s.as('dave').post('/api/v1/direct-messages', { user_id: 'carol' });
  assert.equal(dm.status, 200);
  const history = await s.as('dave').get(`/api/v1/channels/${dm.body.id}/messages`);
  assert.deepEqual(
    history.body.messages.map((m: { content: string }) => m.content),
    ['Thanks for grading!'],
  );
  await carol.screenshot({ path: `${SHOTS}/parley-ui-carol.png` });
});

test("after the browser's network drops, the UI's EventSource stream resumes and shows what was sent meanwhile, once", async () => {
  const created = await s
    .as('erin')
    .post('/api/v1/channels', { type: 'group', name: 'flaky-wifi', members: [{ user_id: 'frank' }] });
  assert.equal(created.status, 201);
  const channelId = created.body.id as string;
  const frank = await signIn('frank', 'Frank');
  await frank.locator('.channel-item', { hasText: 'flaky-wifi' }).click();
  await s.as('erin').post(`/api/v1/channels/${channelId}/messages`, { content: 'before the drop' });
  await message(frank, 'before the drop').waitFor(T);

  const streams: string[] = [];
  frank.on('request', (r) => {
    if (r.url().includes('/api/v1/events')) streams.push(r.url());
  });
  // Offline (new requests fail), then the server drops every open connection: the stream is down.
  await frank.context().setOffline(true);
  s.parley.app.server.closeAllConnections();
  await frank.getByTestId('connection').filter({ hasText: 'Reconnecting' }).waitFor(T);
  for (const content of ['while offline 1', 'while offline 2']) {
    assert.equal((await s.as('erin').post(`/api/v1/channels/${channelId}/messages`, { content })).status, 201);
  }
  await frank.context().setOffline(false);
  await frank.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor({ timeout: 60_000 });
  await message(frank, 'while offline 2').waitFor(T);
  const bodies = await frank.locator('.messages .msg-body').allTextContents();
  assert.deepEqual(bodies, ['before the drop', 'while offline 1', 'while offline 2']);
  // It resumed (last_event_id in the query: EventSource cannot send headers) instead of reloading.
  const resumed = streams.map((u) => new URL(u).searchParams.get('last_event_id')).filter(Boolean);
  assert.ok(resumed.length > 0, `a stream request with last_event_id; saw ${streams.join(' ')}`);
});
