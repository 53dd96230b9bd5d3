import { useState } from 'preact/hooks';
import type { Message } from '../../sdk/index.ts';
import { go } from './route.ts';
import type { ChatStore } from './store.ts';

/** A search result as the server returns it: the message, a plain-text snippet and match offsets into it. */
interface Hit extends Message {
  snippet: string;
  highlights: [number, number][];
}

/** Message search (`GET /search?q=`); a result opens the message at its address. */
export function SearchBox({ store }: { store: ChatStore }) {
  const [q, setQ] = useState('');
  const [hits, setHits] = useState<Hit[]>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const search = async () => {
    const query = q.trim();
    if (!query) return;
    setBusy(true);
    setError(undefined);
    try {
      const res = await store.client.request<{ messages: Hit[] }>('GET', '/search', undefined, { q: query, limit: 20 });
      setHits(res.messages);
    } catch (e) {
      setError((e as Error).message);
      setHits(undefined);
    } finally {
      setBusy(false);
    }
  };
  return (
    <search class="search">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void search();
        }}
      >
        <input
          type="search"
          name="q"
          value={q}
          maxLength={500}
          placeholder="Search messages"
          aria-label="Search messages"
          onInput={(e) => {
            setQ(e.currentTarget.value);
            if (!e.currentTarget.value) setHits(undefined);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Escape' && hits) {
              e.stopPropagation();
              setHits(undefined);
            }
          }}
        />
      </form>
      {busy && <p class="muted small pad">Searching…</p>}
      {error && (
        <p class="form-error pad" role="alert">
          {error}
        </p>
      )}
      {hits && (
        <section class="search-results" aria-label="Search results" aria-live="polite">
          <p class="muted small pad">
            {hits.length === 0 ? 'No messages found.' : `${hits.length} message${hits.length === 1 ? '' : 's'}`}
          </p>
          <ul>
            {hits.map((h) => (
              <li key={h.id}>
                <button
                  type="button"
                  class="search-hit"
                  onClick={() => {
                    setHits(undefined);
                    go({ channelId: h.channel_id, messageId: h.id });
                  }}
                >
                  <span class="hit-where muted small">
                    {channelName(store, h.channel_id)} · {h.user_id ? store.users.name(h.user_id) : 'System'}
                  </span>
                  <Snippet text={h.snippet ?? h.content} highlights={h.highlights ?? []} />
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </search>
  );
}

function channelName(store: ChatStore, id: string): string {
  const c = store.channels.get(id);
  return c ? store.title(c) : 'a channel';
}

/** The snippet as text with <mark> around each match (offsets in UTF-16 units, as JavaScript slices): never HTML. */
export function Snippet({ text, highlights }: { text: string; highlights: [number, number][] }) {
  const out: preact.ComponentChildren[] = [];
  let at = 0;
  const ranges = highlights
    .filter(([a, b]) => Number.isInteger(a) && Number.isInteger(b) && a < b)
    .sort((x, y) => x[0] - y[0]);
  for (const [a, b] of ranges) {
    const start = Math.max(a, at);
    const end = Math.min(b, text.length);
    if (start >= end) continue;
    if (start > at) out.push(text.slice(at, start));
    out.push(<mark key={start}>{text.slice(start, end)}</mark>);
    at = end;
  }
  if (at < text.length) out.push(text.slice(at));
  return <span class="hit-text">{out}</span>;
}
