import { type Static, Type } from '@sinclair/typebox';
import type { Message } from '../contract/resources.ts';
import { Text, UserId, Uuid } from '../contract/schemas.ts';
import { blocks, directPeer } from '../db/blocks.ts';
import {
  countFreeUploads,
  findByClientId,
  findMessage,
  insertMessage,
  insertSystemMessage,
  type MessageRow,
  messageJson,
  type NewMessage,
  nonMembers,
  history as page,
  deleteMessage as softDelete,
  thread as threadPage,
  editMessage as writeEdit,
} from '../db/messages.ts';
import { openReport } from '../db/reports.ts';
import { takeSlowModeSlot } from '../db/slow-mode.ts';
import { ApiError, invalid, notFound } from '../errors.ts';
import type { Actor } from './actor.ts';
import { recordAudit } from './audit.ts';
import { applyContactPolicy, type Finding } from './contact.ts';
import type { Chat } from './context.ts';
import {
  assertCanDelete,
  assertCanEdit,
  assertCanWrite,
  assertMember,
  assertServer,
  type Place,
  slowModeFor,
} from './permissions.ts';
import { placeIn, userOf } from './place.ts';

export const MAX_CONTENT = 40_000;
const Content = Text({ minLength: 1, maxLength: MAX_CONTENT });
const Mentions = Type.Array(UserId, { maxItems: 100, uniqueItems: true });

/** The fields of a send, the same over REST (the body) and WebSocket (the `send` op). */
export const sendFields = {
  content: Content,
  parent_message_id: Type.Optional(Type.Union([Uuid, Type.Null()])),
  mentions: Type.Optional(Mentions),
  attachment_ids: Type.Optional(Type.Array(Uuid, { maxItems: 20, uniqueItems: true })),
  client_id: Type.Optional(Text({ minLength: 1, maxLength: 128 })),
};
export const SendInput = Type.Object(sendFields, { additionalProperties: false });
export const EditInput = Type.Object(
  { content: Content, mentions: Type.Optional(Mentions) },
  { additionalProperties: false },
);
export const HistoryInput = Type.Object({
  before: Type.Optional(Uuid),
  after: Type.Optional(Uuid),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  include_replies: Type.Optional(Type.Union([Type.Boolean(), Type.Literal(1), Type.Literal(0)])),
});
export const ThreadInput = Type.Object({
  after: Type.Optional(Uuid),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
});

/** Whitespace alone is not a message. */
function checkContent(content: string): void {
  if (content.trim() === '') throw invalid('content', 'content must not be blank.');
}

/** What makes a bad message a 400 before the database would refuse it. */
async function validateNewMessage(chat: Chat, m: NewMessage): Promise<void> {
  if (m.parentMessageId) {
    const parent = await findMessage(chat.sql, m.parentMessageId);
    if (!parent || parent.channel_id !== m.channelId) {
      throw invalid('parent_message_id', 'parent_message_id is not a message of this channel.');
    }
    // Threads are one level deep.
    if (parent.parent_message_id) {
      throw invalid('parent_message_id', 'Replies go to the top-level message of a thread.');
    }
  }
  const [outsider] = await nonMembers(chat.sql, m.channelId, m.mentions, true);
  if (outsider !== undefined) {
    throw invalid('mentions', `mentions names "${outsider}", who is not a member of this channel.`);
  }
  if (m.attachmentIds.length > chat.uploads.maxPerMessage) {
    throw invalid('attachment_ids', `A message carries at most ${chat.uploads.maxPerMessage} attachments.`);
  }
  if (
    m.attachmentIds.length &&
    (await countFreeUploads(chat.sql, m.attachmentIds, m.userId)) !== m.attachmentIds.length
  ) {
    throw invalid('attachment_ids', 'attachment_ids must name your own uploads not yet attached.');
  }
}

/** A message and the actor's place in its channel (404 if no message, 403 if not a member). */
async function messageForActor(chat: Chat, actor: Actor, id: string): Promise<{ msg: MessageRow; place: Place }> {
  const msg = await findMessage(chat.sql, id);
  if (!msg) throw notFound('Message');
  return { msg, place: await placeIn(chat, actor, msg.channel_id) };
}

/**
 * What a user's message may not do beyond the place's rules: write to a direct channel whose other
 * member blocks them, or come sooner than slow mode allows (which takes the slot).
 */
async function checkSending(chat: Chat, place: Place, channelId: string, userId: string): Promise<void> {
  assertCanWrite(place);
  if (place.channelType === 'direct') {
    const peer = await directPeer(chat.sql, channelId, userId);
    if (peer && (await blocks(chat.sql, peer, userId))) {
      throw new ApiError('forbidden', 'This user does not take your messages.');
    }
  }
  const seconds = slowModeFor(place);
  if (seconds > 0) {
    const slot = await takeSlowModeSlot(chat.sql, channelId, userId, seconds);
    if (slot !== true) {
      const err = new ApiError(
        'rate_limited',
        `Slow mode: one message every ${seconds} s in this channel.`,
        undefined,
        Math.ceil(slot / 1000),
      );
      err.retryAfterMs = slot;
      throw err;
    }
  }
}

/** The contact-detail policy's report, for a message it flagged. */
async function flagged(chat: Chat, message: Message, findings: Finding[]): Promise<void> {
  if (findings.length === 0 || chat.safety.contactPolicy !== 'flag') return;
  const kinds = [...new Set(findings.map((f) => f.kind))].join(', ');
  await openReport(chat.sql, {
    messageId: message.id,
    channelId: message.channel_id,
    reporter: null,
    kind: 'contact_policy',
    reason: `Contact details in the message (${kinds}).`,
  });
}

/** Sends a message: `created` false with the earlier message for a repeated client_id. */
export async function sendMessage(
  chat: Chat,
  actor: Actor,
  channelId: string,
  input: Static<typeof SendInput>,
): Promise<{ created: boolean; message: Message }> {
  const { sql } = chat;
  const userId = userOf(actor);
  chat.limits.take(actor, 'send');
  const { content, findings } = applyContactPolicy(
    chat.safety.contactPolicy,
    chat.safety.contactPhoneRegions,
    input.content,
  );
  const m: NewMessage = {
    channelId,
    userId,
    content,
    parentMessageId: input.parent_message_id ?? null,
    mentions: input.mentions ?? [],
    attachmentIds: input.attachment_ids ?? [],
    clientId: input.client_id ?? null,
  };
  // The common message needs no lookups before it is written: the writer checks membership and the
  // channel's state inside its INSERT. Anything that needs more is checked first.
  const plain = !m.parentMessageId && m.mentions.length === 0 && m.attachmentIds.length === 0;
  if (!plain || m.content.trim() === '') {
    assertCanWrite(await placeIn(chat, actor, channelId));
    checkContent(m.content);
    await validateNewMessage(chat, m);
  }
  let result: { created: boolean; message: Message };
  const written = m.attachmentIds.length ? undefined : await chat.writer.write(m);
  if (written?.status === 'created') {
    result = { created: true, message: written.message };
  } else {
    // Not written by the writer: the caller may not write here (say which), a retry of an earlier
    // send, or a channel the writer leaves to this path (frozen, slow mode, direct: blocks).
    // Membership first: a user removed since gets 403, not the message as it is now.
    const place = await placeIn(chat, actor, channelId);
    if (m.clientId) {
      const earlier = await findByClientId(sql, channelId, userId, m.clientId);
      if (earlier) return { created: false, message: (await messageJson(sql, earlier))! };
    }
    await checkSending(chat, place, channelId, userId);
    const { id, created } = await insertMessage(sql, m);
    result = { created, message: (await messageJson(sql, id))! };
  }
  if (result.created) await flagged(chat, result.message, findings);
  return result;
}

export async function editMessage(
  chat: Chat,
  actor: Actor,
  messageId: string,
  input: Static<typeof EditInput>,
): Promise<Message> {
  chat.limits.take(actor, 'send');
  const { msg, place } = await messageForActor(chat, actor, messageId);
  assertCanEdit(actor, msg.user_id);
  assertCanWrite(place);
  if (msg.deleted_at) throw new ApiError('conflict', 'The message was deleted.');
  checkContent(input.content);
  const { content, findings } = applyContactPolicy(
    chat.safety.contactPolicy,
    chat.safety.contactPhoneRegions,
    input.content,
  );
  if (input.mentions) {
    await validateNewMessage(chat, {
      channelId: msg.channel_id,
      userId: msg.user_id ?? '',
      content: input.content,
      parentMessageId: null,
      mentions: input.mentions,
      attachmentIds: [],
      clientId: null,
    });
  }
  await writeEdit(chat.sql, msg.id, content, input.mentions);
  const message = (await messageJson(chat.sql, msg.id))!;
  await flagged(chat, message, findings);
  return message;
}

/** Soft delete: the row stays so threads and read positions that point at it keep working. */
export async function deleteMessage(chat: Chat, actor: Actor, messageId: string): Promise<void> {
  const { msg, place } = await messageForActor(chat, actor, messageId);
  assertCanDelete(actor, place, msg.user_id);
  await softDelete(chat.sql, msg.id);
  // A moderator deleting someone else's message is moderation.
  if (actor.kind === 'server' || actor.userId !== msg.user_id) {
    await recordAudit(chat, actor, {
      action: 'message.delete',
      target: msg.id,
      channelId: msg.channel_id,
      userId: msg.user_id,
    });
  }
}

/** A page of a channel's history, as JSON text ready to send (built by PostgreSQL). */
export async function history(
  chat: Chat,
  actor: Actor,
  channelId: string,
  input: Static<typeof HistoryInput>,
): Promise<string> {
  const result = await page(chat.sql, channelId, actor.kind === 'user' ? actor.userId : '', {
    before: input.before,
    after: input.after,
    limit: input.limit,
    includeReplies: input.include_replies === true || input.include_replies === 1,
  });
  assertMember(actor, result.found, result.role);
  if (input.before && !result.beforeFound) throw invalid('before', 'before is not a message of this channel.');
  if (input.after && !result.afterFound) throw invalid('after', 'after is not a message of this channel.');
  return result.body;
}

/** A thread: its parent and a page of replies (any message of the thread names it). */
export async function thread(
  chat: Chat,
  actor: Actor,
  messageId: string,
  input: Static<typeof ThreadInput>,
): Promise<{ parent: Message; replies: Message[]; has_more: boolean }> {
  const { msg } = await messageForActor(chat, actor, messageId);
  const parentId = msg.parent_message_id ?? msg.id;
  const replies = await threadPage(chat.sql, parentId, input);
  if (!replies) throw invalid('after', 'after is not a reply in this thread.');
  return { parent: (await messageJson(chat.sql, parentId))!, ...replies };
}

export const ServerMessageInput = Type.Object(
  {
    ...sendFields,
    /** Post as this member; without it, a system message (no author). */
    user_id: Type.Optional(UserId),
  },
  { additionalProperties: false },
);

/**
 * The server API: a system message ("Lesson booked for Tuesday 16:00"), or one posted as a member,
 * with no user's checks (an archived channel takes it too). Idempotent on client_id.
 */
export async function sendAsServer(
  chat: Chat,
  actor: Actor,
  channelId: string,
  input: Static<typeof ServerMessageInput>,
): Promise<{ created: boolean; message: Message }> {
  assertServer(actor);
  await placeIn(chat, actor, channelId);
  const { user_id: author, ...rest } = input;
  if (author !== undefined) {
    const [outsider] = await nonMembers(chat.sql, channelId, [author]);
    if (outsider !== undefined) throw invalid('user_id', `user_id "${author}" is not a member of this channel.`);
  } else if (rest.attachment_ids?.length) {
    throw invalid('attachment_ids', 'A system message has no uploader: post attachments as a member (user_id).');
  }
  // A member's words go through the contact-detail policy whoever posts them; the host's own
  // system messages do not (a booking notice may well carry the school's phone number).
  const { content, findings } =
    author !== undefined
      ? applyContactPolicy(chat.safety.contactPolicy, chat.safety.contactPhoneRegions, rest.content)
      : { content: rest.content, findings: [] };
  const m: NewMessage = {
    channelId,
    userId: author ?? '',
    content,
    parentMessageId: rest.parent_message_id ?? null,
    mentions: rest.mentions ?? [],
    attachmentIds: rest.attachment_ids ?? [],
    clientId: rest.client_id ?? null,
  };
  checkContent(m.content);
  await validateNewMessage(chat, m);
  const { id, created } =
    author !== undefined ? await insertMessage(chat.sql, m) : await insertSystemMessage(chat.sql, m);
  const message = (await messageJson(chat.sql, id))!;
  if (created) await flagged(chat, message, findings);
  return { created, message };
}
