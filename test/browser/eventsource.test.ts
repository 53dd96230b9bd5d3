/**
 * The origin document's client, as a browser runs it: a plain page with the browser's own
 * EventSource on /api/v1/sse/{user_id}?access_token=…, receiving a message inserted by plain SQL
 * and one posted through the API.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { launchChromium } from './lib.ts';

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>plain EventSource</title></head>
<body><ul id="log"></ul>
<script>
  window.received = [];
  window.errors = 0;
  window.listen = (userId, token) => {
    const es = new EventSource('/api/v1/sse/' + encodeURIComponent(userId) + '?access_token=' + encodeURIComponent(token));
    es.onmessage = (e) => {
      const ev = JSON.parse(e.data);
      window.received.push({ ev, lastEventId: e.lastEventId });
      const li = document.createElement('li');
      li.textContent = ev.type + (ev.type === 'new_message' ? ': ' + ev.data.content : '');
      document.getElementById('log').appendChild(li);
    };
    es.onerror = () => { window.errors++; window.state = es.readyState; };
    window.es = es;
  };
</script></body></html>`;

let s: TestServer;
let browser: Browser;
before(async () => {
  browser = await launchChromium();
  s = await startTestServer();
});
after(async () => {
  await browser?.close();
  await s?.close();
});

interface Got {
  ev: { type: string; data: Record<string, unknown>; pos?: number; channel_id: string | null };
  lastEventId: string;
}

async function plainPage(): Promise<Page> {
  const page = await browser.newPage();
  // The page comes from the server's origin (so EventSource is same-origin), its stream from the server itself.
  await page.route(`${s.url}/plain-eventsource.html`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: PAGE }),
  );
  await page.goto(`${s.url}/plain-eventsource.html`);
  return page;
}

const received = (page: Page) => page.evaluate(() => (window as unknown as { received: Got[] }).received);

test("a browser's EventSource on /sse/{user_id} receives a SQL-inserted message and an API-posted one", async () => {
  const created = await s.as('es-alice').post('/api/v1/channels', {
    type: 'group',
    name: 'browser',
    members: [{ user_id: 'es-bob' }],
  });
  assert.equal(created.status, 201);
  const channelId = created.body.id as string;

  const page = await plainPage();
  await page.evaluate(
    ([u, t]) => (window as unknown as { listen: (u: string, t: string) => void }).listen(u!, t!),
    ['es-bob', await s.token('es-bob')],
  );
  await page.waitForFunction(
    () => (window as unknown as { received: Got[] }).received.some((r) => r.ev.type === 'connection'),
    undefined,
    { timeout: 15_000 },
  );

  await s.sql`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${channelId}, 'es-alice', 'inserted with SQL')`;
  const posted = await s.as('es-alice').post(`/api/v1/channels/${channelId}/messages`, { content: 'posted via API' });
  assert.equal(posted.status, 201);

  await page.waitForFunction(
    () => (window as unknown as { received: Got[] }).received.filter((r) => r.ev.type === 'new_message').length >= 2,
    undefined,
    { timeout: 15_000 },
  );
  const msgs = (await received(page)).filter((r) => r.ev.type === 'new_message');
  assert.deepEqual(
    msgs.map((m) => m.ev.data.content),
    ['inserted with SQL', 'posted via API'],
  );
  assert.equal(msgs[1]!.ev.data.id, posted.body.id);
  for (const m of msgs) {
    assert.equal(m.ev.channel_id, channelId);
    assert.equal(m.ev.data.user_id, 'es-alice');
    // Durable events carry `id: <pos>`: EventSource exposes it as lastEventId (what it resumes from).
    assert.equal(m.lastEventId, String(m.ev.pos));
  }
  assert.ok(msgs[0]!.ev.pos! < msgs[1]!.ev.pos!);
  assert.equal(await page.locator('#log li', { hasText: 'posted via API' }).count(), 1);
  assert.equal(await page.evaluate(() => (window as unknown as { errors: number }).errors), 0);
  await page.close();
});

test("EventSource on another user's /sse/{user_id} is refused (403) and does not reconnect", async () => {
  const page = await plainPage();
  const refused = page.waitForResponse((r) => r.url().includes('/api/v1/sse/'));
  await page.evaluate(
    ([u, t]) => (window as unknown as { listen: (u: string, t: string) => void }).listen(u!, t!),
    ['es-alice', await s.token('es-mallory')],
  );
  assert.equal((await refused).status(), 403);
  // A non-200 answer fails the EventSource for good: readyState CLOSED (2), nothing received.
  await page.waitForFunction(() => (window as unknown as { state?: number }).state === 2, undefined, {
    timeout: 15_000,
  });
  assert.deepEqual(await received(page), []);
  await page.close();
});
