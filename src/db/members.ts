import type { Member } from '../contract/resources.ts';
import type { Sql } from './client.ts';

/** The row a membership check needs: the channel (if it exists) and the caller's role in it (if any). */
export interface MembershipRow {
  found: boolean;
  role: string | null;
  channelType: string;
  isArchived: boolean;
  isFrozen: boolean;
  slowModeSeconds: number;
}

export async function membershipOf(sql: Sql, channelId: string, userId: string): Promise<MembershipRow> {
  const [row] = await sql`
    SELECT c.type, c.is_archived, c.is_frozen, c.slow_mode_seconds, m.role
      FROM channels c LEFT JOIN channel_members m ON m.channel_id = c.id AND m.user_id = ${userId}
     WHERE c.id = ${channelId}`;
  return {
    found: Boolean(row),
    role: (row?.role as string | null | undefined) ?? null,
    channelType: (row?.type as string | undefined) ?? '',
    isArchived: (row?.is_archived as boolean | undefined) ?? false,
    isFrozen: (row?.is_frozen as boolean | undefined) ?? false,
    slowModeSeconds: (row?.slow_mode_seconds as number | undefined) ?? 0,
  };
}

export function memberJson(sql: Sql) {
  return sql`
    jsonb_build_object('channel_id', channel_id, 'user_id', user_id, 'role', role,
      'joined_at', parley_ts(joined_at), 'last_read_message_id', last_read_message_id,
      'last_read_at', parley_ts(last_read_at), 'muted', muted, 'notification_level', notification_level)`;
}

export async function listMembers(sql: Sql, channelId: string): Promise<Member[]> {
  const rows = await sql`
    SELECT ${memberJson(sql)} AS m FROM channel_members WHERE channel_id = ${channelId} ORDER BY joined_at, user_id`;
  return rows.map((r) => r.m as Member);
}

export async function getMember(sql: Sql, channelId: string, userId: string): Promise<Member | undefined> {
  const [row] = await sql`
    SELECT ${memberJson(sql)} AS m FROM channel_members WHERE channel_id = ${channelId} AND user_id = ${userId}`;
  return row?.m as Member | undefined;
}

/** Adds a member (creating the user row if needed); false if they were one already. */
export async function insertMember(sql: Sql, channelId: string, userId: string, role: string): Promise<boolean> {
  const inserted = await sql.begin(async (tx) => {
    await tx`INSERT INTO users (id) VALUES (${userId}) ON CONFLICT (id) DO NOTHING`;
    return tx`
      INSERT INTO channel_members (channel_id, user_id, role) VALUES (${channelId}, ${userId}, ${role})
      ON CONFLICT (channel_id, user_id) DO NOTHING RETURNING user_id`;
  });
  return inserted.length > 0;
}

/** Removes a member if their role is still `role` (so a concurrent role change is not removed blind). */
export async function deleteMember(sql: Sql, channelId: string, userId: string, role: string): Promise<boolean> {
  const removed = await sql`
    DELETE FROM channel_members WHERE channel_id = ${channelId} AND user_id = ${userId} AND role = ${role}
    RETURNING user_id`;
  return removed.length > 0;
}

export async function updatePreferences(
  sql: Sql,
  channelId: string,
  userId: string,
  prefs: { muted?: boolean; notification_level?: string },
): Promise<void> {
  await sql`
    UPDATE channel_members SET
      muted = ${prefs.muted !== undefined ? sql`${prefs.muted}` : sql`muted`},
      notification_level = ${prefs.notification_level !== undefined ? sql`${prefs.notification_level}` : sql`notification_level`}
     WHERE channel_id = ${channelId} AND user_id = ${userId}`;
}

/** Moves the member's read point to the message, forward only; false if the message is not in the channel. */
export async function markRead(sql: Sql, channelId: string, userId: string, messageId: string): Promise<boolean> {
  const [msg] = await sql`SELECT seq FROM channel_messages WHERE id = ${messageId} AND channel_id = ${channelId}`;
  if (!msg) return false;
  // Only forward: an older receipt (another tab, a late retry) never moves the position back.
  await sql`
    UPDATE channel_members
       SET last_read_message_id = ${messageId}, last_read_at = now(), last_read_seq = ${msg.seq}
     WHERE channel_id = ${channelId} AND user_id = ${userId} AND last_read_seq < ${msg.seq}`;
  return true;
}
