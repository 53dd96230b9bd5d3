import type { Revocations } from '../auth/revocations.ts';
import type { Sql } from '../db/client.ts';
import type { MessageWriter } from '../db/message-writer.ts';
import type { ReactionLimits } from '../db/reactions.ts';
import type { Users } from '../db/users.ts';
import type { Typing } from '../realtime/typing.ts';
import type { Uploads } from './attachments.ts';
import type { ContactPolicy } from './contact.ts';
import type { RateLimiter } from './limits.ts';

/**
 * What the domain operations need of the node: the database, the message writer, typing. REST routes,
 * WebSocket ops and the server API hand the same object to the same functions.
 */
export interface Chat {
  readonly sql: Sql;
  readonly writer: MessageWriter;
  readonly users: Users;
  readonly typing: Typing;
  /** The platform's safety settings (PARLEY_DIRECT_MESSAGES, _MEMBER_ADDS, _CONTACT_POLICY, …). */
  readonly safety: {
    readonly directMessages: 'anyone' | 'shared_channel' | 'none';
    readonly memberAdds: 'anyone' | 'shared_channel' | 'server';
    readonly contactPolicy: ContactPolicy;
    readonly contactPhoneRegions: readonly string[];
  };
  /** Tells every node a user's blocks changed (their typing filters reload). */
  readonly blocksChanged: (userId: string) => Promise<void>;
  /** Per user and operation, for REST and WebSocket alike. */
  readonly limits: RateLimiter;
  /** Token revocation, on every node. */
  readonly revocations: Revocations;
  readonly reactionLimits: ReactionLimits;
  /** Deletes stored files by storage key (attachments), when a user is erased. */
  readonly removeFiles?: (storageKeys: string[]) => Promise<void>;
  /** A node that stops heartbeating has its users counted offline after this. */
  readonly presenceTtlMs: number;
  /** Search: terms one query may hold; the length of a result's snippet (UTF-16 code units). */
  readonly search: { readonly maxTerms: number; readonly snippetChars: number };
  /** Tells this node's webhook delivery that endpoints changed (it claims them at once). */
  readonly webhooksChanged?: () => void;
  /** Attachments: the store of their bytes and the upload limits. */
  readonly uploads: Uploads;
}
