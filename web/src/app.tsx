import { useEffect, useRef, useState } from 'preact/hooks';
import { ChannelView } from './channel-view.tsx';
import { DrawerToggle, useDrawer } from './drawer.tsx';
import { listenForTokens, loadUiConfig, requestToken, tokenExpiry, type UiConfig } from './embed.ts';
import { navigate } from './navigate.ts';
import { parseRoute, takeTokenFromHash } from './route.ts';
import { Sidebar } from './sidebar.tsx';
import { SignIn } from './signin.tsx';
import { ChatStore, type Session, sessionFromToken } from './store.ts';
import { ThreadPanel } from './thread.tsx';

const KEY = 'parley.session';
// A host's token lives for this tab only (sessionStorage): the host hands a fresh one next time.
const HOST_KEY = 'parley.host-session';
// Ask the host for a new token this long before the one we have expires.
const REFRESH_BEFORE_MS = 60_000;

// Taken out of the address before anything else reads it or the router sees it.
const tokenInUrl = takeTokenFromHash();

function saved(): Session | undefined {
  for (const storage of [sessionStorage, localStorage]) {
    try {
      const s = JSON.parse(storage.getItem(storage === sessionStorage ? HOST_KEY : KEY) ?? 'null') as Session | null;
      if (s?.token) return s;
    } catch {
      // unreadable: as if absent
    }
  }
  return undefined;
}

function save(s: Session | undefined): void {
  localStorage.removeItem(KEY);
  sessionStorage.removeItem(HOST_KEY);
  if (s)
    (s.source === 'host' ? sessionStorage : localStorage).setItem(
      s.source === 'host' ? HOST_KEY : KEY,
      JSON.stringify(s),
    );
}

export function App() {
  const [config, setConfig] = useState<UiConfig>();
  const [session, setSession] = useState<Session | undefined>(tokenInUrl ? undefined : saved);
  const [error, setError] = useState<string>();
  const current = useRef(session);
  current.current = session;

  useEffect(() => {
    void loadUiConfig().then(setConfig);
  }, []);

  // A token from the host (address or postMessage): a new sign-in, or a refresh of the same user's.
  const accept = useRef(async (token: string) => {
    try {
      const s = await sessionFromToken(token);
      setError(undefined);
      save(s);
      const was = current.current;
      if (was && was.userId === s.userId) {
        was.token = token;
        for (const f of tokenListeners) f(token);
      } else setSession(s);
    } catch (e) {
      setError(`The application's sign-in was refused: ${(e as Error).message}`);
    }
  });
  useEffect(() => {
    if (tokenInUrl) void accept.current(tokenInUrl);
  }, []);
  useEffect(() => {
    if (!config) return;
    const off = listenForTokens(config, (t) => void accept.current(t));
    if (!current.current) requestToken(config);
    return off;
  }, [config]);

  if (!config) return null;
  if (!session) {
    return (
      <>
        <SignIn
          config={config}
          onSignedIn={(s) => {
            save(s);
            setSession(s);
          }}
        />
        {error && (
          <div class="toast" role="alert">
            <span>{error}</span>
          </div>
        )}
      </>
    );
  }
  return (
    <Chat
      key={session.userId}
      session={session}
      config={config}
      onSignOut={() => {
        save(undefined);
        setSession(undefined);
      }}
    />
  );
}

/** The running Chat's way to hear of a refreshed token. */
const tokenListeners = new Set<(token: string) => void>();

function Chat({ session, config, onSignOut }: { session: Session; config: UiConfig; onSignOut: () => void }) {
  const [store] = useState(() => new ChatStore(session));
  const [, setVersion] = useState(0);
  const drawer = useDrawer();
  const signOut = useRef(onSignOut);
  signOut.current = onSignOut;
  useEffect(() => {
    const off = store.subscribe(() => setVersion((n) => n + 1));
    const onToken = (t: string) => {
      store.setToken(t);
      scheduleRefresh(t);
    };
    tokenListeners.add(onToken);
    let refresh: ReturnType<typeof setTimeout> | undefined;
    const scheduleRefresh = (t: string) => {
      clearTimeout(refresh);
      const exp = tokenExpiry(t);
      if (session.source !== 'host' || !exp) return;
      refresh = setTimeout(() => requestToken(config), Math.max(0, exp * 1000 - Date.now() - REFRESH_BEFORE_MS));
    };
    scheduleRefresh(session.token);
    const follow = () => {
      drawer.close(false);
      void navigate(store, parseRoute(location.hash)).catch((e) => store.fail(e));
    };
    store
      .start()
      .then(() => {
        window.addEventListener('hashchange', follow);
        follow();
      })
      .catch((e) => {
        // A token the server no longer accepts: the host may hand a fresh one; the demo signs in again.
        if ((e as { status?: number }).status === 401) {
          if (session.source === 'host') requestToken(config);
          signOut.current();
        } else store.fail(e);
      });
    return () => {
      off();
      tokenListeners.delete(onToken);
      clearTimeout(refresh);
      window.removeEventListener('hashchange', follow);
      store.stop();
    };
  }, [store]);
  const active = store.activeId ? store.channels.get(store.activeId) : undefined;
  const menu = <DrawerToggle drawer={drawer} />;
  return (
    <div class={`layout${store.threadId ? ' with-thread' : ''}${drawer.open ? ' drawer-open' : ''}`}>
      <Sidebar store={store} onSignOut={onSignOut} inert={drawer.narrow && !drawer.open} />
      {drawer.narrow && drawer.open && (
        // biome-ignore lint/a11y/noStaticElementInteractions: the scrim is a mouse shortcut; Escape and the toggle close too
        // biome-ignore lint/a11y/useKeyWithClickEvents: as above
        <div class="scrim" onClick={() => drawer.close(true)} />
      )}
      {active ? (
        <ChannelView store={store} channel={active} menu={menu} />
      ) : (
        <main class="empty-state">
          <header class="empty-head">{menu}</header>
          <div>
            <h2>Welcome, {session.name || session.userId}</h2>
            <p>Pick a conversation from the list, or start a new one.</p>
          </div>
        </main>
      )}
      {store.threadId && <ThreadPanel store={store} parentId={store.threadId} />}
      {store.info && (
        <div class="toast info" role="status">
          <span>{store.info}</span>
        </div>
      )}
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
