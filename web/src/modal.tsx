import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/**
 * A dialog without a form: a title, a close button and its content. Escape or a click outside
 * closes it; focus moves into it when it opens and back to where it was when it closes.
 */
export function Modal(props: { title: string; onClose: () => void; children: ComponentChildren; testId?: string }) {
  const card = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    card.current?.querySelector<HTMLElement>('button, input, select, textarea, a[href]')?.focus();
    return () => before?.focus?.();
  }, []);
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a click outside the dialog or Escape closes it
    <div
      class="overlay"
      onClick={(e) => {
        if (e.target === e.currentTarget) props.onClose();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          props.onClose();
        }
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
