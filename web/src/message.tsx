import { useState } from 'preact/hooks';
import type { Message } from '../../sdk/index.ts';
import { AttachmentList } from './attachment-view.tsx';
import { Avatar } from './avatar.tsx';
import { shortTime, time } from './format.ts';
import { ReportDialog } from './report-dialog.tsx';
import { RichText } from './rich-text.tsx';
import type { ChatStore } from './store.ts';

export const QUICK_EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '👀'];

interface Props {
  store: ChatStore;
  message: Message;
  /** Same author as the message above, within a few minutes: no header. */
  compact?: boolean;
  inThread?: boolean;
  seenBy?: string[];
}

export function MessageItem({ store, message: m, compact, inThread, seenBy }: Props) {
  const [editing, setEditing] = useState(false);
  const [picker, setPicker] = useState(false);
  const [reporting, setReporting] = useState(false);
  const mine = m.user_id === store.me.userId;
  const deleted = m.deleted_at !== null;
  const observer = store.myRole(m.channel_id) === 'observer';
  const run = (p: Promise<unknown>) => void p.catch((e) => store.fail(e));
  const author = m.user_id ? store.users.get(m.user_id) : undefined;
  const authorName = m.user_id ? store.users.name(m.user_id) : 'System';
  const highlighted = store.highlightId === m.id;
  return (
    <div
      class={`msg${compact ? ' compact' : ''}${mine ? ' mine' : ''}${highlighted ? ' highlight' : ''}`}
      data-message={m.id}
      aria-current={highlighted ? 'true' : undefined}
    >
      <div class="msg-gutter">
        {compact ? (
          <span class="msg-time-hover">{shortTime(m.created_at)}</span>
        ) : (
          <Avatar id={m.user_id ?? 'system'} user={author} online={m.user_id !== null && store.isOnline(m.user_id)} />
        )}
      </div>
      <div class="msg-main">
        {compact && <span class="sr-only">{authorName}: </span>}
        {!compact && (
          <div class="msg-head">
            <span class="author" title={m.user_id ?? undefined}>
              {authorName}
            </span>
            <time dateTime={m.created_at}>{time(m.created_at)}</time>
          </div>
        )}
        {deleted ? (
          <div class="msg-body deleted">This message was deleted.</div>
        ) : editing ? (
          <EditBox
            initial={m.content}
            onCancel={() => setEditing(false)}
            onSave={(content) => {
              setEditing(false);
              if (content !== m.content) run(store.edit(m, content));
            }}
          />
        ) : (
          <div class="msg-body">
            <RichText text={m.content} />
            {m.edited_at && <span class="edited"> (edited)</span>}
          </div>
        )}
        {!deleted && <AttachmentList store={store} attachments={m.attachments} />}
        {m.reactions.length > 0 && (
          <div class="reactions">
            {m.reactions.map((r) => {
              const reacted = r.user_ids.includes(store.me.userId);
              return (
                <button
                  type="button"
                  key={r.emoji}
                  class={`reaction${reacted ? ' mine' : ''}`}
                  title={r.user_ids.map((u) => store.users.name(u)).join(', ')}
                  aria-label={`${r.emoji} ${r.count}${reacted ? ', including you' : ''}`}
                  aria-pressed={reacted}
                  disabled={observer}
                  onClick={() => run(store.toggleReaction(m, r.emoji))}
                >
                  <span>{r.emoji}</span>
                  <span class="count">{r.count}</span>
                </button>
              );
            })}
          </div>
        )}
        {!inThread && m.thread_reply_count > 0 && (
          <button type="button" class="thread-link" onClick={() => run(store.openThread(m.id))}>
            {m.thread_reply_count} {m.thread_reply_count === 1 ? 'reply' : 'replies'}
          </button>
        )}
        {seenBy && seenBy.length > 0 && (
          <div class="seen">Seen by {seenBy.map((u) => store.users.name(u)).join(', ')}</div>
        )}
      </div>
      {!deleted && !editing && (
        <div class={`msg-actions${picker ? ' open' : ''}`}>
          {picker && (
            <div class="picker">
              {QUICK_EMOJI.map((e) => (
                <button
                  type="button"
                  key={e}
                  aria-label={`React ${e}`}
                  onClick={() => {
                    setPicker(false);
                    run(store.toggleReaction(m, e));
                  }}
                >
                  {e}
                </button>
              ))}
            </div>
          )}
          {!observer && (
            <button
              type="button"
              title="Add reaction"
              aria-label="Add reaction"
              aria-expanded={picker}
              onClick={() => setPicker(!picker)}
            >
              ☺
            </button>
          )}
          {!inThread && !observer && (
            <button
              type="button"
              title="Reply in thread"
              aria-label="Reply in thread"
              onClick={() => run(store.openThread(m.id))}
            >
              💬
            </button>
          )}
          {mine && (
            <button type="button" title="Edit" aria-label="Edit message" onClick={() => setEditing(true)}>
              ✎
            </button>
          )}
          {mine && (
            <button
              type="button"
              title="Delete"
              aria-label="Delete message"
              onClick={() => {
                if (confirm('Delete this message?')) run(store.remove(m));
              }}
            >
              🗑
            </button>
          )}
          {!mine && m.user_id !== null && (
            <button type="button" title="Report" aria-label="Report message" onClick={() => setReporting(true)}>
              ⚑
            </button>
          )}
        </div>
      )}
      {reporting && <ReportDialog store={store} message={m} author={authorName} onClose={() => setReporting(false)} />}
    </div>
  );
}

function EditBox(props: { initial: string; onSave: (s: string) => void; onCancel: () => void }) {
  const [text, setText] = useState(props.initial);
  return (
    <div class="edit-box">
      <textarea
        value={text}
        rows={Math.min(8, text.split('\n').length + 1)}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') props.onCancel();
          if (e.key === 'Enter' && !e.shiftKey) {
            e.preventDefault();
            if (text.trim()) props.onSave(text);
          }
        }}
        aria-label="Edit message"
        // biome-ignore lint/a11y/noAutofocus: editing starts where the user clicked
        autoFocus
      />
      <div class="edit-actions">
        <span class="hint">Enter to save · Esc to cancel</span>
        <button type="button" class="ghost small-btn" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" class="primary small-btn" disabled={!text.trim()} onClick={() => props.onSave(text)}>
          Save
        </button>
      </div>
    </div>
  );
}
