import { useState } from 'preact/hooks';
import type { Member } from '../../sdk/index.ts';
import { Dialog } from './dialogs.tsx';
import { ban } from './safety.ts';
import type { ChatStore } from './store.ts';

const DURATIONS = [
  ['', 'For good'],
  ['3600', '1 hour'],
  ['86400', '1 day'],
  ['604800', '1 week'],
] as const;

/** A moderator bans a member: removed now, refused as a member until the expiry (or for good). */
export function BanDialog(props: { store: ChatStore; channelId: string; member: Member; onClose: () => void }) {
  const [duration, setDuration] = useState('');
  const [reason, setReason] = useState('');
  const name = props.store.users.name(props.member.user_id);
  return (
    <Dialog
      title={`Ban ${name}`}
      submit="Ban"
      onClose={props.onClose}
      onSubmit={async () => {
        const until = duration ? new Date(Date.now() + Number(duration) * 1000).toISOString() : undefined;
        await ban(props.store, props.channelId, props.member.user_id, {
          ...(until ? { until } : {}),
          ...(reason.trim() ? { reason: reason.trim() } : {}),
        });
        props.store.inform(`${name} is banned from this channel.`);
      }}
    >
      <p class="muted small">They leave the channel now and cannot be added back until the ban ends.</p>
      <label>
        How long
        <select name="duration" value={duration} onChange={(e) => setDuration(e.currentTarget.value)}>
          {DURATIONS.map(([v, text]) => (
            <option key={v} value={v}>
              {text}
            </option>
          ))}
        </select>
      </label>
      <label>
        Reason (optional)
        <input name="reason" value={reason} maxLength={1000} onInput={(e) => setReason(e.currentTarget.value)} />
      </label>
    </Dialog>
  );
}
