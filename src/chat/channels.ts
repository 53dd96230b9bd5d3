import { type Static, Type } from '@sinclair/typebox';
import type { Channel } from '../contract/resources.ts';
import { ChannelType, Role } from '../contract/resources.ts';
import { Text, UserId } from '../contract/schemas.ts';
import { strangersTo } from '../db/blocks.ts';
import {
  type ChannelChange,
  channelJson,
  channelsOf,
  channelWithMetadata,
  createChannel as insertChannel,
  type NewMember,
  deleteChannel as removeChannel,
  updateChannel as writeChannel,
} from '../db/channels.ts';
import { openDirect as findOrCreateDirect } from '../db/direct.ts';
import { holdOf } from '../db/holds.ts';
import { ApiError, invalid, notFound } from '../errors.ts';
import type { Actor } from './actor.ts';
import { recordAudit } from './audit.ts';
import type { Chat } from './context.ts';
import {
  assertCanChangeChannel,
  assertChannelShape,
  assertCreatedRole,
  assertMayAdd,
  assertServer,
  creationRoles,
} from './permissions.ts';
import { placeIn, userOf } from './place.ts';

export const CreateChannelInput = Type.Object(
  {
    type: ChannelType,
    name: Type.Optional(Text({ maxLength: 200 })),
    description: Type.Optional(Text({ maxLength: 2000 })),
    members: Type.Optional(
      Type.Array(Type.Object({ user_id: UserId, role: Type.Optional(Role) }, { additionalProperties: false }), {
        maxItems: 1000,
      }),
    ),
  },
  { additionalProperties: false },
);

export const UpdateChannelInput = Type.Object(
  {
    name: Type.Optional(Type.Union([Text({ maxLength: 200 }), Type.Null()])),
    description: Type.Optional(Type.Union([Text({ maxLength: 2000 }), Type.Null()])),
    is_archived: Type.Optional(Type.Boolean()),
    is_frozen: Type.Optional(Type.Boolean()),
    slow_mode_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** Creates a group or tutor_student channel with the caller in it (owner, or tutor). */
export async function createChannel(
  chat: Chat,
  actor: Actor,
  input: Static<typeof CreateChannelInput>,
): Promise<Channel> {
  const creator = userOf(actor);
  chat.limits.take(actor, 'channel');
  const { type } = input;
  if (type === 'direct') throw invalid('type', 'Direct channels are made with POST /api/v1/direct-messages.');
  const roles = creationRoles(type);
  const members = new Map<string, NewMember>([[creator, { user_id: creator, role: roles.creator }]]);
  for (const m of input.members ?? []) {
    // The creator listed among the members keeps the creator's role, whatever role is named there.
    if (m.user_id === creator) continue;
    if (m.role) assertCreatedRole(type, m.role);
    if (!members.has(m.user_id)) members.set(m.user_id, { user_id: m.user_id, role: m.role ?? roles.member });
  }
  const others = [...members.keys()].filter((u) => u !== creator);
  if (others.length && chat.safety.memberAdds !== 'anyone') {
    assertMayAdd(actor, chat.safety.memberAdds, others, await strangersTo(chat.sql, creator, others));
  }
  const id = await insertChannel(chat.sql, {
    type,
    name: input.name ?? null,
    description: input.description ?? null,
    createdBy: creator,
    members: [...members.values()],
  });
  const [channel] = await channelsOf(chat.sql, creator, id);
  return channel!;
}

/** The caller's channels, most recently active first, with their unread and mention counts. */
export function listChannels(chat: Chat, actor: Actor): Promise<Channel[]> {
  return channelsOf(chat.sql, userOf(actor));
}

export async function getChannel(chat: Chat, actor: Actor, channelId: string): Promise<Channel> {
  await placeIn(chat, actor, channelId);
  if (actor.kind === 'server') return (await channelJson(chat.sql, channelId)) ?? Promise.reject(notFound('Channel'));
  const [channel] = await channelsOf(chat.sql, actor.userId, channelId);
  return channel!;
}

/** Renames, describes or archives a channel: its owner or an admin. */
export async function updateChannel(
  chat: Chat,
  actor: Actor,
  channelId: string,
  input: Static<typeof UpdateChannelInput> & ChannelChange,
): Promise<Channel> {
  assertCanChangeChannel(actor, await placeIn(chat, actor, channelId));
  await writeChannel(chat.sql, channelId, input);
  const channel = await channelJson(chat.sql, channelId);
  if (!channel) throw notFound('Channel');
  // Freezing, slow mode and archiving are moderation: they go into the audit.
  const moderation = Object.fromEntries(
    (['is_frozen', 'slow_mode_seconds', 'is_archived'] as const)
      .filter((k) => input[k] !== undefined)
      .map((k) => [k, input[k]]),
  );
  if (Object.keys(moderation).length) {
    await recordAudit(chat, actor, { action: 'channel.moderate', target: channelId, channelId, detail: moderation });
  }
  return channel;
}

export const ServerChannelInput = Type.Object(
  {
    type: ChannelType,
    name: Type.Optional(Text({ maxLength: 200 })),
    description: Type.Optional(Text({ maxLength: 2000 })),
    members: Type.Array(Type.Object({ user_id: UserId, role: Type.Optional(Role) }, { additionalProperties: false }), {
      minItems: 1,
      maxItems: 1000,
    }),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

export type ServerChannel = Channel & { metadata: Record<string, unknown> };

/**
 * The server API: a channel for any members with any roles, e.g. a tutor_student channel for a
 * tutor and a student when a lesson is booked. The shape rules still hold: a direct channel is a
 * pair (found if it exists), a tutor_student channel has exactly one tutor.
 */
export async function createChannelAsServer(
  chat: Chat,
  actor: Actor,
  input: Static<typeof ServerChannelInput>,
): Promise<{ created: boolean; channel: ServerChannel }> {
  assertServer(actor);
  const roles = creationRoles(input.type);
  const members = new Map<string, NewMember>();
  for (const m of input.members) {
    if (members.has(m.user_id)) throw invalid('members', `members names "${m.user_id}" twice.`);
    members.set(m.user_id, { user_id: m.user_id, role: input.type === 'direct' ? 'member' : (m.role ?? roles.member) });
  }
  assertChannelShape(input.type, [...members.values()]);
  if (input.type === 'direct') {
    const [a, b] = [...members.keys()] as [string, string];
    const { id, created } = await findOrCreateDirect(chat.sql, a, b, null);
    return { created, channel: (await channelWithMetadata(chat.sql, id))! };
  }
  const id = await insertChannel(chat.sql, {
    type: input.type,
    name: input.name ?? null,
    description: input.description ?? null,
    createdBy: null,
    members: [...members.values()],
    metadata: input.metadata ?? {},
  });
  return { created: true, channel: (await channelWithMetadata(chat.sql, id))! };
}

/** The server API: deletes a channel with everything in it; its members get member_left. */
export async function deleteChannel(chat: Chat, actor: Actor, channelId: string): Promise<void> {
  assertServer(actor);
  // A legal hold keeps everything of the channel: it has to be released first (and that is audited).
  if (await holdOf(chat.sql, channelId)) {
    throw new ApiError('conflict', 'The channel is under legal hold: release the hold before deleting it.');
  }
  if (!(await removeChannel(chat.sql, channelId))) throw notFound('Channel');
}
