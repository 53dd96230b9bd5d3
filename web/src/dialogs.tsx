import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { ChatStore } from './store.ts';

export function Dialog(props: {
  title: string;
  onClose: () => void;
  onSubmit: () => Promise<void>;
  children: ComponentChildren;
  submit: string;
}) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a click outside the dialog or Escape closes it
    <div
      class="overlay"
      onClick={(e) => {
        if (e.target === e.currentTarget) props.onClose();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          // Handled: the drawer and panels behind the dialog stay as they are.
          e.preventDefault();
          props.onClose();
        }
      }}
    >
      <form
        class="card dialog"
        role="dialog"
        aria-modal="true"
        aria-label={props.title}
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            await props.onSubmit();
            props.onClose();
          } catch (err) {
            setError((err as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        <h2>{props.title}</h2>
        {props.children}
        {error && <p class="form-error">{error}</p>}
        <div class="dialog-actions">
          <button type="button" class="ghost" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {props.submit}
          </button>
        </div>
      </form>
    </div>
  );
}

const splitIds = (s: string) =>
  s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);

export function NewChannelDialog({ store, onClose }: { store: ChatStore; onClose: () => void }) {
  const [type, setType] = useState<'group' | 'tutor_student'>('group');
  const [name, setName] = useState('');
  const [members, setMembers] = useState('');
  return (
    <Dialog
      title="New channel"
      submit="Create"
      onClose={onClose}
      onSubmit={async () => {
        const ids = splitIds(members).filter((id) => id !== store.me.userId);
        const c = await store.client.createChannel({
          type,
          name: name.trim() || undefined,
          members: ids.map((user_id) => ({ user_id })),
        });
        store.channels.set(c.id, c);
        await store.open(c.id);
      }}
    >
      <fieldset class="segmented">
        <legend>Kind</legend>
        <label class={type === 'group' ? 'on' : ''}>
          <input type="radio" name="type" checked={type === 'group'} onChange={() => setType('group')} />
          Group
        </label>
        <label class={type === 'tutor_student' ? 'on' : ''}>
          <input
            type="radio"
            name="type"
            checked={type === 'tutor_student'}
            onChange={() => setType('tutor_student')}
          />
          Tutor &amp; student
        </label>
      </fieldset>
      <label>
        Name
        <input
          name="name"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
          placeholder="e.g. design-team"
          maxLength={200}
          autoFocus
        />
      </label>
      <label>
        Members
        <input
          name="members"
          value={members}
          onInput={(e) => setMembers(e.currentTarget.value)}
          placeholder="user ids, separated by commas"
        />
        <span class="hint">
          {type === 'tutor_student'
            ? 'You join as the tutor; the people you add join as students.'
            : 'You are the owner.'}
        </span>
      </label>
    </Dialog>
  );
}

export function NewDirectDialog({ store, onClose }: { store: ChatStore; onClose: () => void }) {
  const [userId, setUserId] = useState('');
  return (
    <Dialog
      title="New direct message"
      submit="Start"
      onClose={onClose}
      onSubmit={async () => {
        const c = await store.client.directMessage(userId.trim());
        store.channels.set(c.id, { ...store.channels.get(c.id), ...c });
        await store.open(c.id);
      }}
    >
      <label>
        User id
        <input
          name="user_id"
          value={userId}
          onInput={(e) => setUserId(e.currentTarget.value)}
          placeholder="e.g. bob"
          required
          autoFocus
        />
      </label>
    </Dialog>
  );
}
