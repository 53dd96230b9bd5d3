import type { Channel, Message } from '../../sdk/index.ts';
import type { ChatStore } from './store.ts';

/** The safety calls of the UI (`/me/blocks`, reports, bans, freezing and slow mode), keeping the store current. */

export async function setBlocked(store: ChatStore, userId: string, blocked: boolean): Promise<void> {
  await store.client.request(blocked ? 'PUT' : 'DELETE', `/me/blocks/${encodeURIComponent(userId)}`);
  if (blocked) store.blocks.add(userId);
  else store.blocks.delete(userId);
  store.changed();
}

export async function report(store: ChatStore, m: Message, reason: string): Promise<void> {
  await store.client.request('POST', `/messages/${m.id}/reports`, { reason });
}

export async function ban(
  store: ChatStore,
  channelId: string,
  userId: string,
  opts: { until?: string; reason?: string },
): Promise<void> {
  await store.client.request('POST', `/channels/${channelId}/bans`, { user_id: userId, ...opts });
  await store.loadMembers(channelId);
}

export async function moderate(
  store: ChatStore,
  channelId: string,
  patch: { is_frozen?: boolean; slow_mode_seconds?: number },
): Promise<void> {
  const c = await store.client.request<Channel>('PATCH', `/channels/${channelId}`, patch);
  store.channels.set(c.id, { ...store.channels.get(c.id), ...c });
  store.changed();
}
