import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ParleyClient, ParleyError } from '../../sdk/index.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { MEMBER_KEYS, MESSAGE_KEYS, UUID_RE as UUID } from '../rest/lib.ts';
import { clientFor } from './lib.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

const keys = (o: object) => Object.keys(o).sort();

async function rejectsWith(p: Promise<unknown>, code: string, status: number): Promise<ParleyError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ParleyError, `expected a ParleyError, got ${err}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.status, status);
    assert.ok(err.message.length > 0);
    return err;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

test('devToken and me()', async () => {
  const token = await ParleyClient.devToken(s.url, 'rs-me', 'Me Myself');
  const c = new ParleyClient({ baseUrl: `${s.url}/`, token, transport: 'fetch' });
  assert.deepEqual(await c.me(), { id: 'rs-me', name: 'Me Myself' });
});

test('channels and members: create, list, get, patch, add, remove, prefs, direct', async () => {
  const alice = await clientFor(s, 'rs-alice');
  const ch = await alice.createChannel({
    type: 'group',
    name: 'Team',
    description: 'd',
    members: [{ user_id: 'rs-bob' }],
  });
  assert.match(ch.id, UUID);
  assert.equal(ch.type, 'group');
  assert.equal(ch.name, 'Team');
  assert.equal(ch.member_count, 2);
  assert.equal(ch.unread_count, 0);

  const list = await alice.listChannels();
  assert.ok(Array.isArray(list));
  assert.deepEqual(
    list.map((c) => c.id),
    [ch.id],
  );
  assert.equal(typeof list[0]!.mention_count, 'number');
  assert.equal((await alice.getChannel(ch.id)).description, 'd');
  const renamed = await alice.updateChannel(ch.id, { name: 'Team 2' });
  assert.equal(renamed.name, 'Team 2');

  const added = await alice.addMember(ch.id, 'rs-carol', 'admin');
  assert.deepEqual(keys(added), MEMBER_KEYS);
  assert.equal(added.role, 'admin');
  const members = await alice.listMembers(ch.id);
  assert.deepEqual(members.map((m) => m.user_id).sort(), ['rs-alice', 'rs-bob', 'rs-carol']);
  assert.equal(await alice.removeMember(ch.id, 'rs-carol'), undefined);
  assert.equal((await alice.listMembers(ch.id)).length, 2);
  const prefs = await alice.setMemberPrefs(ch.id, { muted: true, notification_level: 'mentions' });
  assert.equal(prefs.muted, true);
  assert.equal(prefs.notification_level, 'mentions');

  const tutor = await alice.createChannel({ type: 'tutor_student', name: 'Lessons', members: [{ user_id: 'rs-bob' }] });
  assert.equal(tutor.type, 'tutor_student');
  const roles = Object.fromEntries((await alice.listMembers(tutor.id)).map((m) => [m.user_id, m.role]));
  assert.deepEqual(roles, { 'rs-alice': 'tutor', 'rs-bob': 'student' });

  const dm = await alice.directMessage('rs-bob');
  assert.equal(dm.type, 'direct');
  const bob = await clientFor(s, 'rs-bob');
  assert.equal((await bob.directMessage('rs-alice')).id, dm.id);
});

test('messages: send (idempotent client_id), history paging, edit, delete, thread, reactions, typing, read', async () => {
  const alice = await clientFor(s, 'rm-alice');
  const bob = await clientFor(s, 'rm-bob');
  const ch = await alice.createChannel({ type: 'group', name: 'm', members: [{ user_id: 'rm-bob' }] });

  const first = await alice.sendMessage(ch.id, 'first');
  assert.deepEqual(keys(first), MESSAGE_KEYS);
  assert.equal(first.content, 'first');
  assert.equal(first.user_id, 'rm-alice');
  const again = await alice.sendMessage(ch.id, { content: 'retried', client_id: 'fixed-1' });
  const same = await alice.sendMessage(ch.id, { content: 'retried', client_id: 'fixed-1' });
  assert.equal(same.id, again.id);
  for (let i = 0; i < 3; i++) await bob.sendMessage(ch.id, { content: `m${i}`, mentions: ['rm-alice'] });

  const page = await alice.messages(ch.id, { limit: 3 });
  assert.deepEqual(
    page.messages.map((m) => m.content),
    ['m0', 'm1', 'm2'],
  );
  assert.equal(page.has_more, true);
  const older = await alice.messages(ch.id, { before: page.messages[0]!.id, limit: 10 });
  assert.deepEqual(
    older.messages.map((m) => m.content),
    ['first', 'retried'],
  );
  assert.equal(older.has_more, false);

  const edited = await alice.editMessage(first.id, 'first (edited)');
  assert.equal(edited.content, 'first (edited)');
  assert.ok(edited.edited_at);

  const reply = await bob.sendMessage(ch.id, { content: 'a reply', parent_message_id: first.id });
  assert.equal(reply.parent_message_id, first.id);
  const thread = await alice.thread(first.id);
  assert.equal(thread.parent.id, first.id);
  assert.equal(thread.parent.thread_reply_count, 1);
  assert.deepEqual(
    thread.replies.map((m) => m.content),
    ['a reply'],
  );
  assert.equal(thread.has_more, false);

  const reacted = await bob.react(first.id, '🎉');
  assert.deepEqual(reacted.reactions, [{ emoji: '🎉', count: 1, user_ids: ['rm-bob'] }]);
  assert.deepEqual((await bob.react(first.id, '🎉')).reactions[0]!.count, 1);
  assert.deepEqual((await bob.unreact(first.id, '🎉')).reactions, []);

  assert.equal(await bob.typing(ch.id), undefined);
  assert.equal(await bob.typing(ch.id, false), undefined);
  assert.ok((await alice.listChannels())[0]!.unread_count! >= 3);
  assert.equal(await alice.markRead(ch.id, reply.id), undefined);
  assert.equal((await alice.listChannels())[0]!.unread_count, 0);

  assert.equal(await alice.deleteMessage(again.id), undefined);
  const afterDelete = await alice.messages(ch.id, { limit: 10 });
  const deleted = afterDelete.messages.find((m) => m.id === again.id)!;
  assert.equal(deleted.content, '');
  assert.ok(deleted.deleted_at);
});

test('a send whose answer was lost is retried with the same client_id and stored once', async () => {
  const token = await s.token('rl-alice');
  let dropped = 0;
  // The request reaches the server, but the answer is "lost" on the way back, twice.
  const lossy: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (init?.method === 'POST' && String(input).endsWith('/messages') && dropped < 2) {
      dropped++;
      throw new TypeError('fetch failed: connection reset');
    }
    return res;
  };
  const alice = new ParleyClient({ baseUrl: s.url, token, fetch: lossy, transport: 'fetch' });
  const ch = await alice.createChannel({ type: 'group', name: 'lossy' });
  const msg = await alice.sendMessage(ch.id, 'only once');
  assert.equal(dropped, 2);
  assert.equal(msg.content, 'only once');
  const history = await alice.messages(ch.id);
  assert.deepEqual(
    history.messages.map((m) => m.id),
    [msg.id],
  );
});

test('presence: onlineUsers, channelOnlineMembers, userStatus', async () => {
  const alice = await clientFor(s, 'rp-alice');
  const ch = await alice.createChannel({ type: 'group', name: 'p', members: [{ user_id: 'rp-bob' }] });
  await alice.connect();
  try {
    let online: string[] = [];
    const deadline = Date.now() + 10_000;
    while (!online.includes('rp-alice') && Date.now() < deadline) {
      online = await alice.channelOnlineMembers(ch.id);
      if (!online.includes('rp-alice')) await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(online, ['rp-alice']);
    const users = await alice.onlineUsers();
    assert.deepEqual(
      users.map((u) => u.user_id),
      ['rp-alice'],
    );
    assert.ok(users[0]!.since);
    const status = await alice.userStatus('rp-bob');
    assert.equal(status.user_id, 'rp-bob');
    assert.equal(status.online, false);
    assert.equal((await alice.userStatus('rp-alice')).online, true);
  } finally {
    alice.disconnect();
  }
});

test('errors carry the contract code, status and message', async () => {
  const alice = await clientFor(s, 're-alice');
  const outsider = await clientFor(s, 're-outsider');
  const ch = await alice.createChannel({ type: 'group', name: 'private' });
  await rejectsWith(outsider.getChannel(ch.id), 'forbidden', 403);
  await rejectsWith(outsider.sendMessage(ch.id, 'let me in'), 'forbidden', 403);
  await rejectsWith(alice.getChannel('00000000-0000-4000-8000-000000000000'), 'not_found', 404);
  const bad = await rejectsWith(alice.sendMessage(ch.id, ''), 'invalid_request', 400);
  assert.match(bad.message, /content/);
  await rejectsWith(alice.directMessage('re-alice'), 'invalid_request', 400);
  const anon = new ParleyClient({ baseUrl: s.url, token: 'nope', transport: 'fetch' });
  await rejectsWith(anon.me(), 'unauthorized', 401);
  const nowhere = new ParleyClient({ baseUrl: 'http://127.0.0.1:9', token: 'x', transport: 'fetch' });
  await rejectsWith(nowhere.me(), 'network_error', 0);
});
