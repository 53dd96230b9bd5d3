/**
 * How a host application hands the UI its user's token (see README, "Embedding the web UI"):
 * `/#token=<jwt>` in the address, or, when the UI runs in an iframe, a message from the parent page
 * `{type: 'parley:token', token}` whose origin is listed in PARLEY_WEB_EMBED_ORIGINS. The UI asks
 * for a fresh token (`{type: 'parley:token_request'}`) when it has none, before the one it has
 * expires, and when the server refuses it.
 */
export interface UiConfig {
  dev_auth: boolean;
  embed_origins: string[];
}

export async function loadUiConfig(): Promise<UiConfig> {
  try {
    const res = await fetch(new URL('ui-config.json', location.href));
    if (res.ok) return (await res.json()) as UiConfig;
  } catch {
    // an old server without the route: no demo sign-in, no embedding
  }
  return { dev_auth: false, embed_origins: [] };
}

/** Listens for tokens from the allowed parent origins; returns a function that stops listening. */
export function listenForTokens(config: UiConfig, onToken: (token: string) => void): () => void {
  const allowed = new Set(config.embed_origins);
  const handler = (e: MessageEvent) => {
    // Only the listed origins: any other page could frame us and sign us in as someone else.
    if (!allowed.has(e.origin)) return;
    const d = e.data as { type?: unknown; token?: unknown } | null;
    if (d?.type === 'parley:token' && typeof d.token === 'string' && d.token.length > 0) onToken(d.token);
  };
  window.addEventListener('message', handler);
  return () => window.removeEventListener('message', handler);
}

/** Asks the embedding page for a (fresh) token, addressed to the allowed origins only. */
export function requestToken(config: UiConfig): void {
  if (window.parent === window) return;
  for (const origin of config.embed_origins) {
    try {
      window.parent.postMessage({ type: 'parley:token_request' }, origin);
    } catch {
      // a parent of another origin: postMessage drops it
    }
  }
}

/** Seconds since the epoch when the token expires (its `exp`), if it says. Read for timing only: the server checks it. */
export function tokenExpiry(token: string): number | undefined {
  try {
    const part = token.split('.')[1] ?? '';
    const json = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown };
    return typeof json.exp === 'number' ? json.exp : undefined;
  } catch {
    return undefined;
  }
}
