import { ApiError, invalid } from '../errors.ts';
import type { Actor } from './actor.ts';

/**
 * Every role rule of the contract, in one place. Each check takes the actor and what is known of
 * the channel, and throws the error the caller gets (403 `forbidden`, 400 for a request that can
 * never be right). The server acting as the platform passes every check of a user's role; the
 * rules that keep a channel well-formed (one tutor, direct channels fixed) hold for it too.
 */

export type Role = 'owner' | 'admin' | 'member' | 'tutor' | 'student' | 'observer';
export type ChannelType = 'group' | 'direct' | 'tutor_student';

/** The caller's place in a channel, as the checks need it (role '' for the server, a member of none). */
export interface Place {
  role: string;
  channelType: string;
  isArchived: boolean;
  isFrozen: boolean;
  slowModeSeconds: number;
}

/**
 * Roles that manage (moderate) a channel: rename, archive, freeze it, set slow mode, add, remove and
 * ban members, delete messages.
 */
export const canManage = (role: string): boolean => role === 'owner' || role === 'admin' || role === 'tutor';

/** Who answers for an observer (a parent, a safeguarding lead): the host, or the channel's owner or admin. */
const canSeatObservers = (role: string): boolean => role === 'owner' || role === 'admin';

const OBSERVERS_READ = 'Observers read everything of a channel and write nothing.';

const isServer = (actor: Actor) => actor.kind === 'server';

/** The server API's own operations (users, channels, system messages): a server key only. */
export function assertServer(actor: Actor): void {
  if (!isServer(actor)) throw new ApiError('forbidden', 'Only the server API (a server key) can do this.');
}

/** 404 when the channel does not exist, 403 when a user is not one of its members. */
export function assertMember(actor: Actor, channelFound: boolean, role: string | null): void {
  if (!channelFound) throw new ApiError('not_found', 'Channel not found.');
  if (!role && !isServer(actor)) throw new ApiError('forbidden', 'You are not a member of this channel.');
}

export function assertCanChangeChannel(actor: Actor, place: Place): void {
  if (isServer(actor) || canManage(place.role)) return;
  throw new ApiError('forbidden', "Only the channel's owner or an admin can change it.");
}

/** The creator's role and the role members get by default, by channel type. */
export function creationRoles(type: ChannelType): { creator: Role; member: Role } {
  return type === 'tutor_student' ? { creator: 'tutor', member: 'student' } : { creator: 'owner', member: 'member' };
}

/** A member named at creation by a user: the creator is the owner (the tutor), nobody else is. */
export function assertCreatedRole(type: ChannelType, role: string): void {
  if (role === 'owner') throw invalid('members', 'Only the creator is the owner of a new channel.');
  if (type === 'tutor_student' && role === 'tutor') {
    throw invalid('members', 'A tutor_student channel has one tutor: its creator.');
  }
}

/**
 * What every channel must be, whoever creates it: a direct channel is two members, a tutor_student
 * channel has exactly one tutor, and only a group has owners.
 */
export function assertChannelShape(type: ChannelType, members: { role: string }[]): void {
  if (type === 'direct' && members.length !== 2) throw invalid('members', 'A direct channel has exactly two members.');
  if (type === 'tutor_student' && members.filter((m) => m.role === 'tutor').length !== 1) {
    throw invalid('members', 'A tutor_student channel has exactly one tutor.');
  }
  if (type !== 'group' && members.some((m) => m.role === 'owner')) {
    throw invalid('members', `A ${type} channel has no owner.`);
  }
}

/** The role a new member gets, or the error. */
export function roleForAdded(actor: Actor, place: Place, requested: string | undefined): string {
  if (place.channelType === 'direct') throw new ApiError('forbidden', "A direct channel's members never change.");
  if (!isServer(actor) && !canManage(place.role)) {
    throw new ApiError('forbidden', "Only the channel's owner or an admin can add members.");
  }
  const role = requested ?? creationRoles(place.channelType as ChannelType).member;
  if (role === 'owner' && !isServer(actor) && place.role !== 'owner') {
    throw new ApiError('forbidden', 'Only the owner can add an owner.');
  }
  if (role === 'observer' && !isServer(actor) && !canSeatObservers(place.role)) {
    throw new ApiError('forbidden', 'Only the server API, the owner or an admin can add an observer.');
  }
  // A tutor_student channel has exactly one tutor; replacing them is the host's decision.
  if (role === 'tutor' && place.channelType === 'tutor_student' && !isServer(actor)) {
    throw new ApiError('forbidden', 'A tutor_student channel has one tutor; only the server API can replace them.');
  }
  return role;
}

/** Whether the actor may remove `target` (whose role is `targetRole`); throws if not. */
export function assertCanRemove(actor: Actor, place: Place, target: { self: boolean; role: string }): void {
  if (place.channelType === 'direct') throw new ApiError('forbidden', "A direct channel's members never change.");
  // Anyone may leave (the contract), the tutor too; nobody else takes a tutor out of a tutor_student
  // channel: which tutor teaches which student is the host's decision, made with the server API.
  if (isServer(actor) || target.self) return;
  if (place.channelType === 'tutor_student' && target.role === 'tutor') {
    throw new ApiError('forbidden', 'A tutor_student channel keeps its tutor; only the server API can replace them.');
  }
  // A tutor cannot send away the parent watching the lessons.
  if (target.role === 'observer' && !canSeatObservers(place.role)) {
    throw new ApiError('forbidden', 'Only the server API, the owner or an admin can remove an observer.');
  }
  if (!canManage(place.role)) {
    throw new ApiError('forbidden', "Only the channel's owner or an admin can remove other members.");
  }
  if (target.role === 'owner' && place.role !== 'owner') {
    throw new ApiError('forbidden', 'Only the owner can remove an owner.');
  }
}

/** Sending a message (and editing one): not archived, not an observer, not frozen unless a moderator. */
export function assertCanWrite(place: Place): void {
  if (place.isArchived) throw new ApiError('forbidden', 'The channel is archived.');
  if (place.role === 'observer') throw new ApiError('forbidden', OBSERVERS_READ);
  if (place.isFrozen && !canManage(place.role)) {
    throw new ApiError('forbidden', 'The channel is frozen: only its moderators can write.');
  }
}

/** Whether slow mode applies to this member (moderators are exempt). */
export const slowModeFor = (place: Place): number => (canManage(place.role) ? 0 : place.slowModeSeconds);

/** Reacting, typing, read receipts shown to others: not for observers. */
export function assertCanTakePart(place: Place): void {
  if (place.role === 'observer') throw new ApiError('forbidden', OBSERVERS_READ);
}

/** Banning is removing and keeping out: the same rules as removing, and never oneself. */
export function assertCanBan(actor: Actor, place: Place, target: { self: boolean; role: string }): void {
  if (target.self) throw invalid('user_id', 'You cannot ban yourself.');
  if (!isServer(actor) && !canManage(place.role)) {
    throw new ApiError('forbidden', "Only the channel's moderators (owner, admin, tutor) can ban.");
  }
  assertCanRemove(actor, place, target);
}

export function assertCanEdit(actor: Actor, authorId: string | null): void {
  if (actor.kind === 'user' && actor.userId === authorId) return;
  throw new ApiError('forbidden', 'Only the author can edit a message.');
}

export function assertCanDelete(actor: Actor, place: Place, authorId: string | null): void {
  if (isServer(actor) || (actor.kind === 'user' && actor.userId === authorId) || canManage(place.role)) return;
  throw new ApiError('forbidden', 'Only the author, the owner or an admin can delete a message.');
}

/** PARLEY_MEMBER_ADDS for a user adding others (the server adds anyone). `strangers`: those of them the adder shares no channel with. */
export function assertMayAdd(
  actor: Actor,
  policy: 'anyone' | 'shared_channel' | 'server',
  added: string[],
  strangers: string[],
): void {
  if (isServer(actor) || added.length === 0 || policy === 'anyone') return;
  if (policy === 'server') {
    throw new ApiError('forbidden', 'On this platform only the host adds members to channels.');
  }
  if (strangers.length) {
    throw new ApiError('forbidden', `You can only add people you already share a channel with ("${strangers[0]}").`);
  }
}

/** PARLEY_DIRECT_MESSAGES for a user opening a direct channel (the server opens any). */
export function assertMayMessageDirectly(
  actor: Actor,
  policy: 'anyone' | 'shared_channel' | 'none',
  facts: { blockedByOther: boolean; shareAChannel: boolean },
): void {
  if (isServer(actor)) return;
  if (policy === 'none') throw new ApiError('forbidden', 'Direct messages are off on this platform.');
  if (facts.blockedByOther) throw new ApiError('forbidden', 'This user does not take your messages.');
  if (policy === 'shared_channel' && !facts.shareAChannel) {
    throw new ApiError('forbidden', 'You can only message people you already share a channel with.');
  }
}
