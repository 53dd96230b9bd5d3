import { randomUUID } from 'node:crypto';
import type { Sql } from './pg.ts';

/**
 * Channels, members and posters written straight into Parley's tables with SQL, as the API contract
 * allows any program to do; the membership triggers record the joins in the event log as usual.
 * Each channel has `perChannel` members who will hold streams, plus one poster: a member who sends
 * but holds no stream, so every receipt measured is at "another member".
 */
export interface Group {
  channels: string[];
  /** members[c] are the user ids of channel c's listeners. */
  members: string[][];
  /** posters[c] is the sender of channel c. */
  posters: string[];
}

export async function createGroup(sql: Sql, prefix: string, nChannels: number, perChannel: number): Promise<Group> {
  const channels = Array.from({ length: nChannels }, () => randomUUID());
  const members = channels.map((_, c) => Array.from({ length: perChannel }, (_, m) => `${prefix}-c${c}-m${m}`));
  const posters = channels.map((_, c) => `${prefix}-c${c}-poster`);
  const users = [...posters, ...members.flat()];
  const chCol: string[] = [];
  const userCol: string[] = [];
  for (let c = 0; c < nChannels; c++) {
    for (const u of [posters[c]!, ...members[c]!]) {
      chCol.push(channels[c]!);
      userCol.push(u);
    }
  }
  await sql.begin(async (tx) => {
    await tx`INSERT INTO users (id) SELECT unnest(${users}::text[]) ON CONFLICT (id) DO NOTHING`;
    await tx`
      INSERT INTO channels (id, type, name)
      SELECT id, 'group', ${prefix} || ' ' || ord FROM unnest(${channels}::uuid[]) WITH ORDINALITY AS t (id, ord)`;
    await tx`
      INSERT INTO channel_members (channel_id, user_id, role)
      SELECT ch, u, 'member' FROM unnest(${chCol}::uuid[], ${userCol}::text[]) AS t (ch, u)`;
  });
  return { channels, members, posters };
}

/**
 * Fills one channel with `rows` top-level messages by INSERT … SELECT generate_series in batches.
 * session_replication_role = replica skips the triggers for this bulk load (no event-log rows and no
 * NOTIFY for a million history rows nobody is streaming); the rows are otherwise ordinary messages.
 */
export async function fillHistory(
  sql: Sql,
  channelId: string,
  userId: string,
  rows: number,
  batch = 100_000,
): Promise<number> {
  const t0 = performance.now();
  for (let start = 0; start < rows; start += batch) {
    const end = Math.min(rows, start + batch) - 1;
    await sql.begin(async (tx) => {
      await tx`SET LOCAL session_replication_role = replica`;
      await tx`
        INSERT INTO channel_messages (channel_id, user_id, content, created_at)
        SELECT ${channelId}, ${userId},
               'history message ' || g || ': lorem ipsum dolor sit amet, consectetur adipiscing elit',
               now() - make_interval(secs => (${rows} - g) / 10.0)
          FROM generate_series(${start}::int, ${end}::int) AS g`;
    });
  }
  await sql`ANALYZE channel_messages`;
  return performance.now() - t0;
}
