import { ParleyError } from '../errors.ts';
import type {
  CreateChannelInput,
  Member,
  Message,
  PostMessageInput,
  Role,
  ServerChannel,
  ServerUser,
  Webhook,
} from './types.ts';

export interface ParleyServerOptions {
  /** Where Parley listens, e.g. `https://chat.example.com`. */
  baseUrl: string;
  /** A server key (`psk_…`, from `npx parley keys create`). Keep it on your backend only. */
  serverKey: string;
  fetch?: typeof fetch;
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

/**
 * Parley's server API for your backend: users, channels and their members, system messages,
 * revocation and webhooks, each call typed. Errors are `ParleyError {code, status, message, field?}`.
 */
export class ParleyServer {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly opts: ParleyServerOptions) {
    if (!opts.serverKey?.startsWith('psk_')) throw new TypeError('serverKey must be a server key (psk_…)');
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = opts.fetch ?? globalThis.fetch.bind(globalThis);
  }

  // Users

  /** Creates or updates a user; fields left out keep their value. */
  upsertUser(
    userId: string,
    fields: { name?: string | null; avatar_url?: string | null; metadata?: Record<string, unknown> } = {},
  ): Promise<ServerUser> {
    return this.request('PUT', `/server/users/${enc(userId)}`, fields);
  }

  getUser(userId: string): Promise<ServerUser> {
    return this.request('GET', `/server/users/${enc(userId)}`);
  }

  /** Erases the user: their messages' content and attachments, memberships, reactions, presence. */
  async eraseUser(userId: string): Promise<void> {
    await this.request('DELETE', `/server/users/${enc(userId)}`);
  }

  /** The user's tokens issued before `before` (default now) stop working; their streams close. */
  revokeTokens(userId: string, opts: { before?: Date | string } = {}): Promise<{ user_id: string; before: string }> {
    const before = opts.before instanceof Date ? opts.before.toISOString() : opts.before;
    return this.request('POST', `/server/users/${enc(userId)}/revoke-tokens`, before ? { before } : {});
  }

  // Channels and members

  /** A channel for any members, e.g. a `tutor_student` channel when a lesson is booked. */
  createChannel(input: CreateChannelInput): Promise<ServerChannel> {
    return this.request('POST', '/server/channels', input);
  }

  /** Deletes the channel and everything in it. */
  async deleteChannel(channelId: string): Promise<void> {
    await this.request('DELETE', `/server/channels/${enc(channelId)}`);
  }

  addMember(channelId: string, member: { user_id: string; role?: Role }): Promise<Member> {
    return this.request('POST', `/server/channels/${enc(channelId)}/members`, member);
  }

  async removeMember(channelId: string, userId: string): Promise<void> {
    await this.request('DELETE', `/server/channels/${enc(channelId)}/members/${enc(userId)}`);
  }

  /** A message without `user_id` is a system message ("Lesson booked for Tuesday 16:00"). */
  postMessage(channelId: string, input: PostMessageInput): Promise<Message> {
    return this.request('POST', `/server/channels/${enc(channelId)}/messages`, input);
  }

  /** A system message; `clientId` makes a retry return the first one instead of posting twice. */
  sendSystemMessage(channelId: string, content: string, opts: { clientId?: string } = {}): Promise<Message> {
    return this.postMessage(channelId, { content, ...(opts.clientId ? { client_id: opts.clientId } : {}) });
  }

  // Webhooks

  /** Without `secret`, Parley makes one (returned here once: keep it for verifyWebhook). */
  createWebhook(input: { url: string; events?: string[]; secret?: string }): Promise<Webhook> {
    return this.request('POST', '/server/webhooks', input);
  }

  async listWebhooks(): Promise<Webhook[]> {
    return (await this.request<{ webhooks: Webhook[] }>('GET', '/server/webhooks')).webhooks;
  }

  async deleteWebhook(webhookId: string): Promise<void> {
    await this.request('DELETE', `/server/webhooks/${enc(webhookId)}`);
  }

  /**
   * Any endpoint under /api/v1: `asUser` runs a user endpoint as that user, with that user's
   * permissions (`X-Parley-User`).
   */
  async request<T>(method: string, path: string, body?: unknown, opts: { asUser?: string } = {}): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.opts.serverKey}` };
    if (opts.asUser !== undefined) headers['x-parley-user'] = opts.asUser;
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.baseUrl}/api/v1${path}`, {
        method,
        headers,
        body: payload,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw ParleyError.network(err);
    }
    if (!res.ok) throw await ParleyError.fromResponse(res);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

const enc = encodeURIComponent;
