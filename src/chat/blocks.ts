import { addBlock, blockedBy, removeBlock } from '../db/blocks.ts';
import { invalid } from '../errors.ts';
import type { Actor } from './actor.ts';
import type { Chat } from './context.ts';
import { userOf } from './place.ts';

/**
 * Blocks are a user's own: a blocked user cannot open or write in a direct channel with the blocker,
 * and the blocker gets none of their typing (every node's streams of the blocker are told).
 */
export async function block(chat: Chat, actor: Actor, userId: string): Promise<void> {
  const me = userOf(actor);
  if (userId === me) throw invalid('user_id', 'You cannot block yourself.');
  await addBlock(chat.sql, me, userId);
  await chat.blocksChanged(me);
}

export async function unblock(chat: Chat, actor: Actor, userId: string): Promise<void> {
  const me = userOf(actor);
  await removeBlock(chat.sql, me, userId);
  await chat.blocksChanged(me);
}

export async function listBlocks(chat: Chat, actor: Actor): Promise<string[]> {
  return blockedBy(chat.sql, userOf(actor));
}
