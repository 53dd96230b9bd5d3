import type { AnyParleyEvent, Channel, Message } from '../../sdk/index.ts';
import { TYPING_TTL_MS } from '../../src/contract/constants.ts';
import type { ChatStore } from './store.ts';

/** Applies one event of the stream to the chat's state. */
export function applyEvent(store: ChatStore, e: AnyParleyEvent): void {
  const cid = e.channel_id ?? '';
  switch (e.type) {
    case 'connection':
      // A fresh stream (not a resume) may have missed events: reload what is on screen.
      if (store.connectedOnce && !e.data.resumed) void store.reload().catch((err) => store.fail(err));
      store.connectedOnce = true;
      store.refreshOnline();
      break;
    case 'reset':
      void store.reload().catch((err) => store.fail(err));
      break;
    case 'new_message':
      if (e.data.user_id) store.clearTyping(cid, e.data.user_id);
      store.upsert(e.data);
      store.bump(e.data);
      break;
    case 'message_updated':
      store.replace(e.data);
      break;
    case 'message_deleted':
      store.patch(e.data.message_id, (m) => ({ ...m, content: '', deleted_at: m.deleted_at ?? e.ts }));
      break;
    case 'message_reaction':
    case 'reaction_removed': {
      const { message_id, user_id, emoji } = e.data;
      const add = e.type === 'message_reaction';
      store.patch(message_id, (m) => ({ ...m, reactions: react(m.reactions, emoji, user_id, add) }));
      break;
    }
    case 'thread_updated':
      store.patch(e.data.message_id, (m) => ({
        ...m,
        thread_reply_count: e.data.thread_reply_count,
        last_reply_at: e.data.last_reply_at,
      }));
      break;
    case 'read_receipt': {
      const m = store.members.get(cid)?.find((x) => x.user_id === e.data.user_id);
      if (m) m.last_read_message_id = e.data.message_id;
      break;
    }
    case 'member_joined':
    case 'member_left':
      if (e.type === 'member_left' && e.data.user_id === store.me.userId) {
        store.channels.delete(cid);
        if (store.activeId === cid) store.activeId = undefined;
      } else {
        void store.refreshChannel(cid);
        store.refreshOnline();
      }
      break;
    case 'channel_created':
    case 'channel_updated': {
      const old = store.channels.get(e.data.id);
      store.channels.set(e.data.id, { unread_count: 0, mention_count: 0, ...old, ...stripCounts(e.data) });
      if (!store.members.has(e.data.id)) void store.loadMembers(e.data.id).catch(() => {});
      if (e.type === 'channel_created') store.refreshOnline();
      break;
    }
    case 'mention': {
      const c = store.channels.get(cid);
      if (c && cid !== store.activeId) store.channels.set(cid, { ...c, mention_count: (c.mention_count ?? 0) + 1 });
      break;
    }
    case 'typing':
      if (e.data.user_id === store.me.userId) break;
      if (e.data.is_typing) {
        const m = store.typing.get(cid) ?? new Map<string, number>();
        m.set(e.data.user_id, Date.now() + TYPING_TTL_MS);
        store.typing.set(cid, m);
      } else store.clearTyping(cid, e.data.user_id);
      break;
    case 'presence':
      if (e.data.online) store.online.add(e.data.user_id);
      else store.online.delete(e.data.user_id);
      break;
  }
  store.changed();
}

function react(list: Message['reactions'], emoji: string, userId: string, add: boolean): Message['reactions'] {
  const out = list.map((r) => ({ ...r, user_ids: [...r.user_ids] }));
  let r = out.find((x) => x.emoji === emoji);
  if (!r) {
    if (!add) return list;
    r = { emoji, count: 0, user_ids: [] };
    out.push(r);
  }
  const has = r.user_ids.includes(userId);
  if (add && !has) r.user_ids.push(userId);
  if (!add && has) r.user_ids = r.user_ids.filter((u) => u !== userId);
  r.count = r.user_ids.length;
  return out.filter((x) => x.count > 0);
}

/** Channel events carry no per-caller counts: keep ours. */
function stripCounts(c: Channel): Channel {
  const { unread_count: _u, mention_count: _m, last_read_message_id: _l, ...rest } = c;
  return rest as Channel;
}
