/**
 * Attachments in the web UI against the real upload endpoint: by the button (with a progress bar,
 * every value it takes recorded in the page during a 15 MB upload), by drag and drop and by paste;
 * sent with the message; shown as an image preview (the server's thumbnail, token in the query)
 * and as file links with name and size. At a desktop width and a phone's.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildWebIfStale } from '../../scripts/build-web-if-stale.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { launchChromium } from './lib.ts';
import { DESKTOP, message, PHONE, shot, signIn, T } from './ui.ts';

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

/** A real PNG of w×h pixels of noise (so it does not compress to nothing). */
function png(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = randomBytes((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) raw[y * (w * 3 + 1)] = 0; // filter type of each row: none
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function dropFile(page: Page, name: string, bytes: Buffer): Promise<void> {
  const dt = await page.evaluateHandle(
    ([n, b64]) => {
      const bin = Uint8Array.from(atob(b64!), (c) => c.charCodeAt(0));
      const d = new DataTransfer();
      d.items.add(new File([bin], n!, { type: 'application/octet-stream' }));
      return d;
    },
    [name, bytes.toString('base64')],
  );
  const target = page.locator('.channel .composer-wrap');
  await target.dispatchEvent('dragover', { dataTransfer: dt });
  await target.dispatchEvent('drop', { dataTransfer: dt });
}

async function pasteFile(page: Page, name: string, text: string): Promise<void> {
  await page.locator('.channel .composer textarea').evaluate(
    (el, [n, t]) => {
      const d = new DataTransfer();
      d.items.add(new File([t!], n!, { type: 'text/plain' }));
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: d, bubbles: true, cancelable: true }));
    },
    [name, text],
  );
}

for (const [label, viewport] of [
  ['desktop', DESKTOP],
  ['phone', PHONE],
] as const) {
  test(`${label}: files by button (with progress), drop and paste are sent with the message and shown`, async () => {
    const me = `uploader-${label}`;
    const created = await s.as('teacher').post('/api/v1/channels', {
      type: 'group',
      name: `homework-${label}`,
      members: [{ user_id: me }],
    });
    assert.equal(created.status, 201);
    const id = created.body.id as string;
    const page = await signIn(browser, contexts, s.url, me, 'Uploader', viewport);
    await page.evaluate((h) => (location.hash = h), `#/c/${id}`);
    await page.locator('.channel .composer textarea').waitFor(T);

    // Every value the progress bar takes, recorded in the page as it changes.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as { __progress?: number[] }).__progress = seen;
      new MutationObserver(() => {
        for (const p of Array.from(document.querySelectorAll('progress'))) seen.push(p.value);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['value'] });
    });
    const big = randomBytes(15 * 1024 * 1024);
    // Upload at 5 MB/s (Chromium's own network throttling): on a quiet machine a local 15 MB upload
    // can finish between two progress events, and the bar would never be seen in between.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 5 * 1024 * 1024,
    });
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Attach files' }).click();
    await (await chooser).setFiles({ name: 'recording.bin', mimeType: 'application/octet-stream', buffer: big });
    const bar = page.getByRole('progressbar', { name: 'Uploading recording.bin' });
    await bar.waitFor({ state: 'attached', ...T });
    await bar.waitFor({ state: 'detached', timeout: 60_000 });
    const values = await page.evaluate(() => (window as { __progress?: number[] }).__progress ?? []);
    assert.ok(
      values.some((v) => v > 0 && v < 1),
      `the bar moved between 0 and 1: ${values.slice(0, 20).join(' ')}`,
    );
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });

    await dropFile(page, 'diagram.png', png(800, 500));
    await pasteFile(page, 'pasted.txt', 'pasted text');
    const pending = page.getByRole('list', { name: 'Files to send' });
    for (const n of ['recording.bin', 'diagram.png', 'pasted.txt']) await pending.getByText(n).waitFor(T);
    await page.waitForFunction(() => document.querySelectorAll('.pending-uploads progress').length === 0, undefined, T);

    const box = page.locator('.channel .composer textarea');
    await box.fill('Here is my homework');
    await box.press('Enter');
    const sent = message(page, 'Here is my homework');
    await sent.waitFor(T);
    await pending.waitFor({ state: 'detached', ...T });

    // The image as the server's thumbnail (at most 400 px), files as links with name and size.
    const img = sent.locator('.attachment-image img');
    await img.waitFor(T);
    const src = (await img.getAttribute('src')) ?? '';
    assert.match(src, /thumbnail=1/);
    assert.match(src, /access_token=/);
    await page.waitForFunction(
      () =>
        (document.querySelector('.messages .attachment-image img') as HTMLImageElement | null)?.naturalWidth === 400,
      undefined,
      T,
    );
    for (const [name, size] of [
      ['recording.bin', '15.0 MB'],
      ['pasted.txt', '11 B'],
    ]) {
      const link = sent.locator('.attachment-file', { hasText: name });
      await link.filter({ hasText: size }).waitFor(T);
      const href = (await link.getAttribute('href')) ?? '';
      const res = await fetch(new URL(href, s.url), { method: 'HEAD' });
      assert.equal(res.status, 200);
    }
    await shot(page, `${label}-attachments`);

    const [stored] = (await s.as(me).get(`/api/v1/channels/${id}/messages`)).body.messages;
    assert.deepEqual(stored.attachments.map((a: { file_name: string }) => a.file_name).sort(), [
      'diagram.png',
      'pasted.txt',
      'recording.bin',
    ]);
  });
}
