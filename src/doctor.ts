import { randomUUID } from 'node:crypto';
import { connect, type Sql } from './db/client.ts';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
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

/** The origin document's four checks, made real: each one looks at the database, none assumes. */
export async function doctor(url: string): Promise<Check[]> {
  const sql = connect(url, { max: 2, applicationName: 'parley-doctor' });
  const checks: Check[] = [];
  const run = async (name: string, fn: () => Promise<string>) => {
    try {
      checks.push({ name, ok: true, detail: await fn() });
    } catch (err) {
      checks.push({ name, ok: false, detail: (err as Error).message });
    }
  };
  try {
    await run('Trigger Installation', () => triggers(sql));
    await run('Table Existence', () => tables(sql));
    let listener: Sql | undefined;
    let heard: ((channel: string, payload: string) => void) | undefined;
    await run('Listener Connection', async () => {
      listener = connect(url, {
        max: 1,
        applicationName: 'parley-doctor-listener',
        onnotify: (channel, payload) => heard?.(channel, payload),
      });
      await listener.unsafe('LISTEN channel_messages; LISTEN parley_events');
      const [row] = await listener`SELECT pg_backend_pid() AS pid`;
      return `LISTENing on channel_messages and parley_events (backend pid ${row!.pid})`;
    });
    await run('Message Notification', async () => {
      if (!listener) throw new Error('skipped: no listener connection');
      return endToEnd(sql, (fn) => {
        heard = fn;
      });
    });
    await listener?.end({ timeout: 1 });
  } finally {
    await sql.end({ timeout: 1 });
  }
  return checks;
}

// pg_trigger.tgtype bits for the events a trigger fires on.
const ON_INSERT = 4;
const ON_DELETE = 8;
const ON_UPDATE = 16;

async function triggers(sql: Sql): Promise<string> {
  const rows = await sql`
    SELECT t.tgname, c.relname, p.proname, t.tgenabled, t.tgtype::int AS tgtype
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
     WHERE p.proname IN ('notify_message_change', 'notify_reaction_change') AND NOT t.tgisinternal`;
  // channel_messages has one statement trigger per event; every event must be covered and enabled.
  const want: [string, string, number][] = [
    ['channel_messages', 'notify_message_change', ON_INSERT | ON_UPDATE | ON_DELETE],
    ['message_reactions', 'notify_reaction_change', ON_INSERT | ON_DELETE],
  ];
  for (const [table, fn, events] of want) {
    const mine = rows.filter((r) => r.relname === table && r.proname === fn);
    const disabled = mine.find((r) => r.tgenabled === 'D');
    if (disabled) throw new Error(`trigger ${disabled.tgname} on ${table} is disabled`);
    const covered = mine.reduce((bits, r) => bits | (Number(r.tgtype) & events), 0);
    if (covered !== events)
      throw new Error(`no trigger on ${table} runs ${fn}() for every change — run \`parley migrate\``);
  }
  return 'notify_message_change() on channel_messages, notify_reaction_change() on message_reactions';
}

async function tables(sql: Sql): Promise<string> {
  const rows = await sql`
    SELECT table_name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_name = ANY(${TABLES})`;
  const found = new Set(rows.map((r) => r.table_name as string));
  const missing = TABLES.filter((t) => !found.has(t));
  if (missing.length) throw new Error(`missing tables: ${missing.join(', ')} — run \`parley migrate\``);
  return `${TABLES.length} tables present`;
}

/**
 * Writes a message with plain SQL and waits for its NOTIFY and its event log row. It leaves nothing:
 * its user (a name of its own per run, so a host's user is never touched), its channel and message,
 * and the events those made in the event log are deleted again. Nobody received those events: the
 * channel had no members.
 */
async function endToEnd(sql: Sql, onNotify: (fn: (channel: string, payload: string) => void) => void): Promise<string> {
  const user = `parley-doctor-${randomUUID()}`;
  await sql`INSERT INTO users (id, name) VALUES (${user}, 'Parley doctor')`;
  let channelId: string | undefined;
  try {
    const [ch] =
      await sql`INSERT INTO channels (type, name, created_by) VALUES ('group', 'parley doctor check', ${user}) RETURNING id`;
    channelId = ch!.id as string;
    return await notified(sql, channelId, user, onNotify);
  } finally {
    if (channelId) await sql`DELETE FROM channels WHERE id = ${channelId}`;
    // After the delete has committed: its own events (message_deleted) are in the log by then.
    if (channelId) await sql`DELETE FROM event_log WHERE channel_id = ${channelId}`;
    await sql`DELETE FROM users WHERE id = ${user}`;
  }
}

async function notified(
  sql: Sql,
  channelId: string,
  user: string,
  onNotify: (fn: (channel: string, payload: string) => void) => void,
): Promise<string> {
  const t0 = performance.now();
  // The id is chosen before the insert so a notification that arrives first is still recognised.
  const messageId = randomUUID();
  const heard = new Promise<{ pos: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no notification within 5 s')), 5_000);
    onNotify((channel, payload) => {
      if (channel !== 'channel_messages') return;
      const p = JSON.parse(payload) as { id: string; pos: number; type: string };
      if (p.id === messageId && p.type === 'new_message') {
        clearTimeout(timer);
        resolve(p);
      }
    });
  });
  await sql`
    INSERT INTO channel_messages (id, channel_id, user_id, content) VALUES (${messageId}, ${channelId}, ${user}, 'doctor check')`;
  const { pos } = await heard;
  const ms = (performance.now() - t0).toFixed(1);
  const [logged] = await sql`SELECT type FROM event_log WHERE pos = ${pos}`;
  if (logged?.type !== 'new_message')
    throw new Error(`notified pos ${pos}, but the event log has no new_message there`);
  return `INSERT → NOTIFY → event log pos ${pos} in ${ms} ms`;
}
