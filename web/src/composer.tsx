import { useEffect, useRef, useState } from 'preact/hooks';
import { AttachButton, PendingUploads, usePendingUploads } from './attachments.tsx';
import { MentionList } from './mention-list.tsx';
import { insertMention, type MentionQuery, mentionedIds, mentionQuery } from './mentions.ts';
import type { ChatStore } from './store.ts';
import type { UserInfo } from './users.ts';

let composerCount = 0;

/**
 * The message box: Enter sends, Shift+Enter is a new line; tells others we are typing (at most every
 * 3 s); `@` suggests the channel's members; files come by button, drop or paste. What is typed while a
 * send is in flight stays; only the text that was sent is cleared, and a failed send keeps it all.
 */
export function Composer(props: { store: ChatStore; channelId: string; parentId?: string; placeholder: string }) {
  const { store, channelId, parentId } = props;
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string>();
  const [query, setQuery] = useState<MentionQuery>();
  const [active, setActive] = useState(0);
  const [now, setNow] = useState(Date.now());
  const [listId] = useState(() => `mentions-${++composerCount}`);
  const box = useRef<HTMLTextAreaElement>(null);
  const lastTyping = useRef(0);
  const uploads = usePendingUploads(store);
  // "Sending…" only for a send that takes a while: most finish before it would flash.
  const [slowSend, setSlowSend] = useState(false);
  useEffect(() => {
    if (!sending) return setSlowSend(false);
    const t = setTimeout(() => setSlowSend(true), 400);
    return () => clearTimeout(t);
  }, [sending]);

  const channel = store.channels.get(channelId);
  const moderator = store.isModerator(channelId);
  const frozen = !!channel?.is_frozen && !moderator;
  const slowUntil = store.slowUntil.get(channelId) ?? 0;
  const wait = Math.ceil((slowUntil - now) / 1000);
  useEffect(() => {
    if (slowUntil <= Date.now()) return;
    const t = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(t);
  }, [slowUntil]);

  const members = store.members.get(channelId) ?? [];
  // Observers cannot be mentioned (the server refuses them); nor can oneself usefully.
  const mentionable = members.filter((m) => m.role !== 'observer' && m.user_id !== store.me.userId);
  const options: UserInfo[] = query
    ? mentionable
        .map((m) => store.users.get(m.user_id) ?? { id: m.user_id, name: null, avatar_url: null })
        .filter((u) => matches(u, query.query))
        .slice(0, 8)
    : [];
  const open = options.length > 0;

  if (store.myRole(channelId) === 'observer') {
    return (
      <p class="composer-notice" data-testid="observer-notice">
        You are observing this channel: you can read it, but not write in it.
      </p>
    );
  }

  const send = async () => {
    const sent = text;
    const content = sent.trim();
    const ready = uploads.ready();
    if ((!content && ready.length === 0) || sending || uploads.busy || wait > 0 || frozen) return;
    // The box is free at once for the next message: the sent text leaves it, what is typed meanwhile stays.
    setText('');
    setQuery(undefined);
    setSending(true);
    setError(undefined);
    try {
      // A message needs text: files sent alone are announced by their names.
      const body = content || ready.map((f) => f.file_name).join(', ');
      await store.send(channelId, body, {
        parentId,
        mentions: mentionedIds(content, new Set(mentionable.map((m) => m.user_id))),
        attachmentIds: ready.map((a) => a.id),
      });
      uploads.sent(ready.map((a) => a.id));
      lastTyping.current = 0;
    } catch (e) {
      // Not sent: its text comes back, before anything typed since.
      setText((cur) => (cur.trim() ? `${sent}\n${cur}` : sent));
      const status = (e as { status?: number }).status;
      if (status !== 429 || !store.slowUntil.has(channelId)) setError((e as Error).message || 'Sending failed.');
      setNow(Date.now());
    } finally {
      setSending(false);
    }
  };

  const pick = (u: UserInfo) => {
    const el = box.current;
    if (!el || !query) return;
    const [next, caret] = insertMention(text, query, el.selectionStart, u.id);
    setText(next);
    setQuery(undefined);
    requestAnimationFrame(() => el.setSelectionRange(caret, caret));
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (open) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const step = e.key === 'ArrowDown' ? 1 : -1;
        setActive((a) => (a + step + options.length) % options.length);
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        pick(options[Math.min(active, options.length - 1)]!);
        return;
      }
      if (e.key === 'Escape') {
        // Closes the list only, not the thread or drawer around it.
        e.preventDefault();
        e.stopPropagation();
        setQuery(undefined);
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void send();
    }
  };

  const disabled = frozen;
  return (
    <form
      class={`composer-wrap${uploads.dragging ? ' dragging' : ''}`}
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
      {...uploads.dropHandlers}
    >
      {frozen && (
        <p class="composer-notice" role="status" data-testid="frozen-notice">
          This channel is frozen: only its moderators can write for now.
        </p>
      )}
      {!frozen && wait > 0 && (
        <p class="composer-notice" role="status" data-testid="slow-mode">
          Slow mode: you can send again in {wait} s.
        </p>
      )}
      {!frozen && wait <= 0 && !moderator && (channel?.slow_mode_seconds ?? 0) > 0 && (
        <p class="composer-hint muted small">Slow mode is on: one message every {channel!.slow_mode_seconds} s.</p>
      )}
      {slowSend && (
        <p class="composer-hint muted small" role="status">
          Sending…
        </p>
      )}
      {error && (
        <p class="composer-error" role="alert">
          Not sent: {error}
        </p>
      )}
      <PendingUploads uploads={uploads} />
      {open && (
        <MentionList id={listId} options={options} active={Math.min(active, options.length - 1)} onPick={pick} />
      )}
      <div class="composer">
        <AttachButton uploads={uploads} disabled={disabled} />
        <textarea
          ref={box}
          value={text}
          disabled={disabled}
          rows={Math.min(6, text.split('\n').length)}
          placeholder={props.placeholder}
          aria-label={props.placeholder}
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={open}
          aria-controls={listId}
          aria-activedescendant={open ? `${listId}-${Math.min(active, options.length - 1)}` : undefined}
          onInput={(e) => {
            const el = e.currentTarget;
            setText(el.value);
            const q = mentionQuery(el.value, el.selectionStart);
            setQuery(q);
            if (q?.query !== query?.query) setActive(0);
            const t = Date.now();
            if (el.value && t - lastTyping.current > 3000) {
              lastTyping.current = t;
              void store.client.typing(channelId).catch(() => {});
            }
          }}
          onBlur={() => setQuery(undefined)}
          onKeyDown={onKeyDown}
          onPaste={uploads.onPaste}
        />
        <button
          type="submit"
          class="send"
          disabled={disabled || (!text.trim() && uploads.ready().length === 0) || sending || uploads.busy || wait > 0}
          aria-label="Send"
        >
          <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
            <path d="M3 11.5 20.5 4l-7.5 17.5-2.5-7.5z" fill="currentColor" />
          </svg>
        </button>
      </div>
    </form>
  );
}

function matches(u: UserInfo, q: string): boolean {
  const s = q.toLowerCase();
  return (
    u.id.toLowerCase().startsWith(s) ||
    (u.name ?? '')
      .toLowerCase()
      .split(/\s+/)
      .some((w) => w.startsWith(s))
  );
}
