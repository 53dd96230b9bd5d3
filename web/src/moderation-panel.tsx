import { useState } from 'preact/hooks';
import type { Channel } from '../../sdk/index.ts';
import { Modal } from './modal.tsx';
import type { ChatStore } from './store.ts';

/** The channel's moderation (owner, admin, tutor): freeze it, slow it down. Bans are in the members list. */
export function ModerationPanel({
  store,
  channel,
  onClose,
}: {
  store: ChatStore;
  channel: Channel;
  onClose: () => void;
}) {
  const [slow, setSlow] = useState(String(channel.slow_mode_seconds ?? 0));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const apply = async (patch: { is_frozen?: boolean; slow_mode_seconds?: number }) => {
    setBusy(true);
    setError(undefined);
    try {
      await store.moderate(channel.id, patch);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const seconds = Number(slow);
  const validSlow = Number.isInteger(seconds) && seconds >= 0 && seconds <= 86_400;
  return (
    <Modal title="Moderation" onClose={onClose} testId="moderation">
      <label class="switch-row">
        <input
          type="checkbox"
          name="frozen"
          checked={channel.is_frozen}
          disabled={busy}
          onChange={(e) => void apply({ is_frozen: e.currentTarget.checked })}
        />
        <span>
          Freeze the channel
          <span class="hint">Only moderators can write while it is frozen.</span>
        </span>
      </label>
      <form
        class="slow-row"
        onSubmit={(e) => {
          e.preventDefault();
          if (validSlow) void apply({ slow_mode_seconds: seconds });
        }}
      >
        <label>
          Slow mode (seconds between messages; 0 is off)
          <input
            type="number"
            name="slow_mode_seconds"
            min={0}
            max={86400}
            value={slow}
            onInput={(e) => setSlow(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="primary small-btn" disabled={busy || !validSlow}>
          Set slow mode
        </button>
      </form>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <p role="status" class="muted small">
        {channel.is_frozen ? 'Frozen.' : 'Open.'}{' '}
        {channel.slow_mode_seconds ? `Slow mode: ${channel.slow_mode_seconds} s.` : 'Slow mode off.'}
      </p>
    </Modal>
  );
}
