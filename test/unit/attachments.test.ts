import assert from 'node:assert/strict';
import { test } from 'node:test';
import { displayName, servedAs } from '../../src/chat/attachments.ts';
import { contentDisposition, parseRange } from '../../src/http/routes/attachments.ts';

test('servedAs: pictures, sound and film inline as themselves; what a browser could run, as bytes', () => {
  assert.deepEqual(servedAs('image/png'), { contentType: 'image/png', inline: true });
  assert.deepEqual(servedAs('video/mp4'), { contentType: 'video/mp4', inline: true });
  assert.deepEqual(servedAs('audio/mpeg'), { contentType: 'audio/mpeg', inline: true });
  for (const t of [
    'image/svg+xml',
    'text/html',
    'application/xhtml+xml',
    'application/xml',
    'text/javascript',
    'application/wasm',
  ]) {
    assert.deepEqual(servedAs(t), { contentType: 'application/octet-stream', inline: false }, t);
  }
  assert.deepEqual(servedAs('application/pdf'), { contentType: 'application/pdf', inline: false });
  assert.deepEqual(servedAs('application/octet-stream'), { contentType: 'application/octet-stream', inline: false });
});

test('displayName: a name to show, never a path', () => {
  assert.equal(displayName('C:\\Users\\kid\\photo.jpg'), 'photo.jpg');
  assert.equal(displayName('../../../etc/shadow'), 'shadow');
  assert.equal(displayName('invoice\u202Efdp.exe'), 'invoicefdp.exe');
  assert.equal(displayName('a\r\nb\u0000c.txt'), 'abc.txt');
  assert.equal(displayName(''), 'file');
  assert.equal(displayName('..'), 'file');
  assert.equal(displayName(undefined), 'file');
  assert.equal(displayName('e\u0301.txt'), '\u00e9.txt'); // NFC
  const long = displayName(`${'😀'.repeat(300)}.png`);
  assert.equal([...long].length, 255);
  assert.ok(long.endsWith('😀.png'));
});

test('parseRange: one range, clamped; several or malformed ignored; past the end unsatisfiable', () => {
  assert.deepEqual(parseRange('bytes=0-0', 10), { start: 0, end: 0 });
  assert.deepEqual(parseRange('bytes=2-', 10), { start: 2, end: 9 });
  assert.deepEqual(parseRange('bytes=5-100', 10), { start: 5, end: 9 });
  assert.deepEqual(parseRange('bytes=-3', 10), { start: 7, end: 9 });
  assert.deepEqual(parseRange('bytes=-30', 10), { start: 0, end: 9 });
  assert.equal(parseRange('bytes=10-', 10), 'unsatisfiable');
  assert.equal(parseRange('bytes=-0', 10), 'unsatisfiable');
  assert.equal(parseRange('bytes=0-', 0), 'unsatisfiable');
  assert.equal(parseRange(undefined, 10), undefined);
  assert.equal(parseRange('bytes=5-2', 10), undefined);
  assert.equal(parseRange('bytes=0-1,3-4', 10), undefined);
  assert.equal(parseRange('items=0-1', 10), undefined);
  assert.equal(parseRange('bytes=-', 10), undefined);
});

test('contentDisposition: an ASCII fallback and the exact name (RFC 5987)', () => {
  assert.equal(contentDisposition(true, 'a.png'), `inline; filename="a.png"; filename*=UTF-8''a.png`);
  assert.equal(
    contentDisposition(false, 'naïve "plan"; v2.pdf'),
    `attachment; filename="na_ve _plan__ v2.pdf"; filename*=UTF-8''na%C3%AFve%20%22plan%22%3B%20v2.pdf`,
  );
  assert.equal(
    contentDisposition(false, "it's(1).txt"),
    `attachment; filename="it's(1).txt"; filename*=UTF-8''it%27s%281%29.txt`,
  );
});
