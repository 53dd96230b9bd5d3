import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/**
 * A dialog without a form: a title, a close button and its content. Escape or a click outside
 * closes it; focus moves into it when it opens and back to where it was when it closes.
 */
export function Modal(props: { title: string; onClose: () => void; children: ComponentChildren; testId?: string }) {
  const card = useRef<HTMLDivElement>(null);
  const close = useRef(props.onClose);
  close.current = props.onClose;
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    card.current?.querySelector<HTMLElement>('button, input, select, textarea, a[href]')?.focus();
    // On the document: focus may have left the dialog (a button disabled while it works).
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !e.defaultPrevented) {
        e.preventDefault();
        close.current();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      if (before?.isConnected) before.focus();
    };
  }, []);
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a click outside the dialog closes it (Escape too, above)
    // biome-ignore lint/a11y/useKeyWithClickEvents: as above
    <div
      class="overlay"
      onClick={(e) => {
        if (e.target === e.currentTarget) props.onClose();
      }}
    >
      <div
        class="card dialog"
        role="dialog"
        aria-modal="true"
        aria-label={props.title}
        ref={card}
        data-testid={props.testId}
      >
        <div class="dialog-head">
          <h2>{props.title}</h2>
          <button type="button" class="icon-btn" aria-label="Close" onClick={props.onClose}>
            ×
          </button>
        </div>
        {props.children}
      </div>
    </div>
  );
}
