/**
 * Writing in the web UI, at a desktop width and a phone's: the composer keeps what is typed while
 * a send is in flight and gives back a failed send's text; @ suggests members (an ARIA listbox
 * driven by the keyboard) and the message carries their ids; names and avatars come from
 * GET /users; links are links and message text is only ever text.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildWebIfStale } from '../../scripts/build-web-if-stale.ts';
import { createServerKey } from '../../src/db/server-keys.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { launchChromium } from './lib.ts';
import { DESKTOP, message, PHONE, shot, signIn, T, type Viewport } from './ui.ts';

// A 1×1 PNG: an avatar the host application hosts.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

let s: TestServer;
let browser: Browser;
let key: string;
let avatars: Server;
let avatarUrl: string;
const contexts: BrowserContext[] = [];
before(async () => {
  browser = await launchChromium();
  await buildWebIfStale();
  s = await startTestServer();
  key = (await createServerKey(s.sql, 'web-ui')).key;
  avatars = createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(PNG));
  await new Promise<void>((r) => avatars.listen(0, '127.0.0.1', r));
  avatarUrl = `http://127.0.0.1:${(avatars.address() as { port: number }).port}/bob.png`;
});
after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await s?.close();
  avatars?.close();
});

const server = (method: string, path: string, body?: unknown) =>
  s.raw(method, `/api/v1${path}`, { body, headers: { authorization: `Bearer ${key}` } });

/** A channel of `me` with two named classmates (one with an avatar), as the host would set it up. */
async function classroom(tag: string, me: string): Promise<{ id: string; bob: string; bea: string }> {
  const bob = `bob-${tag}`;
  const bea = `bea-${tag}`;
  for (const [id, body] of [
    [bob, { name: 'Bob Chen', avatar_url: avatarUrl }],
    [bea, { name: 'Bea Ray' }],
  ] as const) {
    assert.ok([200, 201].includes((await server('PUT', `/server/users/${id}`, body)).status));
  }
  const res = await s.as(me).post('/api/v1/channels', {
    type: 'group',
    name: `class-${tag}`,
    members: [{ user_id: bob }, { user_id: bea }],
  });
  assert.equal(res.status, 201);
  return { id: res.body.id, bob, bea };
}

async function openChannel(page: Page, viewport: Viewport, id: string): Promise<void> {
  // On a phone the list is in the drawer; its address opens a channel on any screen.
  if (viewport === PHONE) await page.evaluate((h) => (location.hash = h), `#/c/${id}`);
  else await page.locator(`.channel-item[data-channel="${id}"]`).click();
  await page.locator('.channel .composer textarea').waitFor(T);
}

for (const [label, viewport] of [
  ['desktop', DESKTOP],
  ['phone', PHONE],
] as const) {
  test(`${label}: text typed while a send is in flight stays; a refused send keeps its text and says why`, async () => {
    const me = `writer-${label}`;
    const { id } = await classroom(`send-${label}`, me);
    const page = await signIn(browser, contexts, s.url, me, 'Writer', viewport);
    await openChannel(page, viewport, id);
    const box = page.locator('.channel .composer textarea');

    // The database holds the insert (a real lock), so the send stays in flight while we type on.
    let locked!: () => void;
    let release!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const released = new Promise<void>((r) => (release = r));
    const holder = s.sql.begin(async (tx) => {
      await tx`LOCK TABLE channel_messages IN EXCLUSIVE MODE`;
      locked();
      await released;
    });
    await isLocked;
    await box.fill('first part of my answer');
    await box.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Sending…' }).waitFor(T);
    await box.pressSequentially('second thought', { delay: 10 });
    assert.equal(await message(page, 'first part of my answer').count(), 0, 'not stored yet');
    release();
    await holder;
    await message(page, 'first part of my answer').waitFor(T);
    assert.equal(await box.inputValue(), 'second thought');

    // Refused by the server (over 40,000 characters): the text comes back with the reason.
    const huge = `${'long '.repeat(8000)}end`;
    await box.fill(huge);
    await box.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'Not sent' }).waitFor(T);
    assert.equal(await box.inputValue(), huge);
    await shot(page, `${label}-send-refused`);
    const stored = await s.as(me).get(`/api/v1/channels/${id}/messages`);
    assert.deepEqual(
      stored.body.messages.map((m: { content: string }) => m.content),
      ['first part of my answer'],
    );
  });

  test(`${label}: @ suggests members by name, keys pick one, the message carries the mentioned ids; names and avatars show`, async () => {
    const me = `teacher-${label}`;
    const { id, bob, bea } = await classroom(`mention-${label}`, me);
    const page = await signIn(browser, contexts, s.url, me, 'Teacher', viewport);
    await openChannel(page, viewport, id);
    const box = page.locator('.channel .composer textarea');
    assert.equal(await box.getAttribute('aria-expanded'), 'false');

    await box.pressSequentially('Well done @b', { delay: 10 });
    const list = page.getByRole('listbox', { name: 'People to mention' });
    await list.waitFor(T);
    assert.equal(await box.getAttribute('aria-expanded'), 'true');
    assert.equal(await box.getAttribute('aria-controls'), await list.getAttribute('id'));
    const options = list.getByRole('option');
    assert.deepEqual((await options.allTextContents()).sort(), [`Bea Ray @${bea}`, `Bob Chen @${bob}`]);
    // Arrow keys move the active option (what a screen reader announces).
    const first = await box.getAttribute('aria-activedescendant');
    await box.press('ArrowDown');
    const second = await box.getAttribute('aria-activedescendant');
    assert.notEqual(first, second);
    assert.equal(await page.locator(`[id="${second}"]`).getAttribute('aria-selected'), 'true');
    await box.press('ArrowUp');
    assert.equal(await box.getAttribute('aria-activedescendant'), first);
    await shot(page, `${label}-mention-list`);
    // Escape closes the list and leaves the text.
    await box.press('Escape');
    await list.waitFor({ state: 'detached', ...T });
    assert.equal(await box.inputValue(), 'Well done @b');
    // Narrowed by name, picked with Tab.
    await box.pressSequentially('ea', { delay: 10 });
    await list.getByRole('option').filter({ hasText: 'Bea Ray' }).waitFor(T);
    assert.equal(await list.getByRole('option').count(), 1);
    await box.press('Tab');
    assert.equal(await box.inputValue(), `Well done @${bea} `);
    // …and one with Enter.
    await box.pressSequentially('and @Bo', { delay: 10 });
    await list.getByRole('option').filter({ hasText: 'Bob Chen' }).waitFor(T);
    await box.press('Enter');
    assert.equal(await box.inputValue(), `Well done @${bea} and @${bob} `);
    await box.press('Enter');
    await message(page, 'Well done').waitFor(T);
    const [sent] = (await s.as(me).get(`/api/v1/channels/${id}/messages`)).body.messages;
    assert.deepEqual([...sent.mentions].sort(), [bea, bob].sort());

    // Names (not ids) on messages, typing and members; the avatar the host set.
    assert.equal(
      (
        await s.raw('POST', `/api/v1/server/channels/${id}/messages`, {
          body: { content: 'Thanks!', user_id: bob },
          headers: { authorization: `Bearer ${key}` },
        })
      ).status,
      201,
    );
    const reply = message(page, 'Thanks!');
    await reply.locator('.author', { hasText: 'Bob Chen' }).waitFor(T);
    assert.equal(await reply.locator('.avatar img').getAttribute('src'), avatarUrl);
    await page.waitForFunction(
      () => (document.querySelector('.messages .avatar img') as HTMLImageElement | null)?.naturalWidth === 1,
      undefined,
      T,
    );
    const bobToken = await s.token(bob);
    await s.raw('POST', `/api/v1/channels/${id}/typing`, {
      body: {},
      headers: { authorization: `Bearer ${bobToken}` },
    });
    await page.getByTestId('typing').filter({ hasText: 'Bob Chen is typing' }).waitFor(T);
    await page.getByRole('button', { name: /^Members/ }).click();
    const members = page.getByRole('dialog', { name: 'Members' });
    await members.locator(`[data-member="${bea}"]`, { hasText: 'Bea Ray' }).waitFor(T);
    await shot(page, `${label}-members`);
    await page.keyboard.press('Escape');
    await members.waitFor({ state: 'detached', ...T });
  });
}

test('links are clickable and safe; message text is text, never HTML', async () => {
  const me = 'reader';
  const { id, bob } = await classroom('links', me);
  const hostile =
    'Look <img src=x onerror="window.__xss=1"> at https://example.com/page?a=1 or www.example.net, ' +
    'mail me@example.org, not javascript:window.__xss=2 <script>window.__xss=3</script>';
  const res = await server('POST', `/server/channels/${id}/messages`, { content: hostile, user_id: bob });
  assert.equal(res.status, 201);
  const page = await signIn(browser, contexts, s.url, me, 'Reader', DESKTOP);
  await openChannel(page, DESKTOP, id);
  const body = message(page, 'Look').locator('.msg-body');
  await body.waitFor(T);
  assert.equal((await body.textContent())?.trim(), hostile);
  assert.equal(await body.locator('img, script').count(), 0);
  assert.equal(await page.evaluate(() => (window as { __xss?: number }).__xss), undefined);
  const links = body.locator('a');
  const found = await links.evaluateAll((as) =>
    (as as HTMLAnchorElement[]).map((a) => ({ href: a.getAttribute('href'), rel: a.rel, target: a.target })),
  );
  const rel = 'noopener noreferrer nofollow';
  assert.deepEqual(found, [
    { href: 'https://example.com/page?a=1', rel, target: '_blank' },
    { href: 'http://www.example.net', rel, target: '_blank' },
    { href: 'mailto:me@example.org', rel, target: '_blank' },
  ]);
  await shot(page, 'desktop-links');

  // The list is a live log; every control has a name a screen reader says.
  const log = page.locator('.messages');
  assert.equal(await log.getAttribute('role'), 'log');
  assert.equal(await log.getAttribute('aria-live'), 'polite');
  await message(page, 'Look').hover();
  const unnamed = await page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('button, input, textarea, select, [role="combobox"]'))
      .filter((el) => el.offsetParent !== null || el.closest('#sidebar'))
      .filter((el) => {
        const label =
          el.getAttribute('aria-label') ||
          el.textContent?.trim() ||
          (el as HTMLInputElement).labels?.[0]?.textContent?.trim();
        return !label;
      })
      .map((el) => el.outerHTML.slice(0, 80)),
  );
  assert.deepEqual(unnamed, []);
});

test('the UI never writes HTML from strings (no innerHTML, no dangerouslySetInnerHTML in web/src)', () => {
  const dir = join(import.meta.dirname, '..', '..', 'web', 'src');
  const offenders = readdirSync(dir).filter((f) =>
    /innerHTML|dangerouslySetInnerHTML|insertAdjacentHTML/.test(readFileSync(join(dir, f), 'utf8')),
  );
  assert.deepEqual(offenders, []);
});
