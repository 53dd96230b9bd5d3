/**
 * With the demo sign-in off, the UI is signed in by its host application: a token in the address
 * (`/#token=…`, taken out of it at once) or, in an iframe, by postMessage from an allowed origin
 * only; it asks for a fresh token before the one it has expires. Without a token it says so, with
 * no form the server would refuse.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { buildWebIfStale } from '../../scripts/build-web-if-stale.ts';
import { Auth } from '../../src/auth/tokens.ts';
import { startTestServer, TEST_SECRET, type TestServer } from '../helpers/server.ts';
import { launchChromium } from './lib.ts';
import { DESKTOP, openPage, PHONE, shot, T, waitConnected } from './ui.ts';

let s: TestServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
const auth = new Auth(new TextEncoder().encode(TEST_SECRET));

/** A host application's page that frames the chat and answers its token requests with `token()`. */
interface Host {
  url: string;
  server: Server;
  requests: number;
  /** What its backend hands out next, in order. */
  tokens: string[];
}
const hosts: Host[] = [];

async function host(opts: { pushUnasked?: boolean } = {}): Promise<Host> {
  const h: Host = { url: '', server: createServer(), requests: 0, tokens: [] };
  h.server.on('request', (req, res) => {
    if (req.url === '/token') {
      // The host's backend signs its user's token (here: the next of a list).
      h.requests++;
      res.writeHead(200, { 'content-type': 'text/plain' }).end(h.tokens.shift() ?? '');
      return;
    }
    const parley = s.url;
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html>
<title>Host app</title>
<iframe id="chat" src="${parley}/" style="width:100%;height:90vh;border:0" title="Chat"></iframe>
<script>
  const chat = document.getElementById('chat');
  const give = async () => {
    const token = await (await fetch('/token')).text();
    chat.contentWindow.postMessage({ type: 'parley:token', token }, ${JSON.stringify(parley)});
  };
  window.addEventListener('message', (e) => {
    if (e.origin === ${JSON.stringify(parley)} && e.data && e.data.type === 'parley:token_request') give();
  });
  ${opts.pushUnasked ? 'setInterval(give, 200);' : ''}
</script>`);
  });
  await new Promise<void>((r) => h.server.listen(0, '127.0.0.1', r));
  h.url = `http://127.0.0.1:${(h.server.address() as { port: number }).port}`;
  hosts.push(h);
  return h;
}

let allowed: Host;
let stranger: Host;
before(async () => {
  browser = await launchChromium();
  await buildWebIfStale();
  // The allowed origin is a setting: the host pages listen first (they read the chat's address per request).
  allowed = await host();
  stranger = await host({ pushUnasked: true });
  s = await startTestServer({ devAuth: false, webEmbedOrigins: [allowed.url] });
});
after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await s?.close();
  for (const h of hosts) h.server.close();
});

test('without a token and with the demo sign-in off, the page says how to sign in and offers no form', async () => {
  for (const viewport of [DESKTOP, PHONE]) {
    const { page, errors } = await openPage(browser, contexts, viewport);
    await page.goto(s.url);
    await page.getByTestId('no-token').getByRole('heading', { name: 'Not signed in' }).waitFor(T);
    assert.equal(await page.getByText('Local demo mode').count(), 0);
    assert.equal(await page.getByLabel('User id').count(), 0);
    await shot(page, `${viewport === PHONE ? 'phone' : 'desktop'}-no-token`);
    assert.deepEqual(errors, []);
  }
});

test('a token in the address signs in, leaves the address at once, and can open a channel', async () => {
  const token = await auth.sign('host-user', 'Hana Host', '1h');
  const created = await s.raw('POST', '/api/v1/channels', {
    body: { type: 'group', name: 'from-the-host' },
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(created.status, 201);
  const { page, errors } = await openPage(browser, contexts, PHONE);
  await page.goto(`${s.url}/#token=${token}&/c/${created.body.id}`);
  await waitConnected(page);
  await page.locator('.channel-head h2', { hasText: 'from-the-host' }).waitFor(T);
  assert.ok(!page.url().includes(token), page.url());
  assert.equal(new URL(page.url()).hash, `#/c/${created.body.id}`);
  // Out of history too: back does not bring the token back.
  assert.ok(!(await page.evaluate(() => location.href)).includes('token='));
  await page.reload();
  await waitConnected(page);
  assert.deepEqual(errors, []);
});

test('in an iframe, a token by postMessage from an allowed origin signs in and is refreshed before it expires; other origins are ignored', async () => {
  // A stranger's page pushes tokens into the frame unasked: ignored.
  const victim = await auth.sign('victim', 'Victim', '1h');
  stranger.tokens = Array(100).fill(victim);
  const { page: bad } = await openPage(browser, contexts, DESKTOP);
  const carried: string[] = [];
  bad.on('request', (r) => {
    if (r.url().startsWith(s.url) && r.headers().authorization) carried.push(r.url());
  });
  await bad.goto(`${stranger.url}/`);
  const badFrame = bad.frameLocator('#chat');
  await badFrame.getByRole('heading', { name: 'Not signed in' }).waitFor(T);
  // Several pushes, and time for a sign-in (its first call, GET /me) had one been accepted.
  const until = Date.now() + 10_000;
  while (stranger.requests < 5 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  assert.ok(stranger.requests >= 5, 'the stranger did post');
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(carried, []);
  assert.equal(await badFrame.getByTestId('connection').count(), 0);
  await badFrame.getByRole('heading', { name: 'Not signed in' }).waitFor(T);
  await bad.close();

  // The allowed host: asked for a token, gives one that expires in 62 s; asked again a minute before.
  const first = await auth.sign('emma', 'Emma Embed', '62s');
  const second = await auth.sign('emma', 'Emma Embed', '1h');
  assert.notEqual(first, second);
  allowed.tokens = [first, second];
  const { page, errors } = await openPage(browser, contexts, DESKTOP);
  const used: string[] = [];
  page.on('request', (r) => {
    const a = r.headers().authorization;
    if (a && r.url().startsWith(s.url)) used.push(a.slice('Bearer '.length));
  });
  await page.goto(`${allowed.url}/`);
  const frame = page.frameLocator('#chat');
  await frame
    .getByTestId('connection')
    .filter({ hasText: 'Connected' })
    .waitFor({ state: 'attached', ...T });
  await frame.locator('.me-name', { hasText: 'Emma Embed' }).waitFor(T);
  assert.ok(used.includes(first));
  // The refresh: a second request to the host, and the next API calls carry the new token.
  const deadline = Date.now() + 10_000;
  while (allowed.requests < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(allowed.requests, 2);
  await frame.getByRole('button', { name: 'New channel' }).click();
  await frame.getByLabel('Name').fill('after-refresh');
  await frame.getByRole('button', { name: 'Create' }).click();
  await frame.locator('.channel-head h2', { hasText: 'after-refresh' }).waitFor(T);
  assert.equal(used.at(-1), second);
  await shot(page, 'desktop-embedded');
  assert.deepEqual(errors, []);
});
