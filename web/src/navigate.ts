import type { Route } from './route.ts';
import type { ChatStore } from './store.ts';

/** Follows the address (a reload, a link, back or forward): never writes it, so history stays as it is. */
export async function navigate(store: ChatStore, r: Route): Promise<void> {
  if (!r.channelId) {
    store.activeId = undefined;
    store.threadId = undefined;
    store.highlightId = undefined;
    store.changed();
    return;
  }
  if (!store.channels.has(r.channelId)) {
    // Nothing of a channel one is not in, not even whether it exists.
    store.fail(new Error('That conversation is not one of yours, or it no longer exists.'));
    return;
  }
  if (r.channelId !== store.activeId) await store.open(r.channelId, true);
  if (r.messageId) await showMessage(store, r.channelId, r.messageId);
  else if (store.highlightId) {
    store.highlightId = undefined;
    store.changed();
  }
}

/** At most this many pages back to find a linked message (30 each); older links open the channel only. */
const MAX_PAGES = 40;

/** Pages back through history until the message is there (or opens its thread if it is a reply). */
async function showMessage(store: ChatStore, channelId: string, messageId: string): Promise<void> {
  const has = () => store.histories.get(channelId)?.items.some((m) => m.id === messageId);
  for (let i = 0; i < MAX_PAGES && !has() && store.histories.get(channelId)?.hasMore; i++) {
    await store.loadOlder(channelId);
  }
  if (!has()) {
    const t = await store.client.thread(messageId, { limit: 1 }).catch(() => undefined);
    const parent = t?.parent.parent_message_id;
    if (parent) await store.openThread(parent);
  }
  store.highlightId = messageId;
  store.changed();
}
