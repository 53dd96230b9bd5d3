import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { ParleyError } from '../../sdk/index.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { clientFor, waitFor } from './lib.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer({ maxUploadBytes: 2 * 1024 * 1024 });
});
after(async () => {
  await s.close();
});

test('upload: progress to the last byte, the Attachment back, sent with attachment_ids, served by fileUrl', async () => {
  const alice = await clientFor(s, 'sdk-up-alice');
  const bob = await clientFor(s, 'sdk-up-bob');
  const ch = await alice.createChannel({ type: 'group', name: 'f', members: [{ user_id: 'sdk-up-bob' }] });
  const bytes = new Uint8Array(1_500_000).map((_, i) => (i * 31) % 256);
  const seen: number[] = [];
  const a = await alice.upload(new Blob([bytes]), {
    fileName: 'notes.bin',
    onProgress: (p) => {
      assert.equal(p.total, bytes.length);
      seen.push(p.loaded);
    },
  });
  assert.equal(a.file_name, 'notes.bin');
  assert.equal(a.file_size, bytes.length);
  assert.equal(a.sha256, createHash('sha256').update(bytes).digest('hex'));
  assert.ok(seen.length > 1, `progress reported ${seen.length} times`);
  assert.ok(
    seen.every((n, i) => i === 0 || n > seen[i - 1]!),
    'progress only grows',
  );
  assert.equal(seen.at(-1), bytes.length);

  const events: { attachments: unknown[] }[] = [];
  bob.on('new_message', (e) => events.push(e.data));
  await bob.connect();
  try {
    const m = await alice.sendMessage(ch.id, { content: 'the notes', attachment_ids: [a.id] });
    assert.deepEqual(m.attachments, [a]);
    await waitFor(() => events.length > 0, 'new_message');
    assert.deepEqual(events[0]!.attachments, [a]);
    // An <img src>-style request: the token in the query, no header.
    const res = await fetch(bob.fileUrl(a));
    assert.equal(res.status, 200);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), bytes);
  } finally {
    bob.disconnect();
  }
});

test('upload: past the limit, a ParleyError payload_too_large 413', async () => {
  const alice = await clientFor(s, 'sdk-up-alice');
  try {
    await alice.upload(new Blob([new Uint8Array(3 * 1024 * 1024)]));
    assert.fail('the upload succeeded');
  } catch (err) {
    assert.ok(err instanceof ParleyError, String(err));
    assert.equal(err.code, 'payload_too_large');
    assert.equal(err.status, 413);
  }
});
