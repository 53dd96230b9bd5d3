import { useState } from 'preact/hooks';
import type { Channel } from '../../sdk/index.ts';
import { Avatar } from './avatar.tsx';
import { NewChannelDialog, NewDirectDialog } from './dialogs.tsx';
import { SearchBox } from './search.tsx';
import type { ChatStore } from './store.ts';

const STATE_TEXT = {
  idle: 'Offline',
  connecting: 'Connecting…',
  open: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
} as const;

export function Sidebar({
  store,
  onSignOut,
  inert,
}: {
  store: ChatStore;
  onSignOut: () => void;
  /** A closed drawer on a phone: out of the tab order and the accessibility tree. */
  inert?: boolean;
}) {
  const [dialog, setDialog] = useState<'channel' | 'direct'>();
  const channels = store.sortedChannels;
  const groups = channels.filter((c) => c.type !== 'direct');
  const directs = channels.filter((c) => c.type === 'direct');
  return (
    <aside class="sidebar" id="sidebar" aria-label="Conversations and search" inert={inert}>
      <header class="sidebar-head">
        <div class="brand">
          <span class="logo" aria-hidden="true" />
          <span>Parley</span>
        </div>
      </header>
      <SearchBox store={store} />
      <nav class="channel-nav" aria-label="Conversations">
        <Section title="Channels" action="New channel" onAction={() => setDialog('channel')}>
          {groups.map((c) => (
            <ChannelItem key={c.id} store={store} channel={c} />
          ))}
          {groups.length === 0 && <p class="muted small pad">No channels yet.</p>}
        </Section>
        <Section title="Direct messages" action="New direct message" onAction={() => setDialog('direct')}>
          {directs.map((c) => (
            <ChannelItem key={c.id} store={store} channel={c} />
          ))}
          {directs.length === 0 && <p class="muted small pad">No conversations yet.</p>}
        </Section>
      </nav>
      <footer class="me">
        <Avatar id={store.me.userId} user={store.users.get(store.me.userId)} online={store.connection === 'open'} />
        <div class="me-text">
          <div class="me-name">{store.users.get(store.me.userId)?.name || store.me.name || store.me.userId}</div>
          <div class={`conn conn-${store.connection}`} data-testid="connection">
            {STATE_TEXT[store.connection]}
          </div>
        </div>
        <button type="button" class="ghost small-btn" onClick={onSignOut}>
          Sign out
        </button>
      </footer>
      {dialog === 'channel' && <NewChannelDialog store={store} onClose={() => setDialog(undefined)} />}
      {dialog === 'direct' && <NewDirectDialog store={store} onClose={() => setDialog(undefined)} />}
    </aside>
  );
}

function Section(props: { title: string; action: string; onAction: () => void; children: preact.ComponentChildren }) {
  return (
    <section class="nav-section">
      <div class="nav-title">
        <span>{props.title}</span>
        <button type="button" class="icon-btn" title={props.action} aria-label={props.action} onClick={props.onAction}>
          +
        </button>
      </div>
      <ul>{props.children}</ul>
    </section>
  );
}

function ChannelItem({ store, channel }: { store: ChatStore; channel: Channel }) {
  const active = store.activeId === channel.id;
  const unread = channel.unread_count ?? 0;
  const mentions = channel.mention_count ?? 0;
  const peer = channel.type === 'direct' ? store.peer(channel.id) : undefined;
  return (
    <li>
      <button
        type="button"
        class={`channel-item${active ? ' active' : ''}${unread ? ' unread' : ''}`}
        aria-current={active ? 'page' : undefined}
        onClick={() => void store.open(channel.id).catch((e) => store.fail(e))}
        data-channel={channel.id}
      >
        {peer ? (
          <Avatar id={peer} user={store.users.get(peer)} online={store.isOnline(peer)} size="sm" />
        ) : (
          <span class="hash" aria-hidden="true">
            {channel.type === 'tutor_student' ? '🎓' : '#'}
          </span>
        )}
        <span class="channel-name">{store.title(channel)}</span>
        {mentions > 0 && (
          <span class="badge mention" title={`${mentions} mention${mentions > 1 ? 's' : ''}`}>
            @{mentions}
          </span>
        )}
        {unread > 0 && (
          <span class="badge" title={`${unread} unread`} data-testid="unread">
            {unread}
          </span>
        )}
      </button>
    </li>
  );
}
