import { useState } from 'preact/hooks';
import type { Member } from '../../sdk/index.ts';
import { Avatar } from './avatar.tsx';
import { BanDialog } from './ban-dialog.tsx';
import { Modal } from './modal.tsx';
import { setBlocked } from './safety.ts';
import type { ChatStore } from './store.ts';

const ROLE_TEXT: Record<string, string> = {
  owner: 'Owner',
  admin: 'Admin',
  tutor: 'Tutor',
  student: 'Student',
  member: '',
  observer: 'Observer',
};

/** Who is in the channel: names, roles (observers marked), presence; block and (for moderators) ban. */
export function MembersPanel({
  store,
  channelId,
  onClose,
}: {
  store: ChatStore;
  channelId: string;
  onClose: () => void;
}) {
  const [banning, setBanning] = useState<Member>();
  const members = store.members.get(channelId) ?? [];
  const moderator = store.isModerator(channelId);
  const run = (p: Promise<unknown>) => void p.catch((e) => store.fail(e));
  if (banning) {
    return <BanDialog store={store} channelId={channelId} member={banning} onClose={() => setBanning(undefined)} />;
  }
  return (
    <Modal title="Members" onClose={onClose} testId="members">
      <ul class="member-list">
        {members.map((m) => {
          const me = m.user_id === store.me.userId;
          const name = store.users.name(m.user_id);
          const blocked = store.blocks.has(m.user_id);
          const online = store.isOnline(m.user_id);
          return (
            <li key={m.user_id} data-member={m.user_id}>
              <Avatar id={m.user_id} user={store.users.get(m.user_id)} online={online} size="sm" />
              <span class="member-name">
                {name}
                {me && ' (you)'}
                {name !== m.user_id && <span class="muted small"> @{m.user_id}</span>}
                <span class="sr-only">{online ? ', online' : ', offline'}</span>
              </span>
              {ROLE_TEXT[m.role] && <span class={`role-badge role-${m.role}`}>{ROLE_TEXT[m.role]}</span>}
              {blocked && <span class="role-badge blocked">Blocked</span>}
              {!me && (
                <button
                  type="button"
                  class="ghost small-btn"
                  aria-label={`${blocked ? 'Unblock' : 'Block'} ${name}`}
                  onClick={() => run(setBlocked(store, m.user_id, !blocked))}
                >
                  {blocked ? 'Unblock' : 'Block'}
                </button>
              )}
              {!me && moderator && m.role !== 'owner' && (
                <button
                  type="button"
                  class="ghost small-btn danger"
                  aria-label={`Ban ${name}`}
                  onClick={() => setBanning(m)}
                >
                  Ban
                </button>
              )}
            </li>
          );
        })}
      </ul>
      <p class="muted small">
        Blocking someone stops their direct messages and typing reaching you. They are not told.
      </p>
    </Modal>
  );
}
