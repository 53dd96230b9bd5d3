/**
 * Who is asking. Every domain operation takes one: a user acts with that user's permissions (also when
 * the host's backend calls on the user's behalf with a server key); the server itself acts as the
 * platform, with no user permission checks.
 */
export type Actor = UserActor | ServerActor;

export interface UserActor {
  readonly kind: 'user';
  readonly userId: string;
  readonly name: string | null;
  /** Set when a server key acts on the user's behalf (X-Parley-User): recorded, never limited. */
  readonly keyId?: string;
}

export interface ServerActor {
  readonly kind: 'server';
  readonly keyId: string;
}

export const asUser = (userId: string, name: string | null = null, keyId?: string): UserActor =>
  keyId ? { kind: 'user', userId, name, keyId } : { kind: 'user', userId, name };
