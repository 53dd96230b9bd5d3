import { useState } from 'preact/hooks';
import { type Session, signIn } from './store.ts';

export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
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
      const status = (err as { status?: number }).status;
      setError(
        status === 404
          ? 'This server does not allow demo sign-in (PARLEY_DEV_AUTH is off). Sign in through your application instead.'
          : (err as Error).message,
      );
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
        {error && <p class="form-error">{error}</p>}
        <button type="submit" class="primary" disabled={busy || !userId.trim()}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="note">
          <strong>Local demo mode.</strong> This server runs with <code>PARLEY_DEV_AUTH=1</code>, so anyone can sign in
          as any user id, with no password. In production your application signs each user's token (a JWT, HS256, with{' '}
          <code>PARLEY_JWT_SECRET</code>) and the demo sign-in is off.
        </p>
      </form>
    </div>
  );
}
