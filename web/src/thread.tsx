import { useLayoutEffect, useRef } from 'preact/hooks';
import { Composer } from './composer.tsx';
import { MessageItem } from './message.tsx';
import type { ChatStore } from './store.ts';

export function ThreadPanel({ store, parentId }: { store: ChatStore; parentId: string }) {
  const t = store.threads.get(parentId);
  const list = useRef<HTMLDivElement>(null);
  const count = t?.replies.length ?? 0;
  useLayoutEffect(() => {
    if (count >= 0 && list.current) list.current.scrollTop = list.current.scrollHeight;
  }, [count]);
  return (
    <aside class="thread" aria-label="Thread">
      <header class="thread-head">
        <h3>Thread</h3>
        <button type="button" class="icon-btn" aria-label="Close thread" onClick={() => store.closeThread()}>
          ×
        </button>
      </header>
      <div class="thread-body" ref={list}>
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
