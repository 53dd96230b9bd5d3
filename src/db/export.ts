import { AUDIT_ROW } from './audit.ts';
import type { Sql } from './client.ts';
import { REVISION } from './revisions.ts';

/** What an export is of: one channel, or one user across every channel. */
export type ExportScope = { channelId: string } | { userId: string };

/** Rows fetched from PostgreSQL at a time: memory stays bounded whatever the channel's size. */
const CURSOR_ROWS = 500;

type Section = (sql: Sql, scope: ExportScope) => ReturnType<Sql['unsafe']>;

// Like an event of the stream: `type` says what `data` is (a Channel's own `type` stays in data).
const line = (type: string, body: string) => `jsonb_build_object('type', '${type}', 'data', ${body})::text AS line`;

const MEMBER = `channel_id, user_id, role, parley_ts(joined_at) AS joined_at, last_read_message_id,
  parley_ts(last_read_at) AS last_read_at, muted, notification_level`;
const BAN = `channel_id, user_id, parley_ts(until) AS until, reason, created_by, parley_ts(created_at) AS created_at`;
const REPORT = `r.id, r.message_id, r.channel_id, r.reporter, r.kind, r.reason, r.status, r.resolution,
  r.resolved_by, parley_ts(r.resolved_at) AS resolved_at, parley_ts(r.created_at) AS created_at`;
// Every column of an attachment but where its bytes are (storage is nobody's business outside).
const REACTION = `jsonb_build_object('message_id', r.message_id, 'user_id', r.user_id,
  'emoji', r.emoji, 'created_at', parley_ts(r.created_at))`;
const ATTACHMENT = `(to_jsonb(a) - 'storage_key' - 'thumbnail_key') || jsonb_build_object('created_at', parley_ts(a.created_at))`;

/**
 * One query per kind of thing, each one object per line with its `type`, in a stable order. Each
 * section is read through a cursor: a channel with millions of messages streams in constant memory.
 */
const CHANNEL_SECTIONS: Section[] = [
  (sql, s) => sql`
    SELECT ${sql.unsafe(
      line(
        'channel',
        `parley_channel_json(c) || jsonb_build_object('metadata', c.metadata,
             'legal_hold', (SELECT to_jsonb(h) - 'channel_id' || jsonb_build_object('held_at', parley_ts(h.held_at))
                              FROM channel_holds h WHERE h.channel_id = c.id))`,
      ),
    )}
      FROM channels c WHERE c.id = ${id(s)}`,
  (sql, s) => sql`
    SELECT ${sql.unsafe(line('member', 'to_jsonb(x)'))}
      FROM (SELECT ${sql.unsafe(MEMBER)} FROM channel_members WHERE channel_id = ${id(s)} ORDER BY joined_at, user_id) x`,
  (sql, s) => sql`
    SELECT ${sql.unsafe(line('message', 'parley_message_json(m)'))}
      FROM channel_messages m WHERE m.channel_id = ${id(s)} ORDER BY m.seq`,
  (sql, s) => sql`
    SELECT ${sql.unsafe(line('attachment', ATTACHMENT))}
      FROM attachments a JOIN channel_messages m ON m.id = a.message_id
     WHERE m.channel_id = ${id(s)} ORDER BY a.created_at, a.id`,
  (sql, s) => sql`
    SELECT ${sql.unsafe(line('reaction', REACTION))}
      FROM message_reactions r JOIN channel_messages m ON m.id = r.message_id
     WHERE m.channel_id = ${id(s)} ORDER BY m.seq, r.created_at, r.user_id, r.emoji`,
  (sql, s) => sql`
    SELECT ${sql.unsafe(line('revision', 'to_jsonb(x)'))}
      FROM (SELECT ${sql.unsafe(REVISION)} FROM message_revisions WHERE channel_id = ${id(s)} ORDER BY id) x`,
  (sql, s) => sql`
    SELECT ${sql.unsafe(line('report', 'to_jsonb(x)'))}
      FROM (SELECT ${sql.unsafe(REPORT)} FROM reports r WHERE r.channel_id = ${id(s)} ORDER BY r.created_at, r.id) x`,
  (sql, s) => sql`
    SELECT ${sql.unsafe(line('ban', 'to_jsonb(x)'))}
      FROM (SELECT ${sql.unsafe(BAN)} FROM channel_bans WHERE channel_id = ${id(s)} ORDER BY created_at, user_id) x`,
  (sql, s) => sql`
    SELECT ${sql.unsafe(line('audit', 'to_jsonb(x)'))}
      FROM (SELECT ${sql.unsafe(AUDIT_ROW)} FROM audit_log WHERE channel_id = ${id(s)} ORDER BY id) x`,
];

const USER_SECTIONS: Section[] = [
  (sql, s) => sql`
    SELECT ${sql.unsafe(line('user', 'to_jsonb(x)'))}
      FROM (SELECT id, name, avatar_url, metadata, parley_ts(created_at) AS created_at, parley_ts(erased_at) AS erased_at
              FROM users WHERE id = ${id(s)}) x`,
  (sql, s) => sql`
    SELECT ${sql.unsafe(line('member', 'to_jsonb(x)'))}
      FROM (SELECT ${sql.unsafe(MEMBER)} FROM channel_members WHERE user_id = ${id(s)} ORDER BY joined_at, channel_id) x`,
  (sql, s) => sql`
    SELECT ${sql.unsafe(line('message', 'parley_message_json(m)'))}
      FROM channel_messages m WHERE m.user_id = ${id(s)} ORDER BY m.seq`,
  (sql, s) => sql`
    SELECT ${sql.unsafe(line('attachment', ATTACHMENT))}
      FROM attachments a WHERE a.uploader_id = ${id(s)} ORDER BY a.created_at, a.id`,
  (sql, s) => sql`
    SELECT ${sql.unsafe(line('reaction', REACTION))}
      FROM message_reactions r WHERE r.user_id = ${id(s)} ORDER BY r.created_at, r.message_id, r.emoji`,
  (sql, s) => sql`
    SELECT ${sql.unsafe(line('revision', 'to_jsonb(x)'))}
      FROM (SELECT ${sql.unsafe(REVISION)} FROM message_revisions WHERE user_id = ${id(s)} ORDER BY id) x`,
  // Reports the user made, and reports of the user's messages.
  (sql, s) => sql`
    SELECT ${sql.unsafe(line('report', 'to_jsonb(x)'))}
      FROM (SELECT ${sql.unsafe(REPORT)} FROM reports r LEFT JOIN channel_messages m ON m.id = r.message_id
             WHERE r.reporter = ${id(s)} OR m.user_id = ${id(s)} ORDER BY r.created_at, r.id) x`,
  (sql, s) => sql`
    SELECT ${sql.unsafe(line('ban', 'to_jsonb(x)'))}
      FROM (SELECT ${sql.unsafe(BAN)} FROM channel_bans WHERE user_id = ${id(s)} ORDER BY created_at, channel_id) x`,
  (sql, s) => sql`
    SELECT ${sql.unsafe(line('audit', 'to_jsonb(x)'))}
      FROM (SELECT ${sql.unsafe(AUDIT_ROW)} FROM audit_log WHERE user_id = ${id(s)} ORDER BY id) x`,
];

function id(s: ExportScope): string {
  return 'channelId' in s ? s.channelId : s.userId;
}

/** Whether there is anything to export: the channel, or the user (an erased user's row stays). */
export async function exportable(sql: Sql, scope: ExportScope): Promise<boolean> {
  const rows =
    'channelId' in scope
      ? await sql`SELECT 1 FROM channels WHERE id = ${scope.channelId}`
      : await sql`SELECT 1 FROM users WHERE id = ${scope.userId}`;
  return rows.length > 0;
}

/**
 * The export as JSON Lines (each string one line, without its newline): a header, every section,
 * and an `end` line with the count (a reader knows the file is whole). All sections are read in one
 * REPEATABLE READ transaction on one connection, so they agree with each other even while writers go on.
 * The consumer pulls: a slow reader holds the cursor where it is instead of filling memory.
 */
export async function* exportLines(sql: Sql, scope: ExportScope): AsyncGenerator<string> {
  const conn = await sql.reserve();
  let lines = 0;
  try {
    await conn`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`;
    const [now] = await conn`SELECT parley_ts(now()) AS at`;
    const header = {
      type: 'export',
      data: { format: 1, scope: 'channelId' in scope ? 'channel' : 'user', id: id(scope), exported_at: now!.at },
    };
    yield JSON.stringify(header);
    lines++;
    for (const section of 'channelId' in scope ? CHANNEL_SECTIONS : USER_SECTIONS) {
      for await (const rows of section(conn as unknown as Sql, scope).cursor(CURSOR_ROWS)) {
        for (const row of rows) {
          yield row.line as string;
          lines++;
        }
      }
    }
    yield JSON.stringify({ type: 'end', data: { lines: lines + 1 } });
    await conn`COMMIT`;
  } finally {
    // A reader that went away leaves the transaction open: end it before the connection goes back.
    await conn`ROLLBACK`.catch(() => {});
    conn.release();
  }
}
