/** The resources and events of the Parley v1 contract (shared/API.md), as clients receive them. */

export type ChannelType = 'group' | 'direct' | 'tutor_student';
export type Role = 'owner' | 'admin' | 'member' | 'tutor' | 'student';
export type NotificationLevel = 'all' | 'mentions' | 'none';

export interface User {
  id: string;
  name: string | null;
}

export interface Channel {
  id: string;
  type: ChannelType;
  name: string | null;
  description: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  last_message_at: string | null;
  member_count: number;
  is_archived: boolean;
  /** Present in the caller's own views (list, get, create). */
  unread_count?: number;
  mention_count?: number;
  last_read_message_id?: string | null;
}

export interface Member {
  channel_id: string;
  user_id: string;
  role: Role;
  joined_at: string;
  last_read_message_id: string | null;
  last_read_at: string | null;
  muted: boolean;
  notification_level: NotificationLevel;
}

export interface Attachment {
  id: string;
  file_url: string;
  file_name: string;
  file_type: string;
  file_size: number;
}

export interface Reaction {
  emoji: string;
  count: number;
  user_ids: string[];
}

export interface Message {
  id: string;
  channel_id: string;
  user_id: string;
  content: string;
  parent_message_id: string | null;
  thread_reply_count: number;
  last_reply_at: string | null;
  mentions: string[];
  attachments: Attachment[];
  reactions: Reaction[];
  created_at: string;
  edited_at: string | null;
  deleted_at: string | null;
}

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
