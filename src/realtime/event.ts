/**
 * An event as it travels through a node. The JSON text is built once, from the log's jsonb text,
 * and the same bytes are written to every subscriber of every transport.
 */
export interface StreamEvent {
  type: string;
  channelId: string | null;
  /** Durable events only. */
  pos?: number;
  /** member_joined / member_left: the member concerned. */
  subjectUserId?: string | null;
  /** When set, only these users may receive it (mention, channel_created, presence). */
  targetUserIds?: string[] | null;
  /** The event's JSON text, as clients receive it (each transport frames it, once). */
  json: string;
}

export interface LogRow {
  pos: number;
  type: string;
  channel_id: string;
  subject_user_id: string | null;
  target_user_ids: string[] | null;
  data: string;
  ts: string;
}

export function fromLogRow(r: LogRow): StreamEvent {
  return {
    type: r.type,
    channelId: r.channel_id,
    pos: r.pos,
    subjectUserId: r.subject_user_id,
    targetUserIds: r.target_user_ids,
    // Built as text around the log's jsonb text (not parsed and serialised again); every other field
    // is quoted by JSON.stringify, so no value can break the JSON or a transport's framing.
    json: `{"type":${JSON.stringify(r.type)},"channel_id":${JSON.stringify(r.channel_id)},"data":${r.data},"pos":${Number(r.pos)},"ts":${JSON.stringify(r.ts)}}`,
  };
}

export function ephemeral(
  type: string,
  channelId: string | null,
  data: unknown,
  targetUserIds?: string[] | null,
): StreamEvent {
  return {
    type,
    channelId,
    targetUserIds: targetUserIds ?? null,
    json: JSON.stringify({ type, channel_id: channelId, data, ts: new Date().toISOString() }),
  };
}

/** What a `reset` event says: the resume point is older than the log keeps, so reload state. */
export const RESET_REASON = 'resume point is older than the kept history';

export const isMembershipEvent = (type: string) => type === 'member_joined' || type === 'member_left';
