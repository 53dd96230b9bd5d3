import * as ex from './openapi-examples.ts';
import type { OperationDoc } from './openapi-operations.ts';

/** The server API's and webhooks' entries of the operation catalogue (see openapi-operations.ts). */
export const SERVER_OPERATIONS: Record<string, OperationDoc> = {
  // server: users
  'PUT /api/v1/server/users/{user_id}': {
    tag: 'server',
    summary: 'Create or update a user',
    body: { name: 'Sam Lee', avatar_url: ex.user.avatar_url, metadata: { grade: 7 } },
    response: ex.user,
  },
  'GET /api/v1/server/users/{user_id}': {
    tag: 'server',
    summary: 'A user',
    response: ex.user,
  },
  'DELETE /api/v1/server/users/{user_id}': {
    tag: 'server',
    summary: 'Erase a user',
  },
  'POST /api/v1/server/users/{user_id}/revoke-tokens': {
    tag: 'server',
    summary: "Revoke a user's tokens",
    body: { before: '2026-12-01T17:00:00.000Z' },
    response: { user_id: 'student_sam', before: '2026-12-01T17:00:00.000Z' },
  },
  'GET /api/v1/server/users/{user_id}/export': {
    tag: 'server',
    summary: "Export a user's data",
  },

  // server: channels
  'POST /api/v1/server/channels': {
    tag: 'server',
    summary: 'Create a channel for any members',
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
  },
  'POST /api/v1/server/channels/{id}/members': {
    tag: 'server',
    summary: 'Add a member with any role',
    body: { user_id: 'parent_lee', role: 'observer' },
    response: { ...ex.member, user_id: 'parent_lee', role: 'observer' },
  },
  'DELETE /api/v1/server/channels/{id}/members/{user_id}': {
    tag: 'server',
    summary: 'Remove a member',
  },
  'POST /api/v1/server/channels/{id}/messages': {
    tag: 'server',
    summary: 'Post a system message, or as a member',
    body: { content: 'Lesson booked for Tuesday 16:00.', client_id: 'booking-bk_1042' },
    response: ex.systemMessage,
  },
  'POST /api/v1/server/channels/{id}/bans': {
    tag: 'server',
    summary: 'Ban a member of any channel',
    body: { user_id: 'student_max', reason: 'Report 3e4f5a6b upheld' },
    response: { ...ex.ban, until: null, reason: 'Report 3e4f5a6b upheld', created_by: 'key:booking-service' },
  },
  'DELETE /api/v1/server/channels/{id}/bans/{user_id}': {
    tag: 'server',
    summary: 'Lift a ban',
  },
  'PUT /api/v1/server/channels/{id}/hold': {
    tag: 'server',
    summary: 'Put a channel on legal hold',
  },
  'GET /api/v1/server/channels/{id}/export': {
    tag: 'server',
    summary: 'Export a channel',
  },

  // server: moderation
  'GET /api/v1/server/reports': {
    tag: 'server',
    summary: 'The report queue',
    response: { reports: [ex.report] },
  },
  'POST /api/v1/server/reports/{id}/resolve': {
    tag: 'server',
    summary: 'Resolve a report',
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
    response: { entries: [ex.auditEntry] },
  },

  // webhooks
  'POST /api/v1/server/webhooks': {
    tag: 'webhooks',
    summary: 'Add a webhook endpoint',
    body: { url: ex.webhook.url, events: ['notification', 'message_reported'] },
    response: ex.webhook,
  },
  'GET /api/v1/server/webhooks': {
    tag: 'webhooks',
    summary: 'The webhook endpoints',
    response: { webhooks: [ex.webhook] },
  },
  'DELETE /api/v1/server/webhooks/{id}': {
    tag: 'webhooks',
    summary: 'Remove a webhook endpoint',
  },
};
