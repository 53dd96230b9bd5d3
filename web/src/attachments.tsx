import { useRef, useState } from 'preact/hooks';
import type { Attachment } from '../../sdk/index.ts';
import { fileSize } from './format-size.ts';
import type { ChatStore } from './store.ts';

interface Pending {
  key: number;
  name: string;
  progress: number;
  attachment?: Attachment;
  error?: string;
  abort: () => void;
}

export interface Uploads {
  items: Pending[];
  busy: boolean;
  dragging: boolean;
  ready: () => Attachment[];
  sent: (ids: string[]) => void;
  add: (files: Iterable<File>) => void;
  remove: (key: number) => void;
  onPaste: (e: ClipboardEvent) => void;
  dropHandlers: {
    onDragOver: (e: DragEvent) => void;
    onDragLeave: (e: DragEvent) => void;
    onDrop: (e: DragEvent) => void;
  };
}

let nextKey = 0;

/** The composer's files: each starts uploading when chosen, dropped or pasted; sent with the next message. */
export function usePendingUploads(store: ChatStore): Uploads {
  const [items, setItems] = useState<Pending[]>([]);
  const [dragging, setDragging] = useState(false);
  const update = (key: number, f: (p: Pending) => Pending) =>
    setItems((list) => list.map((p) => (p.key === key ? f(p) : p)));
  const add = (files: Iterable<File>) => {
    for (const file of files) {
      const key = ++nextKey;
      const stop = new AbortController();
      const done = store.client.upload(file, {
        signal: stop.signal,
        onProgress: ({ loaded, total }) => update(key, (p) => ({ ...p, progress: total ? loaded / total : 0 })),
      });
      setItems((list) => [...list, { key, name: file.name, progress: 0, abort: () => stop.abort() }]);
      done.then(
        (attachment) => update(key, (p) => ({ ...p, progress: 1, attachment })),
        (e: Error) => update(key, (p) => ({ ...p, error: e.message })),
      );
    }
  };
  return {
    items,
    dragging,
    busy: items.some((p) => !p.attachment && !p.error),
    ready: () => items.flatMap((p) => (p.attachment ? [p.attachment] : [])),
    sent: (ids) => setItems((list) => list.filter((p) => !p.attachment || !ids.includes(p.attachment.id))),
    add,
    remove: (key) =>
      setItems((list) =>
        list.filter((p) => {
          if (p.key === key) p.abort();
          return p.key !== key;
        }),
      ),
    onPaste: (e) => {
      const files = [...(e.clipboardData?.files ?? [])];
      if (files.length === 0) return;
      e.preventDefault();
      add(files);
    },
    dropHandlers: {
      onDragOver: (e) => {
        if (!e.dataTransfer?.types.includes('Files')) return;
        e.preventDefault();
        setDragging(true);
      },
      onDragLeave: () => setDragging(false),
      onDrop: (e) => {
        setDragging(false);
        const files = [...(e.dataTransfer?.files ?? [])];
        if (files.length === 0) return;
        e.preventDefault();
        add(files);
      },
    },
  };
}

export function AttachButton({ uploads, disabled }: { uploads: Uploads; disabled?: boolean }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button
        type="button"
        class="icon-btn attach"
        aria-label="Attach files"
        title="Attach files"
        disabled={disabled}
        onClick={() => input.current?.click()}
      >
        <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
          <path
            d="M16.5 6.5 8.6 14.4a2 2 0 0 0 2.8 2.8l7.9-7.9a4 4 0 0 0-5.6-5.6L5.8 11.6a6 6 0 0 0 8.5 8.5l6.2-6.2"
            fill="none"
            stroke="currentColor"
            stroke-width="1.8"
            stroke-linecap="round"
          />
        </svg>
      </button>
      <input
        ref={input}
        type="file"
        multiple
        hidden
        aria-label="Files to attach"
        onChange={(e) => {
          uploads.add([...(e.currentTarget.files ?? [])]);
          e.currentTarget.value = '';
        }}
      />
    </>
  );
}

export function PendingUploads({ uploads }: { uploads: Uploads }) {
  if (uploads.items.length === 0) return null;
  return (
    <ul class="pending-uploads" aria-label="Files to send">
      {uploads.items.map((p) => (
        <li key={p.key} class={p.error ? 'failed' : ''}>
          <span class="file-name">{p.name}</span>
          {p.attachment && <span class="muted small">{fileSize(p.attachment.file_size)}</span>}
          {p.error && (
            <span class="form-error" role="alert">
              {p.error}
            </span>
          )}
          {!p.error && !p.attachment && <progress max={1} value={p.progress} aria-label={`Uploading ${p.name}`} />}
          <button type="button" class="icon-btn" aria-label={`Remove ${p.name}`} onClick={() => uploads.remove(p.key)}>
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}
