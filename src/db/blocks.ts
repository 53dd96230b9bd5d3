import type { Sql } from './client.ts';

export async function addBlock(sql: Sql, blocker: string, blocked: string): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`INSERT INTO users (id) VALUES (${blocked}) ON CONFLICT (id) DO NOTHING`;
    await tx`INSERT INTO user_blocks (blocker, blocked) VALUES (${blocker}, ${blocked}) ON CONFLICT DO NOTHING`;
  });
}

export async function removeBlock(sql: Sql, blocker: string, blocked: string): Promise<void> {
  await sql`DELETE FROM user_blocks WHERE blocker = ${blocker} AND blocked = ${blocked}`;
}

export async function blockedBy(sql: Sql, blocker: string): Promise<string[]> {
  const rows = await sql`SELECT blocked FROM user_blocks WHERE blocker = ${blocker} ORDER BY created_at, blocked`;
  return rows.map((r) => r.blocked as string);
}

/** Whether `blocker` blocks `blocked`. */
export async function blocks(sql: Sql, blocker: string, blocked: string): Promise<boolean> {
  const [row] = await sql`SELECT 1 FROM user_blocks WHERE blocker = ${blocker} AND blocked = ${blocked}`;
  return Boolean(row);
}

/** The other member of a direct channel (undefined for any other channel). */
export async function directPeer(sql: Sql, channelId: string, userId: string): Promise<string | undefined> {
  const [row] = await sql`
    SELECT CASE WHEN user_a = ${userId} THEN user_b ELSE user_a END AS peer
      FROM direct_messages WHERE channel_id = ${channelId}`;
  return row?.peer as string | undefined;
}

/** Whether two users share a channel now. */
export async function shareAChannel(sql: Sql, a: string, b: string): Promise<boolean> {
  const [row] = await sql`
    SELECT 1 FROM channel_members x JOIN channel_members y ON y.channel_id = x.channel_id
     WHERE x.user_id = ${a} AND y.user_id = ${b} LIMIT 1`;
  return Boolean(row);
}

/** Of `others`, those who share no channel with `userId`. */
export async function strangersTo(sql: Sql, userId: string, others: string[]): Promise<string[]> {
  if (others.length === 0) return [];
  const rows = await sql`
    SELECT DISTINCT y.user_id FROM channel_members x JOIN channel_members y ON y.channel_id = x.channel_id
     WHERE x.user_id = ${userId} AND y.user_id = ANY(${others}::text[])`;
  const known = new Set(rows.map((r) => r.user_id as string));
  return others.filter((o) => !known.has(o));
}
