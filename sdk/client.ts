import { Emitter } from './emitter.ts';
import { ParleyError } from './errors.ts';
import { type EventSourceConstructor, eventSourceTransport } from './eventsource.ts';
import { fetchTransport } from './sse.ts';
import { EventStream, type ReconnectOptions } from './stream.ts';
import type { TransportFactory } from './transport.ts';
import type {
  Attachment,
  Channel,
  ChannelType,
  ClientEventMap,
  ConnectionState,
  Member,
  Message,
  MessagePage,
  NotificationLevel,
  OnlineUser,
  Role,
  Thread,
  User,
  UserStatus,
} from './types.ts';
import { type UploadOptions, uploadFile } from './upload.ts';

export interface ParleyClientOptions {
  /** The server's origin, e.g. `http://127.0.0.1:8080` (in a page served by Parley: `location.origin`). */
  baseUrl: string;
  /** A user token (JWT). Change it later with `setToken`. */
  token: string;
  /** fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /**
   * How to receive events: `eventsource` (the browser's EventSource), `fetch` (a streamed fetch
   * response, for Node), or a custom factory. Default: `eventsource` where it exists, else `fetch`.
   */
  transport?: 'eventsource' | 'fetch' | TransportFactory;
  /** Resume point to start the stream from (a `client.lastEventId` saved earlier). */
  lastEventId?: number;
  reconnect?: ReconnectOptions;
  /** How many times `sendMessage` retries a send that got no answer (same client_id, so never twice). Default 3. */
  sendRetries?: number;
}

export interface CreateChannelInput {
  type: Exclude<ChannelType, 'direct'>;
  name?: string;
  description?: string;
  members?: { user_id: string; role?: Role }[];
}

export interface UpdateChannelInput {
  name?: string | null;
  description?: string | null;
  is_archived?: boolean;
}

export interface SendMessageInput {
  content: string;
  parent_message_id?: string | null;
  mentions?: string[];
  attachment_ids?: string[];
  /** Makes retries idempotent; generated when left out. */
  client_id?: string;
}

export interface HistoryOptions {
  before?: string;
  after?: string;
  limit?: number;
  includeReplies?: boolean;
}

type Query = Record<string, string | number | boolean | undefined>;

const enc = encodeURIComponent;

/**
 * A Parley client: typed calls for the REST API and a resumable event stream.
 *
 * ```ts
 * const client = new ParleyClient({ baseUrl: 'http://127.0.0.1:8080', token });
 * client.on('new_message', (e) => console.log(e.data.content));
 * await client.connect();
 * await client.sendMessage(channelId, 'hello');
 * ```
 */
export class ParleyClient {
  readonly baseUrl: string;
  private token: string;
  private readonly fetchImpl: typeof fetch;
  private readonly emitter = new Emitter<ClientEventMap>();
  private readonly stream: EventStream;
  private readonly sendRetries: number;

  constructor(options: ParleyClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.sendRetries = options.sendRetries ?? 3;
    const stream = new EventStream({
      baseUrl: this.baseUrl,
      token: () => this.token,
      transport: pickTransport(options.transport, this.fetchImpl),
      emitter: this.emitter,
      lastEventId: options.lastEventId,
      probe: () => this.me(),
      ...options.reconnect,
    });
    this.stream = stream;
  }

  /** Gets a token from the server's local demo endpoint (only when it runs with PARLEY_DEV_AUTH=1). */
  static async devToken(baseUrl: string, userId: string, name?: string, fetchImpl?: typeof fetch): Promise<string> {
    const f = fetchImpl ?? globalThis.fetch.bind(globalThis);
    let res: Response;
    try {
      res = await f(`${baseUrl.replace(/\/+$/, '')}/api/v1/dev/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user_id: userId, name }),
      });
    } catch (err) {
      throw ParleyError.network(err);
    }
    if (!res.ok) throw await ParleyError.fromResponse(res);
    return ((await res.json()) as { token: string }).token;
  }

  /** Replaces the token (e.g. after a refresh); the next request and reconnect use it. */
  setToken(token: string): void {
    this.token = token;
  }

  // ── the event stream ──────────────────────────────────────────────────────

  /** Listens to an event type, `*` for every event, `state` or `error`. Returns a function that stops listening. */
  on<K extends keyof ClientEventMap>(type: K, fn: (value: ClientEventMap[K]) => void): () => void {
    return this.emitter.on(type, fn);
  }

  off<K extends keyof ClientEventMap>(type: K, fn: (value: ClientEventMap[K]) => void): void {
    this.emitter.off(type, fn);
  }

  /** Opens the event stream; resolves once connected. Reconnects by itself until `disconnect()`. */
  connect(): Promise<void> {
    return this.stream.connect();
  }

  disconnect(): void {
    this.stream.disconnect();
  }

  /** Drops the connection and reconnects at once, resuming where it was. */
  reconnect(): void {
    this.stream.reconnect();
  }

  get connectionState(): ConnectionState {
    return this.stream.state;
  }

  /** The stream's resume point (highest event id seen). */
  get lastEventId(): number | undefined {
    return this.stream.lastEventId;
  }

  // ── REST ──────────────────────────────────────────────────────────────────

  me(): Promise<User> {
    return this.request('GET', '/me');
  }

  async listChannels(): Promise<Channel[]> {
    return (await this.request<{ channels: Channel[] }>('GET', '/channels')).channels;
  }

  createChannel(input: CreateChannelInput): Promise<Channel> {
    return this.request('POST', '/channels', input);
  }

  getChannel(channelId: string): Promise<Channel> {
    return this.request('GET', `/channels/${enc(channelId)}`);
  }

  updateChannel(channelId: string, patch: UpdateChannelInput): Promise<Channel> {
    return this.request('PATCH', `/channels/${enc(channelId)}`, patch);
  }

  async listMembers(channelId: string): Promise<Member[]> {
    return (await this.request<{ members: Member[] }>('GET', `/channels/${enc(channelId)}/members`)).members;
  }

  addMember(channelId: string, userId: string, role?: Role): Promise<Member> {
    return this.request('POST', `/channels/${enc(channelId)}/members`, { user_id: userId, role });
  }

  removeMember(channelId: string, userId: string): Promise<void> {
    return this.request('DELETE', `/channels/${enc(channelId)}/members/${enc(userId)}`);
  }

  setMemberPrefs(
    channelId: string,
    prefs: { muted?: boolean; notification_level?: NotificationLevel },
  ): Promise<Member> {
    return this.request('PATCH', `/channels/${enc(channelId)}/members/me`, prefs);
  }

  /** The direct channel with `userId`, created on first use. */
  directMessage(userId: string): Promise<Channel> {
    return this.request('POST', '/direct-messages', { user_id: userId });
  }

  /** A page of history, oldest first; pass `before` (the oldest id you have) to page back. */
  messages(channelId: string, opts: HistoryOptions = {}): Promise<MessagePage> {
    return this.request('GET', `/channels/${enc(channelId)}/messages`, undefined, {
      before: opts.before,
      after: opts.after,
      limit: opts.limit,
      include_replies: opts.includeReplies ? 1 : undefined,
    });
  }

  /**
   * Sends a message. A `client_id` is generated when missing, so a send whose answer was lost is
   * retried safely: the server returns the same message instead of storing it twice.
   */
  async sendMessage(channelId: string, input: SendMessageInput | string): Promise<Message> {
    const body: SendMessageInput = typeof input === 'string' ? { content: input } : { ...input };
    body.client_id ??= newId();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.request<Message>('POST', `/channels/${enc(channelId)}/messages`, body);
      } catch (err) {
        if (!(err instanceof ParleyError) || !err.retryable || attempt >= this.sendRetries) throw err;
        await sleep(Math.max((err.retryAfter ?? 0) * 1000, 200 * 2 ** attempt));
      }
    }
  }

  /**
   * Uploads a file (a File or any Blob) for `sendMessage`'s `attachment_ids`; `onProgress` reports
   * the bytes sent. An upload sent with no message is deleted by the server after a while (24 h).
   */
  upload(file: Blob, opts: UploadOptions = {}): Promise<Attachment> {
    return uploadFile(this.baseUrl, this.token, this.fetchImpl, file, opts);
  }

  /** An attachment's address with the token in the query, for `<img src>` (which sends no header). */
  fileUrl(attachment: Pick<Attachment, 'file_url'>, opts: { thumbnail?: boolean } = {}): string {
    const url = new URL(`${this.baseUrl}${attachment.file_url}`);
    if (opts.thumbnail) url.searchParams.set('thumbnail', '1');
    url.searchParams.set('access_token', this.token);
    return url.toString();
  }

  editMessage(messageId: string, content: string, mentions?: string[]): Promise<Message> {
    return this.request('PATCH', `/messages/${enc(messageId)}`, { content, mentions });
  }

  deleteMessage(messageId: string): Promise<void> {
    return this.request('DELETE', `/messages/${enc(messageId)}`);
  }

  /** A thread: its parent and replies (oldest first). Any message of the thread may be given. */
  thread(messageId: string, opts: { after?: string; limit?: number } = {}): Promise<Thread> {
    return this.request('GET', `/messages/${enc(messageId)}/thread`, undefined, opts);
  }

  react(messageId: string, emoji: string): Promise<Message> {
    return this.request('PUT', `/messages/${enc(messageId)}/reactions/${enc(emoji)}`);
  }

  unreact(messageId: string, emoji: string): Promise<Message> {
    return this.request('DELETE', `/messages/${enc(messageId)}/reactions/${enc(emoji)}`);
  }

  /** Says the caller is typing (expires by itself after 6 s) or stopped. */
  typing(channelId: string, isTyping = true): Promise<void> {
    return this.request('POST', `/channels/${enc(channelId)}/typing`, { is_typing: isTyping });
  }

  /** Read receipt: the caller has read up to `messageId` (only ever moves forward). */
  markRead(channelId: string, messageId: string): Promise<void> {
    return this.request('POST', `/channels/${enc(channelId)}/read`, { message_id: messageId });
  }

  async search(q: string, opts: { channelId?: string; limit?: number } = {}): Promise<Message[]> {
    const query = { q, channel_id: opts.channelId, limit: opts.limit };
    return (await this.request<{ messages: Message[] }>('GET', '/search', undefined, query)).messages;
  }

  async onlineUsers(): Promise<OnlineUser[]> {
    return (await this.request<{ users: OnlineUser[] }>('GET', '/online-users')).users;
  }

  async channelOnlineMembers(channelId: string): Promise<string[]> {
    return (await this.request<{ user_ids: string[] }>('GET', `/channel/${enc(channelId)}/online-members`)).user_ids;
  }

  userStatus(userId: string): Promise<UserStatus> {
    return this.request('GET', `/user/${enc(userId)}/status`);
  }

  /** Any API call, with the token and the contract's error handling. `path` is under `/api/v1`. */
  async request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const url = new URL(`${this.baseUrl}/api/v1${path}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await this.fetchImpl(url, { method, headers, body: payload });
    } catch (err) {
      throw ParleyError.network(err);
    }
    if (!res.ok) throw await ParleyError.fromResponse(res);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

function pickTransport(choice: ParleyClientOptions['transport'], fetchImpl: typeof fetch): TransportFactory {
  if (typeof choice === 'function') return choice;
  const ES = (globalThis as { EventSource?: EventSourceConstructor }).EventSource;
  if (choice === 'eventsource' || (choice === undefined && ES)) {
    if (!ES) throw new Error('EventSource is not available here; use transport: "fetch"');
    return eventSourceTransport(ES);
  }
  return fetchTransport({ fetch: fetchImpl });
}

/** A UUID v4 for client_id; crypto.randomUUID is missing on plain-http pages that are not localhost. */
export function newId(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
