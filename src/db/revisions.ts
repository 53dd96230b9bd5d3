import type { TransactionSql } from 'postgres';

/** A transaction of Parley's pool. */
type Tx = TransactionSql<Record<string, unknown>>;

/** What a message said before an edit, a delete or an erasure: moderators and exports only. */
export interface Revision {
  id: string;
  message_id: string;
  channel_id: string;
  user_id: string | null;
  kind: 'edit' | 'delete' | 'erase';
  content: string;
  mentions: string[];
  message_created_at: string;
  recorded_at: string;
}

export const REVISION =
  'id::text AS id, message_id, channel_id, user_id, kind, content, mentions, ' +
  'parley_ts(message_created_at) AS message_created_at, parley_ts(recorded_at) AS recorded_at';

/**
 * Erasure of a user (inside its transaction): the revisions of their messages go too, except in
 * channels under legal hold, where the hold wins and the original text stays for moderators.
 * Marks the transaction so the trigger records the erased text as kind `erase`.
 */
export async function beginErasure(tx: Tx): Promise<void> {
  await tx`SELECT set_config('parley.erasing', 'on', true)`;
}

export async function eraseRevisionsOf(tx: Tx, userId: string): Promise<void> {
  await tx`
    DELETE FROM message_revisions r
     WHERE r.user_id = ${userId}
       AND NOT EXISTS (SELECT 1 FROM channel_holds h WHERE h.channel_id = r.channel_id)`;
}
