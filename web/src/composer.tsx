import { useRef, useState } from 'preact/hooks';
import type { ChatStore } from './store.ts';

/** The message box: Enter sends, Shift+Enter is a new line; tells others we are typing (at most every 3 s). */
export function Composer(props: { store: ChatStore; channelId: string; parentId?: string; placeholder: string }) {
  const { store, channelId, parentId } = props;
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const lastTyping = useRef(0);
  const send = async () => {
    const content = text.trim();
    if (!content || sending) return;
    setSending(true);
    try {
      await store.send(channelId, content, parentId);
      setText('');
      lastTyping.current = 0;
    } catch (e) {
      store.fail(e);
    } finally {
      setSending(false);
    }
  };
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <textarea
        value={text}
        rows={Math.min(6, text.split('\n').length)}
        placeholder={props.placeholder}
        aria-label={props.placeholder}
        onInput={(e) => {
          setText(e.currentTarget.value);
          const now = Date.now();
          if (e.currentTarget.value && now - lastTyping.current > 3000) {
            lastTyping.current = now;
            void store.client.typing(channelId).catch(() => {});
          }
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            void send();
          }
        }}
      />
      <button type="submit" class="send" disabled={!text.trim() || sending} aria-label="Send">
        <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
          <path d="M3 11.5 20.5 4l-7.5 17.5-2.5-7.5z" fill="currentColor" />
        </svg>
      </button>
    </form>
  );
}
