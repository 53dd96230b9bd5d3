import * as ex from './openapi-examples.ts';

/**
 * What /docs says of every operation beyond its schemas, keyed "METHOD /path" as OpenAPI writes
 * paths: a summary, a tag, examples and the rate-limit bucket. Its description is the section of
 * docs/api.md under the heading "#### `METHOD /path`" (src/http/openapi.ts), so the reference and
 * /docs say the same thing from one text. Route files declare schemas; the words live here and in
 * docs/api.md, so documenting an operation never conflicts with changing it.
 * test/ops/openapi.test.ts fails for a route under /api/v1 without a summary or a description, and
 * test/ops/api-doc.test.ts for one that docs/api.md does not describe. Entries for operations a
 * build does not have yet are simply not used. An entry replaces a route's own summary and tags.
 */
export interface OperationDoc {
  summary: string;
  tag: TagName;
  /** The rate-limit bucket the operation draws on (PARLEY_RATE_LIMITS). */
  bucket?: 'send' | 'typing' | 'reaction' | 'upload' | 'channel';
  /** An example request body. */
  body?: unknown;
  /** An example of the success response's body. */
  response?: unknown;
}

export const TAGS = {
  users: 'The caller, and the names and avatars of the users a client shows.',
  channels: 'Group, direct and tutor_student channels: create, list, read, change.',
  members: "A channel's members, and the caller's own preferences in it.",
  messages: 'History, sending, editing, deleting, threads.',
  reactions: 'Emoji reactions on messages.',
  activity: 'Typing indicators and read receipts.',
  presence: 'Who is online, among the users the caller shares a channel with.',
  attachments: 'Uploads and downloads of files attached to messages.',
  search: "Full-text search in the caller's channels.",
  events:
    "The caller's event stream: Server-Sent Events, or a WebSocket that also takes ops. The event catalogue and " +
    'both protocols are in the description at the top of this page.',
  safety: "A user's blocks and reports, and a channel's bans (its moderators').",
  server:
    "The server API for the host application's backend: a server key (Bearer psk_…), no user's permission checks.",
  webhooks: 'Webhook endpoints: every event, signed (Standard Webhooks), never lost; offline notifications.',
  dev: 'Local development only (PARLEY_DEV_AUTH=1).',
  ops: 'Health, readiness, metrics. No token.',
} as const;
export type TagName = keyof typeof TAGS;

const CH = ex.CHANNEL_ID;

/** The user-facing operations (the server API's are in openapi-server-operations.ts). */
export const OPERATIONS: Record<string, OperationDoc> = {
  // ops (outside /api/v1, no token)
  'GET /healthz': {
    tag: 'ops',
    summary: 'The process is up',
    response: { status: 'ok' },
  },
  'GET /readyz': {
    tag: 'ops',
    summary: 'The node can serve',
    response: {
      status: 'ready',
      node_id: 'web-1',
      database: true,
      migrations: true,
      listener: 'listening',
      pos: 48213,
    },
  },

  // users
  'GET /api/v1/me': {
    tag: 'users',
    summary: 'The caller',
    response: { id: 'student_sam', name: 'Sam Lee' },
  },
  'GET /api/v1/users': {
    tag: 'users',
    summary: 'Names and avatars of users',
    response: { users: [{ id: 'student_sam', name: 'Sam Lee', avatar_url: ex.user.avatar_url }] },
  },

  // channels
  'POST /api/v1/channels': {
    tag: 'channels',
    bucket: 'channel',
    summary: 'Create a channel',
    body: {
      type: 'tutor_student',
      name: 'Algebra with Ms. Rivera',
      description: 'Tuesdays 16:00',
      members: [{ user_id: 'student_sam' }, { user_id: 'parent_lee', role: 'observer' }],
    },
    response: { ...ex.myChannel, unread_count: 0, mention_count: 0 },
  },
  'GET /api/v1/channels': {
    tag: 'channels',
    summary: "The caller's channels",
    response: { channels: [ex.myChannel] },
  },
  'GET /api/v1/channels/{id}': {
    tag: 'channels',
    summary: 'A channel',
    response: ex.myChannel,
  },
  'PATCH /api/v1/channels/{id}': {
    tag: 'channels',
    summary: 'Rename, describe, archive, freeze, or set slow mode',
    body: { is_frozen: true, slow_mode_seconds: 30 },
    response: { ...ex.channel, is_frozen: true, slow_mode_seconds: 30 },
  },
  'POST /api/v1/direct-messages': {
    tag: 'channels',
    bucket: 'channel',
    summary: 'Open the direct channel with a user',
    body: { user_id: 'tutor_rivera' },
    response: { ...ex.myChannel, type: 'direct', name: null, description: null, member_count: 2 },
  },

  // members
  'GET /api/v1/channels/{id}/members': {
    tag: 'members',
    summary: "A channel's members",
    response: { members: [ex.member] },
  },
  'POST /api/v1/channels/{id}/members': {
    tag: 'members',
    summary: 'Add a member',
    body: { user_id: 'student_sam', role: 'student' },
    response: ex.member,
  },
  'DELETE /api/v1/channels/{id}/members/{user_id}': {
    tag: 'members',
    summary: 'Remove a member, or leave',
  },
  'PATCH /api/v1/channels/{id}/members/me': {
    tag: 'members',
    summary: 'My preferences in a channel',
    body: { notification_level: 'mentions' },
    response: { ...ex.member, notification_level: 'mentions' },
  },

  // messages
  'GET /api/v1/channels/{id}/messages': {
    tag: 'messages',
    summary: 'History of a channel',
    response: { messages: [ex.message], has_more: false },
  },
  'POST /api/v1/channels/{id}/messages': {
    tag: 'messages',
    bucket: 'send',
    summary: 'Send a message',
    body: {
      content: 'Please try question 3 before Tuesday, @student_sam.',
      mentions: ['student_sam'],
      client_id: 'c-1701446531-7',
    },
    response: { ...ex.message, thread_reply_count: 0, last_reply_at: null, reactions: [] },
  },
  'PATCH /api/v1/messages/{id}': {
    tag: 'messages',
    bucket: 'send',
    summary: 'Edit a message',
    body: { content: 'Please try questions 3 and 4 before Tuesday.' },
    response: {
      ...ex.message,
      content: 'Please try questions 3 and 4 before Tuesday.',
      edited_at: '2026-12-01T16:04:00.000Z',
    },
  },
  'DELETE /api/v1/messages/{id}': {
    tag: 'messages',
    summary: 'Delete a message',
  },
  'GET /api/v1/messages/{id}/thread': {
    tag: 'messages',
    summary: 'A thread',
    response: { parent: ex.message, replies: [ex.reply], has_more: false },
  },

  // reactions
  'PUT /api/v1/messages/{id}/reactions/{emoji}': {
    tag: 'reactions',
    bucket: 'reaction',
    summary: 'React to a message',
    response: ex.message,
  },
  'DELETE /api/v1/messages/{id}/reactions/{emoji}': {
    tag: 'reactions',
    bucket: 'reaction',
    summary: 'Remove my reaction',
    response: { ...ex.message, reactions: [] },
  },

  // activity
  'POST /api/v1/channels/{id}/typing': {
    tag: 'activity',
    bucket: 'typing',
    summary: 'I am typing (or stopped)',
    body: { is_typing: true },
  },
  'POST /api/v1/channels/{id}/read': {
    tag: 'activity',
    summary: 'Read receipt',
    body: { message_id: ex.MESSAGE_ID },
  },

  // presence
  'GET /api/v1/online-users': {
    tag: 'presence',
    summary: 'Online users I share a channel with',
    response: { users: [{ user_id: 'tutor_rivera', since: '2026-12-01T15:58:00.000Z' }] },
  },
  'GET /api/v1/channel/{channel_id}/online-members': {
    tag: 'presence',
    summary: 'Online members of a channel',
    response: { channel_id: CH, user_ids: ['tutor_rivera', 'student_sam'] },
  },
  'GET /api/v1/user/{user_id}/status': {
    tag: 'presence',
    summary: "One user's presence",
    response: { user_id: 'tutor_rivera', online: false, last_seen_at: '2026-12-01T17:00:03.000Z' },
  },

  // attachments
  'POST /api/v1/attachments': {
    tag: 'attachments',
    bucket: 'upload',
    summary: 'Upload a file',
    response: ex.attachment,
  },
  'GET /api/v1/attachments/{id}': {
    tag: 'attachments',
    summary: 'Download a file',
  },

  // search
  'GET /api/v1/search': {
    tag: 'search',
    summary: 'Search messages',
    response: {
      messages: [
        {
          ...ex.message,
          snippet: 'Please try question 3 before Tuesday, @student_sam.',
          highlights: [[11, 19]],
        },
      ],
      has_more: false,
      next_before: null,
    },
  },

  // events
  'GET /api/v1/events': {
    tag: 'events',
    summary: 'My event stream (SSE)',
  },
  'GET /api/v1/sse/{user_id}': {
    tag: 'events',
    summary: 'My event stream (SSE, by user id)',
  },
  'GET /api/v1/ws': {
    tag: 'events',
    summary: 'My event stream (WebSocket, both ways)',
  },

  // safety
  'GET /api/v1/me/blocks': {
    tag: 'safety',
    summary: 'The users I block',
    response: { user_ids: ['student_max'] },
  },
  'PUT /api/v1/me/blocks/{user_id}': {
    tag: 'safety',
    summary: 'Block a user',
  },
  'DELETE /api/v1/me/blocks/{user_id}': {
    tag: 'safety',
    summary: 'Unblock a user',
  },
  'POST /api/v1/messages/{id}/reports': {
    tag: 'safety',
    summary: 'Report a message',
    body: { reason: 'Asked my child for a phone number.' },
    response: ex.report,
  },
  'GET /api/v1/channels/{id}/bans': {
    tag: 'safety',
    summary: "A channel's bans in force",
    response: { bans: [ex.ban] },
  },
  'POST /api/v1/channels/{id}/bans': {
    tag: 'safety',
    summary: 'Ban a member',
    body: { user_id: 'student_max', until: '2026-12-08T00:00:00.000Z', reason: 'Spamming the lesson channel' },
    response: ex.ban,
  },
  'DELETE /api/v1/channels/{id}/bans/{user_id}': {
    tag: 'safety',
    summary: 'Lift a ban',
  },

  // dev
  'POST /api/v1/dev/token': {
    tag: 'dev',
    summary: 'Mint a user token (development only)',
    body: { user_id: 'student_sam', name: 'Sam Lee' },
    response: { token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzdHVkZW50X3NhbSJ9.c2lnbmF0dXJl' },
  },
};
