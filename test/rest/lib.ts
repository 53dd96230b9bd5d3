/** Shared assertions for the REST suite (not a test file: test/run.ts only runs *.test.ts). */
import assert from 'node:assert/strict';
import type { HttpResult, TestServer } from '../helpers/server.ts';

export const CHANNEL_KEYS = [
  'created_at',
  'created_by',
  'description',
  'id',
  'is_archived',
  'is_frozen',
  'last_message_at',
  'member_count',
  'name',
  'slow_mode_seconds',
  'type',
  'updated_at',
];
/** A channel as the caller sees it (GET /channels, GET /channels/{id}, POST /channels, POST /direct-messages). */
export const CALLER_CHANNEL_KEYS = [...CHANNEL_KEYS, 'last_read_message_id', 'mention_count', 'unread_count'].sort();
export const MEMBER_KEYS = [
  'channel_id',
  'joined_at',
  'last_read_at',
  'last_read_message_id',
  'muted',
  'notification_level',
  'role',
  'user_id',
];
export const MESSAGE_KEYS = [
  'attachments',
  'channel_id',
  'content',
  'created_at',
  'deleted_at',
  'edited_at',
  'id',
  'last_reply_at',
  'mentions',
  'parent_message_id',
  'reactions',
  'system',
  'thread_reply_count',
  'user_id',
];

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const MISSING_UUID = '00000000-0000-4000-8000-000000000000';

export function keys(o: unknown): string[] {
  return Object.keys(o as object).sort();
}

/** Asserts the contract's error shape, status and code, and (when given) the field it names. */
export function assertError(res: HttpResult, status: number, code: string, field?: string): void {
  const ctx = `${res.status} ${JSON.stringify(res.body)}`;
  assert.equal(res.status, status, ctx);
  assert.equal(typeof res.body, 'object', ctx);
  assert.deepEqual(Object.keys(res.body), ['error'], ctx);
  const e = res.body.error;
  assert.equal(e.code, code, ctx);
  assert.equal(typeof e.message, 'string', ctx);
  assert.ok(e.message.length > 0, ctx);
  assert.ok(res.headers.get('content-type')?.startsWith('application/json'), ctx);
  if (field !== undefined) assert.equal(e.field, field, ctx);
  const allowed = ['code', 'message', 'field'];
  for (const k of Object.keys(e)) assert.ok(allowed.includes(k), `unexpected key ${k} in ${ctx}`);
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `ms`. */
export async function until<T>(check: () => Promise<T | undefined | false>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined | false;
  for (;;) {
    last = await check();
    if (last !== undefined && last !== false) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const TABLES = [
  'users',
  'channels',
  'channel_members',
  'channel_messages',
  'message_reactions',
  'typing_indicators',
  'direct_messages',
  'attachments',
  'event_log',
];

/**
 * Everything stored, in a form two snapshots can be compared with: row counts, the last event, and a
 * digest of each table's rows (so an UPDATE that changes no count is caught too).
 */
export async function snapshot(s: TestServer): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of TABLES) {
    const [row] = await s.sql.unsafe(
      `SELECT count(*)::text AS n, coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') AS digest FROM ${t} x`,
    );
    out[t] = `${row!.n}:${row!.digest}`;
  }
  const [pos] = await s.sql`SELECT coalesce(max(pos), 0)::text AS p FROM event_log`;
  out.max_pos = pos!.p as string;
  return out;
}

/**
 * Runs `fn` and asserts that it stored nothing (no row added, removed or changed; no event).
 * `callers` are authenticated first: a user's first request creates their row, by design.
 */
export async function storesNothing<T>(s: TestServer, fn: () => Promise<T>, callers: string[] = []): Promise<T> {
  for (const u of callers) assert.equal((await s.as(u).get('/api/v1/me')).status, 200);
  const before = await snapshot(s);
  const result = await fn();
  // Event rows are written at commit: a write that slipped through is visible by the time fn returned.
  assert.deepEqual(await snapshot(s), before, 'stored data changed');
  return result;
}

/** Creates a group channel owned by `owner` with `members`; returns its id. */
export async function group(s: TestServer, owner: string, members: string[] = [], name = 'g'): Promise<string> {
  const res = await s
    .as(owner)
    .post('/api/v1/channels', { type: 'group', name, members: members.map((user_id) => ({ user_id })) });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id as string;
}

/** Sends a message; returns the Message. */
export async function send(s: TestServer, user: string, channelId: string, body: Record<string, unknown> | string) {
  const res = await s
    .as(user)
    .post(`/api/v1/channels/${channelId}/messages`, typeof body === 'string' ? { content: body } : body);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}
