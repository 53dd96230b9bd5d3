import { type Static, Type } from '@sinclair/typebox';
import type { Channel } from '../contract/resources.ts';
import { UserId } from '../contract/schemas.ts';
import { blocks, shareAChannel } from '../db/blocks.ts';
import { channelsOf } from '../db/channels.ts';
import { openDirect as findOrCreate } from '../db/direct.ts';
import { invalid } from '../errors.ts';
import type { Actor } from './actor.ts';
import type { Chat } from './context.ts';
import { assertMayMessageDirectly } from './permissions.ts';
import { userOf } from './place.ts';

export const DirectInput = Type.Object({ user_id: UserId }, { additionalProperties: false });

/** The caller's direct channel with another user: one per unordered pair, made on first use. */
export async function openDirect(
  chat: Chat,
  actor: Actor,
  input: Static<typeof DirectInput>,
): Promise<{ created: boolean; channel: Channel }> {
  const me = userOf(actor);
  if (input.user_id === me) throw invalid('user_id', 'A direct channel needs another user.');
  chat.limits.take(actor, 'channel');
  assertMayMessageDirectly(actor, chat.safety.directMessages, {
    blockedByOther: await blocks(chat.sql, input.user_id, me),
    shareAChannel:
      chat.safety.directMessages === 'shared_channel' && (await shareAChannel(chat.sql, me, input.user_id)),
  });
  const { id, created } = await findOrCreate(chat.sql, me, input.user_id);
  const [channel] = await channelsOf(chat.sql, me, id);
  return { created, channel: channel! };
}
