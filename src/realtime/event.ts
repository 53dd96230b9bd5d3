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
  /** The event's JSON text, as clients receive it. */
  json: string;
  sse?: Buffer;
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
    json: `{"type":${JSON.stringify(r.type)},"channel_id":"${r.channel_id}","data":${r.data},"pos":${r.pos},"ts":"${r.ts}"}`,
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

/** SSE framing (WHATWG): one `data:` line (JSON has no raw newlines), `id:` for durable events. */
export function sseFrame(ev: StreamEvent): Buffer {
  if (!ev.sse) {
    ev.sse = Buffer.from(ev.pos !== undefined ? `id: ${ev.pos}\ndata: ${ev.json}\n\n` : `data: ${ev.json}\n\n`);
  }
  return ev.sse;
}

/** What a `reset` event says: the resume point is older than the log keeps, so reload state. */
export const RESET_REASON = 'resume point is older than the kept history';

export const isMembershipEvent = (type: string) => type === 'member_joined' || type === 'member_left';
