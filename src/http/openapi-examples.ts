/**
 * Example resources for the OpenAPI document (/docs), in the shapes of src/contract/resources.ts, so
 * that every operation shows what it really takes and returns. docs/api.md uses the same values.
 */

export const CHANNEL_ID = '0b6f7c1e-2f0a-4d43-9a55-6c1b8f0d2e11';
export const MESSAGE_ID = '5f1d3c2a-8b7e-4e0f-a1c9-2d4e6f8a0b13';
export const REPLY_ID = '7a2e4c6b-1d3f-4a5b-9c8d-0e1f2a3b4c15';
export const ATTACHMENT_ID = '9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c17';
export const REPORT_ID = '3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a619';

export const channel = {
  id: CHANNEL_ID,
  type: 'tutor_student',
  name: 'Algebra with Ms. Rivera',
  description: 'Tuesdays 16:00',
  created_by: 'tutor_rivera',
  created_at: '2026-12-01T09:00:00.000Z',
  updated_at: '2026-12-01T09:00:00.000Z',
  last_message_at: '2026-12-01T16:02:11.482Z',
  member_count: 3,
  is_archived: false,
  is_frozen: false,
  slow_mode_seconds: 0,
};

/** A channel as it appears in the caller's own lists (GET /channels, create, direct). */
export const myChannel = { ...channel, unread_count: 2, mention_count: 1, last_read_message_id: null };

export const member = {
  channel_id: CHANNEL_ID,
  user_id: 'student_sam',
  role: 'student',
  joined_at: '2026-12-01T09:00:00.000Z',
  last_read_message_id: MESSAGE_ID,
  last_read_at: '2026-12-01T16:03:00.000Z',
  muted: false,
  notification_level: 'all',
};

export const attachment = {
  id: ATTACHMENT_ID,
  file_url: `/api/v1/attachments/${ATTACHMENT_ID}`,
  file_name: 'worksheet-3.png',
  file_type: 'image/png',
  file_size: 48213,
  sha256: '2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae',
  width: 1200,
  height: 900,
  thumbnail_url: `/api/v1/attachments/${ATTACHMENT_ID}?thumbnail=1`,
};

export const message = {
  id: MESSAGE_ID,
  channel_id: CHANNEL_ID,
  user_id: 'tutor_rivera',
  system: false,
  content: 'Please try question 3 before Tuesday, @student_sam.',
  parent_message_id: null,
  thread_reply_count: 1,
  last_reply_at: '2026-12-01T16:05:40.120Z',
  mentions: ['student_sam'],
  attachments: [],
  reactions: [{ emoji: '👍', count: 1, user_ids: ['student_sam'] }],
  created_at: '2026-12-01T16:02:11.482Z',
  edited_at: null,
  deleted_at: null,
};

export const reply = {
  ...message,
  id: REPLY_ID,
  user_id: 'student_sam',
  content: 'Done! Is this right?',
  parent_message_id: MESSAGE_ID,
  thread_reply_count: 0,
  last_reply_at: null,
  mentions: [],
  attachments: [attachment],
  reactions: [],
  created_at: '2026-12-01T16:05:40.120Z',
};

export const systemMessage = {
  ...message,
  id: '1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d21',
  user_id: null,
  system: true,
  content: 'Lesson booked for Tuesday 16:00.',
  thread_reply_count: 0,
  last_reply_at: null,
  mentions: [],
  reactions: [],
};

export const user = {
  id: 'student_sam',
  name: 'Sam Lee',
  avatar_url: 'https://cdn.example.com/avatars/sam.png',
  metadata: { grade: 7 },
  created_at: '2026-11-20T12:00:00.000Z',
};

export const ban = {
  channel_id: CHANNEL_ID,
  user_id: 'student_max',
  until: '2026-12-08T00:00:00.000Z',
  reason: 'Spamming the lesson channel',
  created_by: 'tutor_rivera',
  created_at: '2026-12-01T16:10:00.000Z',
};

export const report = {
  id: REPORT_ID,
  message_id: MESSAGE_ID,
  channel_id: CHANNEL_ID,
  reporter: 'parent_lee',
  kind: 'member',
  reason: 'Asked my child for a phone number.',
  status: 'open',
  resolution: null,
  resolved_by: null,
  resolved_at: null,
  created_at: '2026-12-01T16:20:00.000Z',
};

export const webhook = {
  id: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d23',
  url: 'https://tutoring.example.com/hooks/parley',
  events: ['notification', 'message_reported'],
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  created_at: '2026-12-01T09:30:00.000Z',
};

export const auditEntry = {
  at: '2026-12-01T16:10:00.000Z',
  actor: 'user:tutor_rivera',
  action: 'member.ban',
  target: 'student_max',
  detail: { until: '2026-12-08T00:00:00.000Z', reason: 'Spamming the lesson channel', was_member: true },
};

export const error = (code: string, message: string, field?: string) => ({
  error: { code, message, ...(field ? { field } : {}) },
});
