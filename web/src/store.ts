import { type Channel, type ConnectionState, type Member, type Message, ParleyClient } from '../../sdk/index.ts';
import { applyEvent } from './events.ts';
import { go } from './route.ts';
import { UserDirectory } from './users.ts';

export interface Session {
  token: string;
  userId: string;
  name: string;
  /** `dev`: the demo sign-in; `host`: a token the host application handed over (see embed.ts). */
  source?: 'dev' | 'host';
}

/** Roles that moderate a channel (ban, freeze, slow mode), as the server's permissions say. */
export const MODERATORS = new Set(['owner', 'admin', 'tutor']);

export interface History {
  items: Message[];
  hasMore: boolean;
  loading: boolean;
}

/**
 * The chat's state, kept current from the SDK's event stream. Components read `state` and
 * re-render on `subscribe`; every change goes through here.
 */
export class ChatStore {
  readonly client: ParleyClient;
  readonly me: Session;
  channels = new Map<string, Channel>();
  members = new Map<string, Member[]>();
  histories = new Map<string, History>();
  threads = new Map<string, { parent: Message; replies: Message[] }>();
  typing = new Map<string, Map<string, number>>();
  online = new Set<string>();
  activeId: string | undefined;
  threadId: string | undefined;
  connection: ConnectionState = 'idle';
  error: string | undefined;
  /** A confirmation shown for a few seconds (role="status"). */
  info: string | undefined;
  private infoTimer: ReturnType<typeof setTimeout> | undefined;
  readonly users: UserDirectory;
  /** Users I block (`GET /me/blocks`). */
  blocks = new Set<string>();
  /** The message the address points at (`#/c/…/m/<id>`): scrolled to and highlighted. */
  highlightId: string | undefined;
  /** Per channel: when slow mode lets me send again (ms since the epoch), after a 429. */
  slowUntil = new Map<string, number>();
  private listeners = new Set<() => void>();
  connectedOnce = false;
  private offs: (() => void)[] = [];
  private typingTimer: ReturnType<typeof setInterval> | undefined;
  private onlineTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(session: Session) {
    this.me = session;
    this.client = new ParleyClient({ baseUrl: location.origin, token: session.token });
    this.users = new UserDirectory(this.client, () => this.changed());
    if (session.name) this.users.seed({ id: session.userId, name: session.name, avatar_url: null });
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  changed(): void {
    for (const fn of this.listeners) fn();
  }

  async start(): Promise<void> {
    this.offs.push(
      this.client.on('*', (e) => applyEvent(this, e)),
      this.client.on('state', (s) => {
        this.connection = s.state;
        this.changed();
      }),
      this.client.on('error', (e) => this.fail(e)),
    );
    document.addEventListener('visibilitychange', this.onVisible);
    this.typingTimer = setInterval(() => this.expireTyping(), 1000);
    await this.reload();
    void this.client.connect().catch(() => {});
  }

  stop(): void {
    for (const off of this.offs) off();
    this.client.disconnect();
    document.removeEventListener('visibilitychange', this.onVisible);
    clearInterval(this.typingTimer);
    clearTimeout(this.onlineTimer);
    clearTimeout(this.infoTimer);
  }

  inform(text: string): void {
    this.info = text;
    clearTimeout(this.infoTimer);
    this.infoTimer = setTimeout(() => {
      this.info = undefined;
      this.changed();
    }, 5000);
    this.changed();
  }

  /** A fresh token from the host application (same user): the next request and reconnect use it. */
  setToken(token: string): void {
    this.me.token = token;
    this.client.setToken(token);
  }

  fail(e: unknown): void {
    this.error = e instanceof Error ? e.message : String(e);
    this.changed();
  }

  /** Loads everything afresh (start, and after a `reset` or a stream that could not resume). */
  async reload(): Promise<void> {
    const [channels, online, blocks] = await Promise.all([
      this.client.listChannels(),
      this.client.onlineUsers(),
      this.client.request<{ user_ids: string[] }>('GET', '/me/blocks'),
    ]);
    this.channels = new Map(channels.map((c) => [c.id, c]));
    this.online = new Set(online.map((u) => u.user_id));
    this.blocks = new Set(blocks.user_ids);
    this.users.clear();
    await Promise.all(channels.filter((c) => c.type === 'direct').map((c) => this.loadMembers(c.id)));
    const active = this.activeId;
    this.histories.clear();
    this.threads.clear();
    if (active && this.channels.has(active)) await this.open(active, true);
    else this.activeId = undefined;
    this.changed();
  }

  // ── reading ─────────────────────────────────────────────────────────────

  get sortedChannels(): Channel[] {
    const key = (c: Channel) => c.last_message_at ?? c.created_at;
    return [...this.channels.values()].sort((a, b) => key(b).localeCompare(key(a)));
  }

  /** The other member of a direct channel. */
  peer(channelId: string): string | undefined {
    return this.members.get(channelId)?.find((m) => m.user_id !== this.me.userId)?.user_id;
  }

  title(c: Channel): string {
    if (c.type === 'direct') {
      const peer = this.peer(c.id);
      return peer ? this.users.name(peer) : 'Direct message';
    }
    return c.name || 'Untitled channel';
  }

  /** Presence as the server reports it; ourselves while our stream is open. */
  isOnline(userId: string): boolean {
    return userId === this.me.userId ? this.connection === 'open' : this.online.has(userId);
  }

  /** Re-reads who is online (after joining channels, presence events only cover shared channels). */
  refreshOnline(): void {
    if (this.onlineTimer) return;
    this.onlineTimer = setTimeout(async () => {
      this.onlineTimer = undefined;
      try {
        this.online = new Set((await this.client.onlineUsers()).map((u) => u.user_id));
        this.changed();
      } catch {
        // presence is decoration: the next event or refresh fixes it
      }
    }, 300);
  }

  /** My role in a channel (undefined until its members are loaded). */
  myRole(channelId: string): string | undefined {
    return this.members.get(channelId)?.find((m) => m.user_id === this.me.userId)?.role;
  }

  isModerator(channelId: string): boolean {
    return MODERATORS.has(this.myRole(channelId) ?? '');
  }

  typers(channelId: string): string[] {
    return [...(this.typing.get(channelId)?.keys() ?? [])];
  }

  // ── actions ─────────────────────────────────────────────────────────────

  /** Opens a channel; `fromAddress`: the address already says so (no new history entry). */
  async open(channelId: string, fromAddress = false): Promise<void> {
    this.activeId = channelId;
    this.threadId = undefined;
    this.highlightId = undefined;
    if (!fromAddress) go({ channelId });
    this.changed();
    const jobs: Promise<unknown>[] = [this.loadMembers(channelId)];
    if (!this.histories.has(channelId)) jobs.push(this.loadOlder(channelId));
    await Promise.all(jobs);
    this.markRead();
  }

  async loadMembers(channelId: string): Promise<void> {
    this.members.set(channelId, await this.client.listMembers(channelId));
    this.changed();
  }

  async loadOlder(channelId: string): Promise<void> {
    const h = this.histories.get(channelId) ?? { items: [], hasMore: true, loading: false };
    if (h.loading || !h.hasMore) return;
    h.loading = true;
    this.histories.set(channelId, h);
    this.changed();
    try {
      const page = await this.client.messages(channelId, { before: h.items[0]?.id, limit: 30 });
      const known = new Set(h.items.map((m) => m.id));
      h.items = [...page.messages.filter((m) => !known.has(m.id)), ...h.items];
      h.hasMore = page.has_more;
    } finally {
      h.loading = false;
      this.changed();
    }
  }

  async openThread(messageId: string): Promise<void> {
    this.threadId = messageId;
    this.changed();
    const t = await this.client.thread(messageId, { limit: 200 });
    this.threads.set(messageId, { parent: t.parent, replies: t.replies });
    this.changed();
  }

  closeThread(): void {
    this.threadId = undefined;
    this.changed();
  }

  async send(
    channelId: string,
    content: string,
    opts: { parentId?: string; mentions?: string[]; attachmentIds?: string[] } = {},
  ): Promise<void> {
    const input = {
      content,
      parent_message_id: opts.parentId ?? null,
      ...(opts.mentions?.length ? { mentions: opts.mentions } : {}),
      ...(opts.attachmentIds?.length ? { attachment_ids: opts.attachmentIds } : {}),
    };
    try {
      const msg = await this.client.sendMessage(channelId, input);
      void this.client.typing(channelId, false).catch(() => {});
      this.upsert(msg);
    } catch (e) {
      // Slow mode: the server says when; the composer counts down to it.
      const retry = (e as { status?: number; retryAfter?: number }).retryAfter;
      if ((e as { status?: number }).status === 429 && retry) {
        this.slowUntil.set(channelId, Date.now() + retry * 1000);
        this.changed();
      }
      throw e;
    }
  }

  async toggleReaction(m: Message, emoji: string): Promise<void> {
    const mine = m.reactions.find((r) => r.emoji === emoji)?.user_ids.includes(this.me.userId);
    this.replace(await (mine ? this.client.unreact(m.id, emoji) : this.client.react(m.id, emoji)));
  }

  async edit(m: Message, content: string): Promise<void> {
    this.replace(await this.client.editMessage(m.id, content));
  }

  async remove(m: Message): Promise<void> {
    await this.client.deleteMessage(m.id);
    this.patch(m.id, (x) => ({ ...x, content: '', deleted_at: new Date().toISOString() }));
  }

  /** Read receipt for the newest message of the open channel, while the page is visible. */
  markRead(): void {
    const id = this.activeId;
    if (!id || document.visibilityState !== 'visible') return;
    const channel = this.channels.get(id);
    const last = this.histories.get(id)?.items.at(-1);
    if (!channel || !last) return;
    const mine = this.members.get(id)?.find((m) => m.user_id === this.me.userId);
    if (channel.unread_count === 0 && mine?.last_read_message_id === last.id) return;
    this.channels.set(id, { ...channel, unread_count: 0, mention_count: 0, last_read_message_id: last.id });
    if (mine) mine.last_read_message_id = last.id;
    this.changed();
    void this.client.markRead(id, last.id).catch((e) => this.fail(e));
  }

  private readonly onVisible = () => this.markRead();

  // ── applying events (events.ts) ─────────────────────────────────────

  async refreshChannel(id: string): Promise<void> {
    try {
      const c = await this.client.getChannel(id);
      this.channels.set(id, c);
      await this.loadMembers(id);
    } catch (e) {
      this.fail(e);
    }
  }

  /** A new message: unread counts and ordering of the channel list; read at once if on screen. */
  bump(m: Message): void {
    const c = this.channels.get(m.channel_id);
    if (!c) {
      void this.refreshChannel(m.channel_id);
      return;
    }
    const next = { ...c, last_message_at: m.created_at };
    const visible = m.channel_id === this.activeId && document.visibilityState === 'visible';
    if (m.user_id !== this.me.userId && !m.parent_message_id && !visible) {
      next.unread_count = (c.unread_count ?? 0) + 1;
    }
    this.channels.set(c.id, next);
    if (visible && !m.parent_message_id) this.markRead();
  }

  upsert(m: Message): void {
    if (m.parent_message_id) {
      const t = this.threads.get(m.parent_message_id);
      if (t && !t.replies.some((r) => r.id === m.id)) t.replies = [...t.replies, m];
    } else {
      const h = this.histories.get(m.channel_id);
      if (h && !h.items.some((x) => x.id === m.id)) h.items = [...h.items, m];
    }
    this.replace(m);
  }

  replace(m: Message): void {
    this.patch(m.id, () => m);
  }

  /** Applies `f` to every copy of a message on screen (channel history, thread parent, replies). */
  patch(id: string, f: (m: Message) => Message): void {
    for (const h of this.histories.values()) h.items = h.items.map((m) => (m.id === id ? f(m) : m));
    for (const t of this.threads.values()) {
      if (t.parent.id === id) t.parent = f(t.parent);
      t.replies = t.replies.map((m) => (m.id === id ? f(m) : m));
    }
    this.changed();
  }

  clearTyping(channelId: string, userId: string): void {
    this.typing.get(channelId)?.delete(userId);
  }

  private expireTyping(): void {
    const now = Date.now();
    let any = false;
    for (const m of this.typing.values()) {
      for (const [u, until] of m) {
        if (until < now) {
          m.delete(u);
          any = true;
        }
      }
    }
    if (any) this.changed();
  }
}

export async function signIn(userId: string, name: string): Promise<Session> {
  const token = await ParleyClient.devToken(location.origin, userId, name || undefined);
  return { token, userId, name, source: 'dev' };
}

/** A session for a token the host application handed over: the server says whose it is. */
export async function sessionFromToken(token: string): Promise<Session> {
  const me = await new ParleyClient({ baseUrl: location.origin, token }).me();
  return { token, userId: me.id, name: me.name ?? '', source: 'host' };
}
