import { useEffect, useState } from 'preact/hooks';
import type { Channel } from '../../sdk/index.ts';
import { Modal } from './modal.tsx';
import { moderate } from './safety.ts';
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
  // The switch moves when clicked and follows the channel's state (ours once saved, or anyone's change).
  const [frozen, setFrozen] = useState(channel.is_frozen);
  useEffect(() => setFrozen(channel.is_frozen), [channel.is_frozen]);
  const [error, setError] = useState<string>();
  const apply = async (patch: { is_frozen?: boolean; slow_mode_seconds?: number }) => {
    setBusy(true);
    setError(undefined);
    try {
      await moderate(store, channel.id, patch);
    } catch (e) {
      setError((e as Error).message);
      setFrozen(channel.is_frozen);
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
          checked={frozen}
          onChange={(e) => {
            setFrozen(e.currentTarget.checked);
            void apply({ is_frozen: e.currentTarget.checked });
          }}
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
