import { colorOf, initials } from './format.ts';
import type { UserInfo } from './users.ts';

/** A user's picture (if they have one on http(s)), else their initials on their colour. */
export function Avatar({ id, user, online, size }: { id: string; user?: UserInfo; online?: boolean; size?: 'sm' }) {
  const url = user?.avatar_url && /^https?:\/\//i.test(user.avatar_url) ? user.avatar_url : undefined;
  return (
    <span class={`avatar${size ? ` ${size}` : ''}`} style={{ background: colorOf(id) }} aria-hidden="true">
      {url ? <img src={url} alt="" referrerpolicy="no-referrer" /> : initials(user?.name || id)}
      {online !== undefined && <span class={`dot${online ? ' on' : ''}`} />}
    </span>
  );
}
