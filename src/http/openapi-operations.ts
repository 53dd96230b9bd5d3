import * as ex from './openapi-examples.ts';

/**
 * What /docs says of every operation, in one place, keyed "METHOD /path" as OpenAPI writes paths.
 * Route files declare schemas; the words live here so that documenting an operation never conflicts
 * with changing it. test/ops/openapi.test.ts fails for a route under /api/v1 that has no entry (or a
 * summary of its own), and test/ops/api-doc.test.ts for one that docs/api.md does not describe.
 * Entries for operations a build does not have yet are simply not used. An entry's words replace
 * a route's own summary and description; a route with no entry keeps its own.
 */
export interface OperationDoc {
  summary: string;
  description: string;
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

export const OPERATIONS: Record<string, OperationDoc> = {
  // ops (outside /api/v1, no token)
  'GET /healthz': {
    tag: 'ops',
    summary: 'The process is up',
    description: 'Always 200 `{"status":"ok"}` while the process runs; for liveness probes.',
    response: { status: 'ok' },
  },
  'GET /readyz': {
    tag: 'ops',
    summary: 'The node can serve',
    description:
      'For readiness probes and load balancers: 200 when the database answers, every migration is applied and ' +
      'the listener is listening; 503 otherwise, and while the node drains on shutdown.',
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
    description: 'The user the token (or X-Parley-User) acts as, with the stored display name.',
    response: { id: 'student_sam', name: 'Sam Lee' },
  },
  'GET /api/v1/users': {
    tag: 'users',
    summary: 'Names and avatars of users',
    description:
      'For the ids a client shows: the caller and users who share a channel with the caller; other ids are left ' +
      'out, not refused. `ids=a,b`, or repeat `ids=` for ids that contain a comma; 1 to 100 ids.',
    response: { users: [{ id: 'student_sam', name: 'Sam Lee', avatar_url: ex.user.avatar_url }] },
  },

  // channels
  'POST /api/v1/channels': {
    tag: 'channels',
    bucket: 'channel',
    summary: 'Create a channel',
    description:
      'A `group` (the caller is its `owner`, others `member` unless a role is named) or a `tutor_student` channel ' +
      '(the caller is its `tutor`, others `student`). Direct channels are made with POST /direct-messages. Adding ' +
      'others follows PARLEY_MEMBER_ADDS. 201 with the channel.',
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
    description: 'Most recently active first, each with `unread_count`, `mention_count` and `last_read_message_id`.',
    response: { channels: [ex.myChannel] },
  },
  'GET /api/v1/channels/{id}': {
    tag: 'channels',
    summary: 'A channel',
    description: '404 if there is no such channel, 403 if the caller is not a member.',
    response: ex.myChannel,
  },
  'PATCH /api/v1/channels/{id}': {
    tag: 'channels',
    summary: 'Rename, describe, archive, freeze, or set slow mode',
    description:
      "The channel's moderators (owner, admin; tutor in a tutor_student channel). At least one field. " +
      '`is_frozen`: only moderators can send. `slow_mode_seconds` (0–86400, 0 off): each other member may send ' +
      'one message per that many seconds. Members get channel_updated; moderation changes go into the audit.',
    body: { is_frozen: true, slow_mode_seconds: 30 },
    response: { ...ex.channel, is_frozen: true, slow_mode_seconds: 30 },
  },
  'POST /api/v1/direct-messages': {
    tag: 'channels',
    bucket: 'channel',
    summary: 'Open the direct channel with a user',
    description:
      'One channel per unordered pair, safe under concurrent calls: 201 when it was made now, 200 when it existed. ' +
      'Refused (403) by PARLEY_DIRECT_MESSAGES, or when the other user blocks the caller.',
    body: { user_id: 'tutor_rivera' },
    response: { ...ex.myChannel, type: 'direct', name: null, description: null, member_count: 2 },
  },

  // members
  'GET /api/v1/channels/{id}/members': {
    tag: 'members',
    summary: "A channel's members",
    description: 'Members only.',
    response: { members: [ex.member] },
  },
  'POST /api/v1/channels/{id}/members': {
    tag: 'members',
    summary: 'Add a member',
    description:
      'Moderators only. `role` defaults to `member` (`student` in a tutor_student channel); only the owner adds an ' +
      'owner, only the owner or an admin an observer; a direct channel never changes. 201 added, 200 already a ' +
      'member (nothing changes). 409 if the user is banned from the channel.',
    body: { user_id: 'student_sam', role: 'student' },
    response: ex.member,
  },
  'DELETE /api/v1/channels/{id}/members/{user_id}': {
    tag: 'members',
    summary: 'Remove a member, or leave',
    description:
      'Anyone may remove themselves; moderators remove others (not the owner unless they are it, not a ' +
      "tutor_student channel's tutor; observers only the owner or an admin). The removed member gets member_left, " +
      'then nothing more of the channel. 204.',
  },
  'PATCH /api/v1/channels/{id}/members/me': {
    tag: 'members',
    summary: 'My preferences in a channel',
    description: '`muted`, `notification_level` (`all`, `mentions`, `none`); honoured by offline notifications.',
    body: { notification_level: 'mentions' },
    response: { ...ex.member, notification_level: 'mentions' },
  },

  // messages
  'GET /api/v1/channels/{id}/messages': {
    tag: 'messages',
    summary: 'History of a channel',
    description:
      'Oldest to newest. Without cursors: the newest `limit` (default 50, max 200). `before=<message_id>`: the ' +
      '`limit` messages just before it; `after=<message_id>`: just after it. `has_more` says whether there are ' +
      'more in that direction. Top-level messages only unless `include_replies=1`.',
    response: { messages: [ex.message], has_more: false },
  },
  'POST /api/v1/channels/{id}/messages': {
    tag: 'messages',
    bucket: 'send',
    summary: 'Send a message',
    description:
      '`content` 1–40,000 characters, not blank. `parent_message_id` replies in a thread (threads are one level ' +
      'deep). `mentions`: members of the channel (up to 100). `attachment_ids`: your own uploads not yet attached ' +
      '(up to 20). `client_id` (1–128 characters) makes a retry idempotent: the same message back with 200. ' +
      'Members get new_message; mentioned users also get mention. Frozen channels, slow mode, blocks and the ' +
      'contact-detail policy apply.',
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
    description:
      'The author only, not in an archived channel, not a deleted message (409). `mentions`, when given, ' +
      'replaces the list. Members get message_updated.',
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
    description:
      'The author, or a moderator of the channel. Soft: the row stays (threads and read points keep working), its ' +
      'content, attachments and reactions are emptied and `deleted_at` set. Members get message_deleted. 204.',
  },
  'GET /api/v1/messages/{id}/thread': {
    tag: 'messages',
    summary: 'A thread',
    description:
      'The parent and a page of its replies, oldest to newest (`after=<reply id>`, `limit` default 50, max 200). ' +
      'Any message of the thread names it.',
    response: { parent: ex.message, replies: [ex.reply], has_more: false },
  },

  // reactions
  'PUT /api/v1/messages/{id}/reactions/{emoji}': {
    tag: 'reactions',
    bucket: 'reaction',
    summary: 'React to a message',
    description:
      'Idempotent. `emoji`: one Unicode emoji (👍, 👩🏽‍💻, 🇳🇴) or a `:shortcode:`, 1–64 bytes, URL-encoded ' +
      '(`%F0%9F%91%8D`). Not on a deleted message (409); at most 20 different reactions per user and 100 per ' +
      'message (409). Members get message_reaction. Returns the message.',
    response: ex.message,
  },
  'DELETE /api/v1/messages/{id}/reactions/{emoji}': {
    tag: 'reactions',
    bucket: 'reaction',
    summary: 'Remove my reaction',
    description: 'Idempotent. Members get reaction_removed. Returns the message.',
    response: { ...ex.message, reactions: [] },
  },

  // activity
  'POST /api/v1/channels/{id}/typing': {
    tag: 'activity',
    bucket: 'typing',
    summary: 'I am typing (or stopped)',
    description:
      '`is_typing` defaults to true (an empty body is fine). Expires by itself 6 s after the last call. Members ' +
      'get a typing event (not those who block the caller). Not for observers. 204.',
    body: { is_typing: true },
  },
  'POST /api/v1/channels/{id}/read': {
    tag: 'activity',
    summary: 'Read receipt',
    description:
      "Moves the caller's read point to `message_id` (forward only) and clears unread counts up to it. Members " +
      "get read_receipt (an observer's goes to the observer alone). 204.",
    body: { message_id: ex.MESSAGE_ID },
  },

  // presence
  'GET /api/v1/online-users': {
    tag: 'presence',
    summary: 'Online users I share a channel with',
    description: 'The caller and the users who share a channel with the caller, online on any node.',
    response: { users: [{ user_id: 'tutor_rivera', since: '2026-12-01T15:58:00.000Z' }] },
  },
  'GET /api/v1/channel/{channel_id}/online-members': {
    tag: 'presence',
    summary: 'Online members of a channel',
    description: 'Members only.',
    response: { channel_id: CH, user_ids: ['tutor_rivera', 'student_sam'] },
  },
  'GET /api/v1/user/{user_id}/status': {
    tag: 'presence',
    summary: "One user's presence",
    description: '403 unless the caller shares a channel with the user (or is the user).',
    response: { user_id: 'tutor_rivera', online: false, last_seen_at: '2026-12-01T17:00:03.000Z' },
  },

  // attachments
  'POST /api/v1/attachments': {
    tag: 'attachments',
    bucket: 'upload',
    summary: 'Upload a file',
    description:
      'multipart/form-data with one field `file`, streamed to storage. Over PARLEY_MAX_UPLOAD_BYTES (default 25 ' +
      'MiB): 413 and nothing kept. `file_type` is sniffed from the bytes; images get `width`, `height` and a ' +
      '`thumbnail_url`. Attach it by sending its id in `attachment_ids`; unattached uploads are deleted after ' +
      'PARLEY_UPLOAD_TTL (24h). 201.',
    response: ex.attachment,
  },
  'GET /api/v1/attachments/{id}': {
    tag: 'attachments',
    summary: 'Download a file',
    description:
      'The bytes, to the uploader and to members of a channel whose message carries it (403 otherwise). Token in ' +
      '`Authorization` or `?access_token=` (for `<img src>`). `?thumbnail=1`: an image preview, at most 400 px. ' +
      'ETag and Range (206); types a browser could run are sent as application/octet-stream; nosniff.',
  },

  // search
  'GET /api/v1/search': {
    tag: 'search',
    summary: 'Search messages',
    description:
      'Full-text, in the channels the caller is a member of now. `q` (1–500 characters): words, "a phrase", ' +
      '-word, or. `channel_id` narrows it; `limit` default 20, max 100; `before` pages on. Best match first, each ' +
      'a Message with `snippet` and `highlights` ([start, end] offsets into the snippet). Any script.',
    response: {
      messages: [
        {
          ...ex.message,
          snippet: 'Please try question 3 before Tuesday, @student_sam.',
          highlights: [[11, 19]],
        },
      ],
    },
  },

  // events
  'GET /api/v1/events': {
    tag: 'events',
    summary: 'My event stream (SSE)',
    description:
      'Server-Sent Events: every event of the channels the caller is a member of, as they happen, from any node. ' +
      'Token in `Authorization` or `?access_token=` (EventSource). Resume with `Last-Event-ID` or ' +
      '`?last_event_id=<pos>`. See "Event stream" at the top of this page.',
  },
  'GET /api/v1/sse/{user_id}': {
    tag: 'events',
    summary: 'My event stream (SSE, by user id)',
    description: "The same stream as GET /events; 403 unless `user_id` is the token's own user.",
  },
  'GET /api/v1/ws': {
    tag: 'events',
    summary: 'My event stream (WebSocket, both ways)',
    description:
      'Upgrade to WebSocket. The same event objects as SSE; the client sends ops (send, typing, read, react, ' +
      'unreact, resume, ping), each answered by an ack. Resume with `?last_event_id=<pos>` or a first ' +
      '`{"op":"resume"}`. See "WebSocket protocol" at the top of this page.',
  },

  // safety
  'GET /api/v1/me/blocks': {
    tag: 'safety',
    summary: 'The users I block',
    description: 'The ids of the users the caller blocks.',
    response: { user_ids: ['student_max'] },
  },
  'PUT /api/v1/me/blocks/{user_id}': {
    tag: 'safety',
    summary: 'Block a user',
    description:
      'They cannot open or write in a direct channel with the caller, and the caller gets none of their typing. ' +
      'Idempotent. 204.',
  },
  'DELETE /api/v1/me/blocks/{user_id}': {
    tag: 'safety',
    summary: 'Unblock a user',
    description: 'Idempotent. 204.',
  },
  'POST /api/v1/messages/{id}/reports': {
    tag: 'safety',
    summary: 'Report a message',
    description:
      'Members only (observers too). 201 with the report; reporting the same message again returns the first ' +
      "report (200). The host's moderators get message_reported by webhook and review GET /server/reports.",
    body: { reason: 'Asked my child for a phone number.' },
    response: ex.report,
  },
  'GET /api/v1/channels/{id}/bans': {
    tag: 'safety',
    summary: "A channel's bans in force",
    description: "The channel's moderators only.",
    response: { bans: [ex.ban] },
  },
  'POST /api/v1/channels/{id}/bans': {
    tag: 'safety',
    summary: 'Ban a member',
    description:
      'Moderators (owner, admin, tutor). Removes them (member_left) and refuses them as a member until `until` ' +
      "(for good without it). Not oneself, not the owner (unless the owner bans), not a tutor_student channel's " +
      'tutor; never in a direct channel. Recorded in the audit. 201.',
    body: { user_id: 'student_max', until: '2026-12-08T00:00:00.000Z', reason: 'Spamming the lesson channel' },
    response: ex.ban,
  },
  'DELETE /api/v1/channels/{id}/bans/{user_id}': {
    tag: 'safety',
    summary: 'Lift a ban',
    description: 'Moderators only. 404 if the user is not banned. 204.',
  },

  // dev
  'POST /api/v1/dev/token': {
    tag: 'dev',
    summary: 'Mint a user token (development only)',
    description:
      'Anyone can become anyone: only with PARLEY_DEV_AUTH=1 (npm start sets it), 404 otherwise. Needs no token.',
    body: { user_id: 'student_sam', name: 'Sam Lee' },
    response: { token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzdHVkZW50X3NhbSJ9.c2lnbmF0dXJl' },
  },

  // server: users
  'PUT /api/v1/server/users/{user_id}': {
    tag: 'server',
    summary: 'Create or update a user',
    description:
      '`name` (≤ 200), `avatar_url` (http(s), ≤ 2000), `metadata` (an object, ≤ 16 KiB of JSON). Fields left out ' +
      'are kept. 201 created, 200 updated.',
    body: { name: 'Sam Lee', avatar_url: ex.user.avatar_url, metadata: { grade: 7 } },
    response: ex.user,
  },
  'GET /api/v1/server/users/{user_id}': {
    tag: 'server',
    summary: 'A user',
    description: 'The stored record, metadata included. 404 if unknown.',
    response: ex.user,
  },
  'DELETE /api/v1/server/users/{user_id}': {
    tag: 'server',
    summary: 'Erase a user',
    description:
      "Erases the user's messages (content, mentions, attachments; members get message_deleted), reactions, " +
      'memberships and presence, and revokes their tokens. The id stays reserved by an empty row. 204.',
  },
  'POST /api/v1/server/users/{user_id}/revoke-tokens': {
    tag: 'server',
    summary: "Revoke a user's tokens",
    description:
      "Tokens of the user issued (`iat`) before `before` (default now) get 401 from then on, and the user's open " +
      'streams on every node close within a second (a disconnect event; WebSocket close 4003).',
    body: { before: '2026-12-01T17:00:00.000Z' },
    response: { user_id: 'student_sam', before: '2026-12-01T17:00:00.000Z' },
  },
  'GET /api/v1/server/users/{user_id}/export': {
    tag: 'server',
    summary: "Export a user's data",
    description:
      'JSON Lines, streamed: everything kept of the user, including the original text of edited and deleted ' +
      'messages (for moderators; never shown to users).',
  },

  // server: channels
  'POST /api/v1/server/channels': {
    tag: 'server',
    summary: 'Create a channel for any members',
    description:
      'Any members with any roles, e.g. a tutor_student channel for a tutor and a student when a lesson is booked ' +
      '(exactly one tutor). A `direct` channel (two members) is found if the pair has one already (200). ' +
      "`metadata` is the host's own (an object). 201.",
    body: {
      type: 'tutor_student',
      name: 'Algebra with Ms. Rivera',
      members: [
        { user_id: 'tutor_rivera', role: 'tutor' },
        { user_id: 'student_sam', role: 'student' },
        { user_id: 'parent_lee', role: 'observer' },
      ],
      metadata: { booking_id: 'bk_1042' },
    },
    response: { ...ex.channel, created_by: null, metadata: { booking_id: 'bk_1042' } },
  },
  'DELETE /api/v1/server/channels/{id}': {
    tag: 'server',
    summary: 'Delete a channel',
    description: 'With everything in it; its members get member_left. 204.',
  },
  'POST /api/v1/server/channels/{id}/members': {
    tag: 'server',
    summary: 'Add a member with any role',
    description:
      "No user's checks; a channel's shape still holds (a direct channel never changes). 201, or 200 if already a member.",
    body: { user_id: 'parent_lee', role: 'observer' },
    response: { ...ex.member, user_id: 'parent_lee', role: 'observer' },
  },
  'DELETE /api/v1/server/channels/{id}/members/{user_id}': {
    tag: 'server',
    summary: 'Remove a member',
    description: 'Any member, the tutor too. 204.',
  },
  'POST /api/v1/server/channels/{id}/messages': {
    tag: 'server',
    summary: 'Post a system message, or as a member',
    description:
      'Without `user_id`: a system message (`user_id` null, `system` true). With `user_id`: as that member, with ' +
      "no user checks (the contact-detail policy still applies to a member's words). `client_id` makes retries " +
      'idempotent (200 with the earlier message). 201.',
    body: { content: 'Lesson booked for Tuesday 16:00.', client_id: 'booking-bk_1042' },
    response: ex.systemMessage,
  },
  'POST /api/v1/server/channels/{id}/bans': {
    tag: 'server',
    summary: 'Ban a member of any channel',
    description: 'As POST /channels/{id}/bans, for any channel. 201.',
    body: { user_id: 'student_max', reason: 'Report 3e4f5a6b upheld' },
    response: { ...ex.ban, until: null, reason: 'Report 3e4f5a6b upheld', created_by: 'key:booking-service' },
  },
  'DELETE /api/v1/server/channels/{id}/bans/{user_id}': {
    tag: 'server',
    summary: 'Lift a ban',
    description: '404 if the user is not banned. 204.',
  },
  'PUT /api/v1/server/channels/{id}/hold': {
    tag: 'server',
    summary: 'Put a channel on legal hold',
    description: 'A held channel keeps all its messages whatever PARLEY_MESSAGE_RETENTION says.',
  },
  'GET /api/v1/server/channels/{id}/export': {
    tag: 'server',
    summary: 'Export a channel',
    description:
      'JSON Lines, streamed: the channel, its members and every message kept, including the original text of ' +
      'edited and deleted messages (for moderators; never shown to users).',
  },

  // server: moderation
  'GET /api/v1/server/reports': {
    tag: 'server',
    summary: 'The report queue',
    description:
      '`status` open (default), resolved or all; oldest first; `limit` default 100, max 500; `after=<report id>` ' +
      'pages on.',
    response: { reports: [ex.report] },
  },
  'POST /api/v1/server/reports/{id}/resolve': {
    tag: 'server',
    summary: 'Resolve a report',
    description:
      '`dismiss`; `delete_message` (members get message_deleted); `ban_user` (its author, from the channel, for ' +
      'good). 409 if resolved already. Recorded in the audit.',
    body: { action: 'delete_message' },
    response: {
      ...ex.report,
      status: 'resolved',
      resolution: 'delete_message',
      resolved_by: 'key:booking-service',
      resolved_at: '2026-12-01T16:30:00.000Z',
    },
  },
  'GET /api/v1/server/audit': {
    tag: 'server',
    summary: 'The audit',
    description:
      "Every moderation action and every server-key action, newest first, kept apart from the event log's " +
      'retention. Narrow it with `channel_id`, `user_id`, `since`.',
    response: { entries: [ex.auditEntry] },
  },

  // webhooks
  'POST /api/v1/server/webhooks': {
    tag: 'webhooks',
    summary: 'Add a webhook endpoint',
    description:
      'Every event of every channel (or only `events`) is POSTed to `url`, signed with `secret` (generated when ' +
      'not given) by the Standard Webhooks scheme, in pos order, at least once. 201.',
    body: { url: ex.webhook.url, events: ['notification', 'message_reported'] },
    response: ex.webhook,
  },
  'GET /api/v1/server/webhooks': {
    tag: 'webhooks',
    summary: 'The webhook endpoints',
    description: 'Each with its delivery state (an endpoint whose events left the log undelivered is failing).',
    response: { webhooks: [ex.webhook] },
  },
  'DELETE /api/v1/server/webhooks/{id}': {
    tag: 'webhooks',
    summary: 'Remove a webhook endpoint',
    description: 'Deliveries stop. 204.',
  },
};
