import { type Static, Type } from '@sinclair/typebox';
import type { Member } from '../contract/resources.ts';
import { NotificationLevel, Role } from '../contract/resources.ts';
import { UserId } from '../contract/schemas.ts';
import { activeBans } from '../db/bans.ts';
import { strangersTo } from '../db/blocks.ts';
import { deleteMember, getMember, insertMember, listMembers as membersOf, updatePreferences } from '../db/members.ts';
import { ApiError, notFound } from '../errors.ts';
import type { Actor } from './actor.ts';
import { recordAudit } from './audit.ts';
import type { Chat } from './context.ts';
import { assertCanRemove, assertMayAdd, roleForAdded } from './permissions.ts';
import { placeIn, userOf } from './place.ts';

export const AddMemberInput = Type.Object(
  { user_id: UserId, role: Type.Optional(Role) },
  { additionalProperties: false },
);
export const PreferencesInput = Type.Object(
  { muted: Type.Optional(Type.Boolean()), notification_level: Type.Optional(NotificationLevel) },
  { additionalProperties: false, minProperties: 1 },
);

export async function listMembers(chat: Chat, actor: Actor, channelId: string): Promise<Member[]> {
  await placeIn(chat, actor, channelId);
  const members = await membersOf(chat.sql, channelId);
  // An observer's read point is theirs alone, as their read receipts are (db/live/members.sql): to
  // other members the list shows no last read; the host's server key sees everything.
  const me = actor.kind === 'user' ? actor.userId : undefined;
  if (me === undefined) return members;
  return members.map((m) =>
    m.role === 'observer' && m.user_id !== me ? { ...m, last_read_message_id: null, last_read_at: null } : m,
  );
}

/** Adds a member: `created` false when they were one already (nothing changes then). */
export async function addMember(
  chat: Chat,
  actor: Actor,
  channelId: string,
  input: Static<typeof AddMemberInput>,
): Promise<{ created: boolean; member: Member }> {
  const role = roleForAdded(actor, await placeIn(chat, actor, channelId), input.role);
  if (actor.kind === 'user' && chat.safety.memberAdds !== 'anyone') {
    assertMayAdd(
      actor,
      chat.safety.memberAdds,
      [input.user_id],
      await strangersTo(chat.sql, actor.userId, [input.user_id]),
    );
  }
  const [ban] = await activeBans(chat.sql, channelId, [input.user_id]);
  if (ban) {
    throw new ApiError(
      'conflict',
      `"${input.user_id}" is banned from this channel${ban.until ? ` until ${ban.until}` : ''}.`,
    );
  }
  const created = await insertMember(chat.sql, channelId, input.user_id, role);
  const member = await getMember(chat.sql, channelId, input.user_id);
  if (!member) throw notFound('Member');
  // Who put whom in a channel, with which role (an observer next to a child, an admin): the
  // nearest thing to a role change there is, so it goes into the audit.
  if (created) {
    await recordAudit(chat, actor, {
      action: 'member.add',
      target: input.user_id,
      channelId,
      userId: input.user_id,
      detail: { role: member.role },
    });
  }
  return { created, member };
}

export async function removeMember(chat: Chat, actor: Actor, channelId: string, userId: string): Promise<void> {
  const place = await placeIn(chat, actor, channelId);
  const target = await getMember(chat.sql, channelId, userId);
  const self = actor.kind === 'user' && actor.userId === userId;
  // Checked before looking for the target, so a plain member learns nothing of who is in the channel.
  assertCanRemove(actor, place, { self, role: target?.role ?? 'member' });
  if (!target) throw notFound('Member');
  if (!(await deleteMember(chat.sql, channelId, userId, target.role))) throw notFound('Member');
  if (!self) {
    await recordAudit(chat, actor, {
      action: 'member.remove',
      target: userId,
      channelId,
      userId,
      detail: { role: target.role },
    });
  }
}

/** The caller's own preferences in a channel. */
export async function updatePreferencesOf(
  chat: Chat,
  actor: Actor,
  channelId: string,
  input: Static<typeof PreferencesInput>,
): Promise<Member> {
  const userId = userOf(actor);
  await placeIn(chat, actor, channelId);
  await updatePreferences(chat.sql, channelId, userId, input);
  const member = await getMember(chat.sql, channelId, userId);
  if (!member) throw notFound('Member');
  return member;
}
