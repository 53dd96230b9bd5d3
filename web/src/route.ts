/**
 * The UI's address: `#/c/<channel_id>` for a channel, `#/c/<channel_id>/m/<message_id>` for one
 * message in it. In the hash so that any static host serves the page, and so that reload, links
 * and back/forward work without the server knowing the routes.
 */
export interface Route {
  channelId?: string;
  messageId?: string;
}

const UUID = '[0-9a-fA-F-]{36}';
const PATTERN = new RegExp(`^#/c/(${UUID})(?:/m/(${UUID}))?$`);

export function parseRoute(hash: string): Route {
  const m = PATTERN.exec(hash);
  return m ? { channelId: m[1]!.toLowerCase(), messageId: m[2]?.toLowerCase() } : {};
}

export function routeHash(r: Route): string {
  if (!r.channelId) return '#/';
  return r.messageId ? `#/c/${r.channelId}/m/${r.messageId}` : `#/c/${r.channelId}`;
}

/** A new history entry, unless the address is already there. */
export function go(r: Route): void {
  const hash = routeHash(r);
  if (location.hash !== hash) location.hash = hash;
}

/**
 * A token the host application put in the address (`/#token=…`): taken out of the address at once
 * (so it stays out of history, bookmarks and screenshots) and returned.
 */
export function takeTokenFromHash(): string | undefined {
  const m = /^#token=([^&]+)(?:&(.*))?$/.exec(location.hash);
  if (!m) return undefined;
  const rest = m[2] ? `#${decodeURIComponent(m[2])}` : '';
  history.replaceState(history.state, '', `${location.pathname}${location.search}${rest}`);
  return decodeURIComponent(m[1]!);
}
