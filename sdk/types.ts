/** The resources and events of the Parley v1 contract (docs/api.md), as clients receive them. */

import type { Static } from '@sinclair/typebox';
// The resources are the server's own schemas (src/contract/resources.ts), imported as types only:
// the SDK stays free of runtime dependencies, and it cannot disagree with what the server sends.
import type {
  Attachment as AttachmentSchema,
  Channel as ChannelSchema,
  ChannelType as ChannelTypeSchema,
  Member as MemberSchema,
  Message as MessageSchema,
  NotificationLevel as NotificationLevelSchema,
  Reaction as ReactionSchema,
  Role as RoleSchema,
} from '../src/contract/resources.ts';

export type ChannelType = Static<typeof ChannelTypeSchema>;
export type Role = Static<typeof RoleSchema>;
export type NotificationLevel = Static<typeof NotificationLevelSchema>;

export interface User {
  id: string;
  name: string | null;
}

/** `unread_count`, `mention_count` and `last_read_message_id` are present in the caller's own views. */
export type Channel = ChannelSchema;
export type Member = MemberSchema;
export type Attachment = AttachmentSchema;
export type Reaction = ReactionSchema;
export type Message = MessageSchema;

export interface MessagePage {
  /** Oldest first. */
  messages: Message[];
  has_more: boolean;
}

export interface Thread {
  parent: Message;
  /** Oldest first. */
  replies: Message[];
  has_more: boolean;
}

export interface OnlineUser {
  user_id: string;
  since: string;
}

export interface UserStatus {
  user_id: string;
  online: boolean;
  last_seen_at: string | null;
}

export interface ReactionEventData {
  message_id: string;
  user_id: string;
  emoji: string;
}

export interface MemberEventData {
  user_id: string;
  role: Role;
}

/** The `data` of each event type. */
export interface EventDataMap {
  connection: { user_id: string; node_id: string; resumed: boolean };
  new_message: Message;
  message_updated: Message;
  message_deleted: { message_id: string };
  message_reaction: ReactionEventData;
  reaction_removed: ReactionEventData;
  thread_updated: { message_id: string; thread_reply_count: number; last_reply_at: string | null };
  read_receipt: { user_id: string; message_id: string; read_at: string };
  member_joined: MemberEventData;
  member_left: MemberEventData;
  channel_created: Channel;
  channel_updated: Channel;
  mention: Message;
  typing: { user_id: string; is_typing: boolean };
  presence: { user_id: string; online: boolean; last_seen_at: string | null };
  reset: { reason: string };
}

export type EventType = keyof EventDataMap;

/** One event of the stream. `pos` is set on durable events only. */
export interface ParleyEvent<T extends EventType = EventType> {
  type: T;
  channel_id: string | null;
  data: EventDataMap[T];
  pos?: number;
  ts: string;
}

/** Any event, narrowed by its `type`. */
export type AnyParleyEvent = { [K in EventType]: ParleyEvent<K> }[EventType];

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
  /** Reconnect attempts since the stream was last open. */
  attempt: number;
  /** While reconnecting: how long until the next attempt. */
  delayMs?: number;
  /** What ended the previous connection, if anything did. */
  error?: Error;
}

/** Everything `client.on(…)` can listen to: each event type, `*` for all of them, and the stream's own. */
export type ClientEventMap = { [K in EventType]: ParleyEvent<K> } & {
  '*': AnyParleyEvent;
  state: StateChange;
  error: Error;
};
