/**
 * A transport carries the server's event stream to the client. The stream (stream.ts) owns
 * reconnection, backoff, resume and dedupe; a transport is one connection and nothing more, so a
 * WebSocket transport can be added beside the SSE ones without touching that logic.
 */

export interface TransportOptions {
  /** Server origin, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  token: string;
  /** Resume point: the server replays every durable event after it. */
  lastEventId?: number;
}

export interface TransportHandlers {
  /** The connection is established (HTTP 200 / socket open). */
  onOpen(): void;
  /** One event's JSON text, and the frame's event id if the transport knows it. */
  onMessage(json: string, lastEventId: string | undefined): void;
  /** The resume point moved without an event (an SSE block with `id:` and no data). */
  onId(id: string): void;
  /** The connection ended. A `ParleyError` with status 401/403 is fatal; anything else is retried. */
  onClose(error?: Error): void;
}

export interface Transport {
  /** Ends the connection. No handler is called after this. */
  close(): void;
}

export type TransportFactory = (options: TransportOptions, handlers: TransportHandlers) => Transport;
