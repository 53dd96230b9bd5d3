import { useEffect, useRef, useState } from 'preact/hooks';

/** Below this width the conversation list is a drawer over the chat, not a column beside it. */
const NARROW = '(max-width: 760px)';

export interface Drawer {
  open: boolean;
  narrow: boolean;
  toggle: () => void;
  /** `focusToggle`: give focus back to the toggle (the user closed it; not when a choice closed it). */
  close: (focusToggle: boolean) => void;
}

export function useDrawer(): Drawer {
  const [narrow, setNarrow] = useState(() => matchMedia(NARROW).matches);
  const [open, setOpen] = useState(false);
  const opened = useRef(false);
  useEffect(() => {
    const mq = matchMedia(NARROW);
    const on = () => setNarrow(mq.matches);
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, []);
  const close = (focusToggle: boolean) => {
    setOpen(false);
    if (focusToggle) requestAnimationFrame(() => document.getElementById('drawer-toggle')?.focus());
  };
  // Open: focus goes to the current (or first) conversation; Escape closes and returns to the toggle.
  useEffect(() => {
    if (!open || !narrow) {
      opened.current = false;
      return;
    }
    if (!opened.current) {
      opened.current = true;
      const list = document.getElementById('sidebar');
      (
        list?.querySelector<HTMLElement>('[aria-current="page"]') ??
        list?.querySelector<HTMLElement>('.channel-item, button')
      )?.focus();
    }
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !e.defaultPrevented) close(true);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [open, narrow]);
  return { open: open && narrow, narrow, toggle: () => setOpen((o) => !o), close };
}

export function DrawerToggle({ drawer }: { drawer: Drawer }) {
  return (
    <button
      type="button"
      id="drawer-toggle"
      class="icon-btn drawer-toggle"
      aria-label="Conversations"
      aria-expanded={drawer.open}
      aria-controls="sidebar"
      onClick={drawer.toggle}
    >
      <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
        <path d="M4 7h16M4 12h16M4 17h16" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
      </svg>
    </button>
  );
}
