import type { Channel } from '../contract/resources.ts';
import type { Sql } from './client.ts';

/** A channel as the caller sees it in lists: the Channel plus their unread and mention counts. */
export async function channelsOf(sql: Sql, userId: string, channelId?: string): Promise<Channel[]> {
  const rows = await sql`
    SELECT parley_channel_json(c) || jsonb_build_object(
             'unread_count', u.unread, 'mention_count', u.mentioned,
             'last_read_message_id', cm.last_read_message_id) AS channel
      FROM channel_members cm
      JOIN channels c ON c.id = cm.channel_id
      CROSS JOIN LATERAL (
        SELECT count(*) AS unread, count(*) FILTER (WHERE m.mentions @> ARRAY[cm.user_id]) AS mentioned
          FROM channel_messages m
         WHERE m.channel_id = cm.channel_id AND m.seq > cm.last_read_seq
           AND m.deleted_at IS NULL AND m.user_id IS DISTINCT FROM cm.user_id) u
     WHERE cm.user_id = ${userId} ${channelId ? sql`AND cm.channel_id = ${channelId}` : sql``}`;
  const channels = rows.map((r) => r.channel as Channel);
  // Most recently active first.
  return channels.sort((a, b) => (b.last_message_at ?? b.created_at).localeCompare(a.last_message_at ?? a.created_at));
}

export async function channelJson(sql: Sql, channelId: string): Promise<Channel | undefined> {
  const [row] = await sql`SELECT parley_channel_json(c) AS channel FROM channels c WHERE c.id = ${channelId}`;
  return row?.channel as Channel | undefined;
}

export interface ChannelChange {
  name?: string | null;
  description?: string | null;
  is_archived?: boolean;
  is_frozen?: boolean;
  slow_mode_seconds?: number;
}

export async function updateChannel(sql: Sql, channelId: string, b: ChannelChange): Promise<void> {
  await sql`
    UPDATE channels SET
      name = ${b.name !== undefined ? sql`${b.name}` : sql`name`},
      description = ${b.description !== undefined ? sql`${b.description}` : sql`description`},
      is_archived = ${b.is_archived !== undefined ? sql`${b.is_archived}` : sql`is_archived`},
      is_frozen = ${b.is_frozen !== undefined ? sql`${b.is_frozen}` : sql`is_frozen`},
      slow_mode_seconds = ${b.slow_mode_seconds !== undefined ? sql`${b.slow_mode_seconds}` : sql`slow_mode_seconds`}
    WHERE id = ${channelId}`;
}

export interface NewMember {
  user_id: string;
  role: string;
}

/** Creates a channel with its members in one transaction, so channel_created reaches them all. */
export async function createChannel(
  sql: Sql,
  input: {
    type: string;
    name: string | null;
    description: string | null;
    /** null: created by the host application (the server API). */
    createdBy: string | null;
    members: NewMember[];
    metadata?: Record<string, unknown>;
  },
): Promise<string> {
  return sql.begin(async (tx) => {
    const ids = input.members.map((m) => m.user_id);
    await tx`INSERT INTO users (id) SELECT unnest(${ids}::text[]) ON CONFLICT (id) DO NOTHING`;
    const [c] = await tx`
      INSERT INTO channels (type, name, description, created_by, metadata)
      VALUES (${input.type}, ${input.name}, ${input.description}, ${input.createdBy},
              ${tx.json((input.metadata ?? {}) as never)}) RETURNING id`;
    await tx`
      INSERT INTO channel_members (channel_id, user_id, role)
      SELECT ${c!.id}, u, r FROM unnest(${ids}::text[], ${input.members.map((m) => m.role)}::text[]) AS t(u, r)`;
    return c!.id as string;
  });
}

/** A channel as the server API shows it: the Channel and the host's own metadata. */
export async function channelWithMetadata(
  sql: Sql,
  channelId: string,
): Promise<(Channel & { metadata: Record<string, unknown> }) | undefined> {
  const [row] =
    await sql`SELECT parley_channel_json(c) AS channel, c.metadata FROM channels c WHERE c.id = ${channelId}`;
  return row ? { ...(row.channel as Channel), metadata: row.metadata as Record<string, unknown> } : undefined;
}

/** Deletes a channel and all it holds (its members get member_left); false if there was none. */
export async function deleteChannel(sql: Sql, channelId: string): Promise<boolean> {
  const rows = await sql`DELETE FROM channels WHERE id = ${channelId} RETURNING id`;
  return rows.length > 0;
}
