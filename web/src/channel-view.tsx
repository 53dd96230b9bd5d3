import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Channel, Message } from '../../sdk/index.ts';
import { Avatar } from './avatar.tsx';
import { Composer } from './composer.tsx';
import { day, typingText } from './format.ts';
import { MembersPanel } from './members-panel.tsx';
import { MessageItem } from './message.tsx';
import { ModerationPanel } from './moderation-panel.tsx';
import type { ChatStore } from './store.ts';

const TYPE_LABEL = { group: 'Group', direct: 'Direct message', tutor_student: 'Tutor & student' } as const;

export function ChannelView({ store, channel, menu }: { store: ChatStore; channel: Channel; menu: ComponentChildren }) {
  const [panel, setPanel] = useState<'members' | 'moderation'>();
  const history = store.histories.get(channel.id);
  const items = history?.items ?? [];
  const members = store.members.get(channel.id) ?? [];
  const typers = store.typers(channel.id);
  const list = useRef<HTMLDivElement>(null);
  const last = useRef({ channel: '', first: '', last: '', height: 0 });

  // Stay at the bottom for new messages (if already there); keep the view still when older ones load.
  useLayoutEffect(() => {
    const el = list.current;
    if (!el) return;
    const prev = last.current;
    const first = items[0]?.id ?? '';
    const lastId = items.at(-1)?.id ?? '';
    if (prev.channel !== channel.id) el.scrollTop = el.scrollHeight;
    else if (first !== prev.first && lastId === prev.last) el.scrollTop += el.scrollHeight - prev.height;
    else if (lastId !== prev.last && el.scrollHeight - el.scrollTop - el.clientHeight < 160 + 200) {
      el.scrollTop = el.scrollHeight;
    }
    last.current = { channel: channel.id, first, last: lastId, height: el.scrollHeight };
  });

  // A message the address points at: into view, once per message.
  const shown = useRef<string>();
  useLayoutEffect(() => {
    const id = store.highlightId;
    if (!id || shown.current === id) return;
    const el = list.current?.querySelector<HTMLElement>(`[data-message="${id}"]`);
    if (!el) return;
    shown.current = id;
    el.scrollIntoView({ block: 'center' });
  });

  // "Seen by": each other member under the last message they have read, skipping their own messages.
  const seen = new Map<string, string[]>();
  const index = new Map(items.map((m, i) => [m.id, i]));
  for (const m of members) {
    if (m.user_id === store.me.userId || !m.last_read_message_id) continue;
    let i = index.get(m.last_read_message_id) ?? -1;
    while (i >= 0 && items[i]!.user_id === m.user_id) i--;
    const at = items[i]?.id;
    if (at) seen.set(at, [...(seen.get(at) ?? []), m.user_id]);
  }
  const title = store.title(channel);
  const peer = channel.type === 'direct' ? store.peer(channel.id) : undefined;
  const moderator = store.isModerator(channel.id);
  return (
    <main class="channel" aria-label={title}>
      <header class="channel-head">
        {menu}
        <div class="channel-title">
          {peer ? (
            <Avatar id={peer} user={store.users.get(peer)} online={store.isOnline(peer)} />
          ) : (
            <span class="hash big" aria-hidden="true">
              {channel.type === 'tutor_student' ? '🎓' : '#'}
            </span>
          )}
          <div>
            <h2>{title}</h2>
            <div class="muted small channel-sub">
              {TYPE_LABEL[channel.type]} · {channel.member_count} member{channel.member_count === 1 ? '' : 's'}
              {channel.description ? ` · ${channel.description}` : ''}
            </div>
          </div>
          {channel.is_frozen && <span class="pill frozen">Frozen</span>}
          {channel.slow_mode_seconds > 0 && <span class="pill">Slow mode {channel.slow_mode_seconds} s</span>}
        </div>
        <button
          type="button"
          class="member-stack"
          aria-label={`Members (${members.length})`}
          onClick={() => setPanel('members')}
        >
          {members.slice(0, 5).map((m) => (
            <span
              key={m.user_id}
              title={`${m.user_id} (${m.role})${store.isOnline(m.user_id) ? ' · online' : ''}`}
              data-user={m.user_id}
            >
              <Avatar id={m.user_id} user={store.users.get(m.user_id)} online={store.isOnline(m.user_id)} size="sm" />
            </span>
          ))}
        </button>
        {moderator && (
          <button
            type="button"
            class="icon-btn head-btn"
            aria-label="Moderation"
            title="Moderation"
            onClick={() => setPanel('moderation')}
          >
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
              <path
                d="M12 3 5 6v5c0 4.5 3 8.3 7 10 4-1.7 7-5.5 7-10V6z"
                fill="none"
                stroke="currentColor"
                stroke-width="1.8"
                stroke-linejoin="round"
              />
            </svg>
          </button>
        )}
      </header>
      {panel === 'members' && <MembersPanel store={store} channelId={channel.id} onClose={() => setPanel(undefined)} />}
      {panel === 'moderation' && (
        <ModerationPanel store={store} channel={channel} onClose={() => setPanel(undefined)} />
      )}
      <div class="messages" ref={list} role="log" aria-live="polite" aria-label={`Messages in ${title}`}>
        <div class="messages-inner">
          {history?.hasMore && (
            <div class="load-older">
              <button
                type="button"
                class="ghost small-btn"
                disabled={history.loading}
                onClick={() => void store.loadOlder(channel.id).catch((e) => store.fail(e))}
              >
                {history.loading ? 'Loading…' : 'Load older messages'}
              </button>
            </div>
          )}
          {history && !history.hasMore && (
            <div class="channel-start">
              <h3>This is the start of {channel.type === 'direct' ? `your conversation with ${title}` : title}.</h3>
            </div>
          )}
          {items.map((m, i) => {
            const prev = items[i - 1];
            const newDay = !prev || day(prev.created_at) !== day(m.created_at);
            return (
              <div key={m.id}>
                {newDay && (
                  <div class="day">
                    <span>{day(m.created_at)}</span>
                  </div>
                )}
                <MessageItem store={store} message={m} compact={!newDay && grouped(prev, m)} seenBy={seen.get(m.id)} />
              </div>
            );
          })}
        </div>
      </div>
      <div class="typing" aria-live="polite" data-testid="typing">
        {typers.length > 0 && (
          <>
            <span class="typing-dots" aria-hidden="true">
              <i />
              <i />
              <i />
            </span>
            {typingText(typers.map((u) => store.users.name(u)))}
          </>
        )}
      </div>
      <Composer
        store={store}
        channelId={channel.id}
        placeholder={`Message ${channel.type === 'direct' ? title : `#${title}`}`}
      />
    </main>
  );
}

function grouped(prev: Message | undefined, m: Message): boolean {
  if (!prev || prev.user_id !== m.user_id || prev.deleted_at) return false;
  return Date.parse(m.created_at) - Date.parse(prev.created_at) < 5 * 60_000;
}
