import type { ParleyClient } from '../../sdk/index.ts';

export interface UserInfo {
  id: string;
  name: string | null;
  avatar_url: string | null;
}

/** The server's limit on ids per `GET /users` call. */
const BATCH = 100;

/**
 * Names and avatars by user id, fetched once per id in batches (`GET /users?ids=`): every message,
 * member and typing line asks for its author here, so a screen of messages costs one request.
 * Ids the server does not return (no shared channel) are remembered as unknown, not asked again.
 */
export class UserDirectory {
  private known = new Map<string, UserInfo>();
  private asked = new Set<string>();
  private queue = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly client: ParleyClient,
    private readonly onChange: () => void,
  ) {}

  get(id: string): UserInfo | undefined {
    if (!this.asked.has(id)) this.want(id);
    return this.known.get(id);
  }

  name(id: string): string {
    return this.get(id)?.name || id;
  }

  /** A name the user gave themselves (from their token) is shown before the server answers. */
  seed(u: UserInfo): void {
    this.known.set(u.id, u);
  }

  /** Forget everything (after a reload: names may have changed). */
  clear(): void {
    this.asked.clear();
  }

  private want(id: string): void {
    this.asked.add(id);
    this.queue.add(id);
    // Collect the ids one render asks for, then ask the server once.
    this.timer ??= setTimeout(() => void this.flush(), 20);
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const ids = [...this.queue];
    this.queue.clear();
    for (let i = 0; i < ids.length; i += BATCH) {
      const chunk = ids.slice(i, i + BATCH);
      try {
        // Repeated `ids=` rather than a comma list: user ids may contain commas.
        const q = chunk.map((id) => `ids=${encodeURIComponent(id)}`).join('&');
        const res = await this.client.request<{ users: UserInfo[] }>('GET', `/users?${q}`);
        for (const u of res.users) this.known.set(u.id, u);
      } catch {
        // Names are decoration: the ids show meanwhile; the next reload asks again.
      }
    }
    this.onChange();
  }
}
