import type { StreamEvent } from '../realtime/event.ts';
import type { CloseReason } from '../realtime/subscriber.ts';

export type { CloseReason };

/** The wire of one stream (SSE or WebSocket): framing, buffering, closing. */
export interface Transport {
  readonly kind: 'sse' | 'ws';
  /** Bytes written for the client and not yet handed to the kernel. */
  readonly buffered: number;
  /** Frames the event (serialised once, shared by every stream) and writes it. */
  send(ev: StreamEvent): void;
  /** Gathers the writes that follow into as few system calls as possible, until release(). */
  hold(): void;
  release(): void;
  /** Sets the client's resume point without an event (SSE `id:` block; WebSocket has none). */
  mark(pos: number): void;
  /** Ends the connection the way `reason` says; idempotent. */
  end(reason: CloseReason): void;
  /** Called once when the connection is gone, whoever closed it. */
  onClose(fn: () => void): void;
}
