import { ApiError } from '../errors.ts';
import type { Sql } from './client.ts';

export const MEMBER_COLUMNS =
  'channel_id, user_id, role, joined_at, last_read_message_id, last_read_at, muted, notification_level';

export interface Membership {
  role: string;
  channelType: string;
  isArchived: boolean;
}

/** 404 when the channel does not exist, 403 when the caller is not one of its members. */
export function checkMembership(channelFound: boolean, role: string | null | undefined): asserts role is string {
  if (!channelFound) throw new ApiError('not_found', 'Channel not found.');
  if (!role) throw new ApiError('forbidden', 'You are not a member of this channel.');
}

/**
 * The caller's membership of a channel, or the error to give: 404 when the channel does not exist,
 * 403 when it does but the caller is not in it.
 */
export async function requireMember(sql: Sql, channelId: string, userId: string): Promise<Membership> {
  const [row] = await sql`
    SELECT c.type, c.is_archived, m.role
      FROM channels c LEFT JOIN channel_members m ON m.channel_id = c.id AND m.user_id = ${userId}
     WHERE c.id = ${channelId}`;
  checkMembership(Boolean(row), row?.role as string | null | undefined);
  return { role: row!.role as string, channelType: row!.type as string, isArchived: row!.is_archived as boolean };
}

export const canManage = (role: string) => role === 'owner' || role === 'admin' || role === 'tutor';

export function memberJson(sql: Sql) {
  return sql`
    jsonb_build_object('channel_id', channel_id, 'user_id', user_id, 'role', role,
      'joined_at', parley_ts(joined_at), 'last_read_message_id', last_read_message_id,
      'last_read_at', parley_ts(last_read_at), 'muted', muted, 'notification_level', notification_level)`;
}

export async function listMembers(sql: Sql, channelId: string): Promise<unknown[]> {
  const rows = await sql`
    SELECT ${memberJson(sql)} AS m FROM channel_members WHERE channel_id = ${channelId} ORDER BY joined_at, user_id`;
  return rows.map((r) => r.m);
}

export async function getMember(sql: Sql, channelId: string, userId: string): Promise<unknown | undefined> {
  const [row] = await sql`
    SELECT ${memberJson(sql)} AS m FROM channel_members WHERE channel_id = ${channelId} AND user_id = ${userId}`;
  return row?.m;
}
