import { useState } from 'preact/hooks';
import type { Message } from '../../sdk/index.ts';
import { Dialog } from './dialogs.tsx';
import { report } from './safety.ts';
import type { ChatStore } from './store.ts';

/** Report a message to the platform's moderators, with a reason they read. */
export function ReportDialog(props: { store: ChatStore; message: Message; author: string; onClose: () => void }) {
  const [reason, setReason] = useState('');
  return (
    <Dialog
      title="Report message"
      submit="Report"
      onClose={props.onClose}
      onSubmit={async () => {
        if (!reason.trim()) throw new Error('Say what is wrong with this message.');
        await report(props.store, props.message, reason.trim());
        props.store.inform('Report sent. The moderators will review this message.');
      }}
    >
      <p class="muted small">
        A message from {props.author}. Your report goes to the platform's moderators; {props.author} is not told who
        reported it.
      </p>
      <label>
        Reason
        <textarea
          name="reason"
          value={reason}
          maxLength={2000}
          rows={3}
          onInput={(e) => setReason(e.currentTarget.value)}
          autoFocus
        />
      </label>
    </Dialog>
  );
}
