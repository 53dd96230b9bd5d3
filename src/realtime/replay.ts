import type { Sql } from '../db/client.ts';
import { fromLogRow } from './event.ts';
import { memberEvents, readChannelsLog } from './log.ts';
import { applyDurable, type Subscriber } from './subscriber.ts';

const PAGE = 1000;

/**
 * Membership at the resume point, from membership at the head and the user's own joins and leaves
 * in between (undone newest first); also every channel the user was in at any point of the range.
 */
function membershipAt(
  channelsAtHead: string[],
  changes: { type: string; channel_id: string }[],
): { channels: Set<string>; everMember: Set<string> } {
  const channels = new Set(channelsAtHead);
  const everMember = new Set(channelsAtHead);
  for (let i = changes.length - 1; i >= 0; i--) {
    const c = changes[i]!;
    everMember.add(c.channel_id);
    if (c.type === 'member_joined') channels.delete(c.channel_id);
    else channels.add(c.channel_id);
  }
  return { channels, everMember };
}

/**
 * Sends `sub` every event in (from, head] it is entitled to, in pos order, judging entitlement by
 * membership at each event. Membership at `from` is rebuilt from membership at `head` by undoing
 * the user's own joins and leaves in between (walking the log backwards).
 * Returns the number of events sent.
 */
export async function replay(
  sql: Sql,
  sub: Subscriber,
  channelsAtHead: string[],
  from: number,
  head: number,
): Promise<number> {
  const changes = await memberEvents(sql, sub.userId, from, head);
  const { channels, everMember } = membershipAt(channelsAtHead, changes);
  sub.channels = channels;
  sub.lastPos = from;
  if (everMember.size === 0) {
    sub.lastPos = head;
    return 0;
  }
  let sent = 0;
  const ids = [...everMember];
  let after = from;
  for (;;) {
    const rows = await readChannelsLog(sql, ids, after, head, PAGE);
    for (const row of rows) {
      if (applyDurable(sub, fromLogRow(row))) sent++;
    }
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]!.pos;
  }
  sub.lastPos = head;
  return sent;
}
