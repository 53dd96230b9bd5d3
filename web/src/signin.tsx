import { useState } from 'preact/hooks';
import type { UiConfig } from './embed.ts';
import { type Session, signIn } from './store.ts';

/**
 * With the demo sign-in on: a form (anyone can be anyone). Off: the UI waits for the host
 * application's token and says so, with no form the server would refuse.
 */
export function SignIn({ config, onSignedIn }: { config: UiConfig; onSignedIn: (s: Session) => void }) {
  if (!config.dev_auth) return <NoToken embedded={config.embed_origins.length > 0} />;
  return <DemoSignIn onSignedIn={onSignedIn} />;
}

function NoToken({ embedded }: { embedded: boolean }) {
  return (
    <div class="signin">
      <div class="card signin-card" data-testid="no-token">
        <div class="brand">
          <span class="logo" aria-hidden="true" />
          <span>Parley</span>
        </div>
        <h1>Not signed in</h1>
        <p>
          This chat opens from the application it belongs to, which signs you in. Go back to that application and open
          the chat from there.
        </p>
        {embedded && (
          <p class="muted small" role="status">
            Waiting for the application to sign you in…
          </p>
        )}
      </div>
    </div>
  );
}

function DemoSignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [userId, setUserId] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await signIn(userId.trim(), name.trim()));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="signin">
      <form class="card signin-card" onSubmit={submit}>
        <div class="brand">
          <span class="logo" aria-hidden="true" />
          <span>Parley</span>
        </div>
        <h1>Sign in</h1>
        <label>
          User id
          <input
            name="user_id"
            value={userId}
            onInput={(e) => setUserId(e.currentTarget.value)}
            placeholder="e.g. alice"
            autoComplete="username"
            required
            maxLength={128}
            // biome-ignore lint/a11y/noAutofocus: the page's only task is this form
            autoFocus
          />
        </label>
        <label>
          Display name
          <input
            name="name"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            placeholder="e.g. Alice Smith"
          />
        </label>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy || !userId.trim()}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="note">
          <strong>Local demo mode.</strong> This server runs with <code>PARLEY_DEV_AUTH=1</code>, so anyone can sign in
          as any user id, with no password. In production your application signs each user's token and hands it to this
          page (see "Embedding the web UI" in the README); the demo sign-in is off.
        </p>
      </form>
    </div>
  );
}
