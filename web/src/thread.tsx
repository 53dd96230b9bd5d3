import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import { Composer } from './composer.tsx';
import { MessageItem } from './message.tsx';
import type { ChatStore } from './store.ts';

/** A thread beside the channel (a full-screen panel on a phone); Escape closes it. */
export function ThreadPanel({ store, parentId }: { store: ChatStore; parentId: string }) {
  const t = store.threads.get(parentId);
  const list = useRef<HTMLDivElement>(null);
  const panel = useRef<HTMLElement>(null);
  const count = t?.replies.length ?? 0;
  useLayoutEffect(() => {
    if (count >= 0 && list.current) list.current.scrollTop = list.current.scrollHeight;
  }, [count]);
  // Focus into the thread when it opens (a phone shows nothing else), back to the channel when it closes.
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    panel.current?.querySelector<HTMLElement>('.thread-head button')?.focus();
    return () => {
      if (before?.isConnected) before.focus();
    };
  }, [parentId]);
  return (
    <aside
      class="thread"
      aria-label="Thread"
      ref={panel}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !e.defaultPrevented) store.closeThread();
      }}
    >
      <header class="thread-head">
        <h3>Thread</h3>
        <button type="button" class="icon-btn" aria-label="Close thread" onClick={() => store.closeThread()}>
          ×
        </button>
      </header>
      <div class="thread-body" ref={list} role="log" aria-live="polite" aria-label="Replies">
        {!t ? (
          <p class="muted pad">Loading…</p>
        ) : (
          <>
            <MessageItem store={store} message={t.parent} inThread />
            <div class="thread-divider">
              <span>
                {t.replies.length} {t.replies.length === 1 ? 'reply' : 'replies'}
              </span>
            </div>
            {t.replies.map((m) => (
              <MessageItem key={m.id} store={store} message={m} inThread />
            ))}
          </>
        )}
      </div>
      {t && <Composer store={store} channelId={t.parent.channel_id} parentId={t.parent.id} placeholder="Reply…" />}
    </aside>
  );
}
