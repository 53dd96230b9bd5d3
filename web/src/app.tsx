import { useEffect, useRef, useState } from 'preact/hooks';
import { ChannelView } from './channel-view.tsx';
import { Sidebar } from './sidebar.tsx';
import { SignIn } from './signin.tsx';
import { ChatStore, type Session } from './store.ts';
import { ThreadPanel } from './thread.tsx';

const KEY = 'parley.session';

function saved(): Session | undefined {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Session | null;
    return s?.token ? s : undefined;
  } catch {
    return undefined;
  }
}

export function App() {
  const [session, setSession] = useState(saved);
  if (!session) {
    return (
      <SignIn
        onSignedIn={(s) => {
          localStorage.setItem(KEY, JSON.stringify(s));
          setSession(s);
        }}
      />
    );
  }
  return (
    <Chat
      key={session.token}
      session={session}
      onSignOut={() => {
        localStorage.removeItem(KEY);
        setSession(undefined);
      }}
    />
  );
}

function Chat({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const [store] = useState(() => new ChatStore(session));
  const [, setVersion] = useState(0);
  const signOut = useRef(onSignOut);
  signOut.current = onSignOut;
  useEffect(() => {
    const off = store.subscribe(() => setVersion((n) => n + 1));
    store.start().catch((e) => {
      // A token the server no longer accepts (e.g. a new secret): back to sign-in.
      if ((e as { status?: number }).status === 401) signOut.current();
      else store.fail(e);
    });
    return () => {
      off();
      store.stop();
    };
  }, [store]);
  const active = store.activeId ? store.channels.get(store.activeId) : undefined;
  return (
    <div class={`layout${store.threadId ? ' with-thread' : ''}`}>
      <Sidebar store={store} onSignOut={onSignOut} />
      {active ? (
        <ChannelView store={store} channel={active} />
      ) : (
        <main class="empty-state">
          <div>
            <h2>Welcome, {session.name || session.userId}</h2>
            <p>Pick a conversation on the left, or start a new one.</p>
          </div>
        </main>
      )}
      {store.threadId && <ThreadPanel store={store} parentId={store.threadId} />}
      {store.error && (
        <div class="toast" role="alert">
          <span>{store.error}</span>
          <button
            type="button"
            class="icon-btn"
            aria-label="Dismiss"
            onClick={() => {
              store.error = undefined;
              store.changed();
            }}
          >
            ×
          </button>
        </div>
      )}
    </div>
  );
}
