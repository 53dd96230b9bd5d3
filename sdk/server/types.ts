/**
 * The server API's resources as your backend receives them (the contract, shared/API.md). Written
 * out here rather than imported from the server, so this SDK has no dependency at all;
 * test/sdk/server.test.ts checks at compile time that they match the server's own schemas.
 */

export type ChannelType = 'group' | 'direct' | 'tutor_student';
export type Role = 'owner' | 'admin' | 'member' | 'tutor' | 'student' | 'observer';

export interface ServerUser {
  id: string;
  name: string | null;
  avatar_url: string | null;
  metadata: Record<string, unknown>;
  created_at: string;
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
  is_frozen: boolean;
  slow_mode_seconds: number;
}

export interface ServerChannel extends Channel {
  metadata: Record<string, unknown>;
}

export interface Member {
  channel_id: string;
  user_id: string;
  role: Role;
  joined_at: string;
  last_read_message_id: string | null;
  last_read_at: string | null;
  muted: boolean;
  notification_level: 'all' | 'mentions' | 'none';
}

export interface Attachment {
  id: string;
  file_url: string;
  file_name: string;
  file_type: string;
  file_size: number;
  /** Hex SHA-256 of the bytes (also the download's ETag); null only for files stored before v1.1. */
  sha256: string | null;
  /** Images only: their size in pixels, and a preview at most 400 px on its longer side. */
  width?: number;
  height?: number;
  thumbnail_url?: string;
}

export interface Message {
  id: string;
  channel_id: string;
  /** null for a system message. */
  user_id: string | null;
  system: boolean;
  content: string;
  parent_message_id: string | null;
  thread_reply_count: number;
  last_reply_at: string | null;
  mentions: string[];
  attachments: Attachment[];
  reactions: { emoji: string; count: number; user_ids: string[] }[];
  created_at: string;
  edited_at: string | null;
  deleted_at: string | null;
}

export interface Webhook {
  id: string;
  url: string;
  events: string[];
  /** `whsec_…`: shown when created; keep it to verify deliveries (verifyWebhook). */
  secret?: string;
  created_at: string;
  [field: string]: unknown;
}

export interface CreateChannelInput {
  type: ChannelType;
  name?: string;
  description?: string;
  members: { user_id: string; role?: Role }[];
  metadata?: Record<string, unknown>;
}

export interface PostMessageInput {
  content: string;
  /** Post as this member; without it, a system message. */
  user_id?: string;
  /** Makes a retry idempotent: the same message back (e.g. `booking-1234-booked`). */
  client_id?: string;
  mentions?: string[];
  parent_message_id?: string | null;
}
