import { type Static, Type } from '@sinclair/typebox';
import { Nullable, Timestamp, UserId, Uuid } from './schemas.ts';

export const ChannelType = Type.Union([Type.Literal('group'), Type.Literal('direct'), Type.Literal('tutor_student')]);
export const Role = Type.Union([
  Type.Literal('owner'),
  Type.Literal('admin'),
  Type.Literal('member'),
  Type.Literal('tutor'),
  Type.Literal('student'),
  Type.Literal('observer'),
]);
export const NotificationLevel = Type.Union([Type.Literal('all'), Type.Literal('mentions'), Type.Literal('none')]);

export const Channel = Type.Object({
  id: Uuid,
  type: ChannelType,
  name: Nullable(Type.String()),
  description: Nullable(Type.String()),
  created_by: Nullable(Type.String()),
  created_at: Timestamp,
  updated_at: Timestamp,
  last_message_at: Nullable(Timestamp),
  member_count: Type.Integer(),
  is_archived: Type.Boolean(),
  /** Frozen: only moderators (owner, admin, tutor) can send. */
  is_frozen: Type.Boolean(),
  /** Slow mode: each other member may send one message per this many seconds (0: off). */
  slow_mode_seconds: Type.Integer(),
  unread_count: Type.Optional(Type.Integer()),
  mention_count: Type.Optional(Type.Integer()),
  last_read_message_id: Type.Optional(Nullable(Uuid)),
});

export const Member = Type.Object({
  channel_id: Uuid,
  user_id: UserId,
  role: Role,
  joined_at: Timestamp,
  last_read_message_id: Nullable(Uuid),
  last_read_at: Nullable(Timestamp),
  muted: Type.Boolean(),
  notification_level: NotificationLevel,
});

export const Attachment = Type.Object({
  id: Uuid,
  file_url: Type.String(),
  file_name: Type.String(),
  file_type: Type.String(),
  file_size: Type.Integer(),
  /** Hex SHA-256 of the bytes (also the download's ETag); null only for rows written before v1.1. */
  sha256: Nullable(Type.String()),
  /** Images only: their size in pixels, and a preview at most 400 px on its longer side. */
  width: Type.Optional(Type.Integer()),
  height: Type.Optional(Type.Integer()),
  thumbnail_url: Type.Optional(Type.String()),
});

export const Reaction = Type.Object({
  emoji: Type.String(),
  count: Type.Integer(),
  user_ids: Type.Array(Type.String()),
});

export const Message = Type.Object({
  id: Uuid,
  channel_id: Uuid,
  /** null for a system message (the host application's, through the server API). */
  user_id: Nullable(Type.String()),
  system: Type.Boolean(),
  content: Type.String(),
  parent_message_id: Nullable(Uuid),
  thread_reply_count: Type.Integer(),
  last_reply_at: Nullable(Timestamp),
  mentions: Type.Array(Type.String()),
  attachments: Type.Array(Attachment),
  reactions: Type.Array(Reaction),
  created_at: Timestamp,
  edited_at: Nullable(Timestamp),
  deleted_at: Nullable(Timestamp),
});

/** The same shapes as TypeScript types: what the domain returns is what the schemas send and document. */
export type Channel = Static<typeof Channel>;
export type Member = Static<typeof Member>;
export type Attachment = Static<typeof Attachment>;
export type Reaction = Static<typeof Reaction>;
export type Message = Static<typeof Message>;

export const Ban = Type.Object({
  channel_id: Uuid,
  user_id: Type.String(),
  /** null: for good, until lifted. */
  until: Nullable(Timestamp),
  reason: Nullable(Type.String()),
  created_by: Nullable(Type.String()),
  created_at: Timestamp,
});

export const Report = Type.Object({
  id: Uuid,
  message_id: Uuid,
  channel_id: Uuid,
  /** null: opened by the contact-detail policy. */
  reporter: Nullable(Type.String()),
  kind: Type.Union([Type.Literal('member'), Type.Literal('contact_policy')]),
  reason: Type.String(),
  status: Type.Union([Type.Literal('open'), Type.Literal('resolved')]),
  resolution: Nullable(Type.Union([Type.Literal('dismiss'), Type.Literal('delete_message'), Type.Literal('ban_user')])),
  resolved_by: Nullable(Type.String()),
  resolved_at: Nullable(Timestamp),
  created_at: Timestamp,
});

/** A webhook endpoint as the server API shows it; `secret` only in the answer that created it. */
export const WebhookEndpoint = Type.Object({
  id: Uuid,
  url: Type.String(),
  /** `["*"]`: every durable event. */
  events: Type.Array(Type.String()),
  secret: Type.Optional(Type.String()),
  created_at: Timestamp,
  /** `api`, or `env` for the one PARLEY_WEBHOOK_URL configures. */
  source: Type.Optional(Type.String()),
  /** The last pos acknowledged (or passed over); delivery continues after it. */
  cursor: Type.Optional(Type.Integer()),
  lag_events: Type.Optional(Type.Integer()),
  lag_seconds: Type.Optional(Type.Number()),
  /** Failed attempts of the event after the cursor, and when the next one is due. */
  attempts: Type.Optional(Type.Integer()),
  next_attempt_at: Type.Optional(Nullable(Timestamp)),
  last_attempt_at: Type.Optional(Nullable(Timestamp)),
  last_status: Type.Optional(Nullable(Type.Integer())),
  last_error: Type.Optional(Nullable(Type.String())),
  last_success_at: Type.Optional(Nullable(Timestamp)),
  /** Events left the log's retention before they could be delivered (cleared by the next success). */
  failing: Type.Optional(Type.Boolean()),
  failing_since: Type.Optional(Nullable(Timestamp)),
  skipped_events: Type.Optional(Type.Integer()),
  delivering_node: Type.Optional(Nullable(Type.String())),
});
