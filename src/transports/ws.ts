import type { WebSocket } from 'ws';
import { WS_CLOSE_CODES } from '../contract/constants.ts';
import type { StreamEvent } from '../realtime/event.ts';
import type { CloseReason, Transport } from './transport.ts';

/** Close codes a client can act on: 1012 reconnect elsewhere, 4001/4003 get a fresh token first. */
export const WS_CLOSE = {
  shutdown: [WS_CLOSE_CODES.shutdown, 'node shutting down, reconnect'],
  token_expired: [WS_CLOSE_CODES.tokenExpired, 'token_expired'],
  token_revoked: [WS_CLOSE_CODES.tokenRevoked, 'token_revoked'],
  unavailable: [1011, 'unavailable, retry'],
  closed: [1000, ''],
} as const satisfies Partial<Record<CloseReason, readonly [number, string]>>;

/**
 * One WebSocket: the same JSON objects as SSE (the event's text, built once, is sent as is), and the
 * acks of the client's ops. A ping every interval; a client that misses a pong is dropped.
 */
export class WsTransport implements Transport {
  readonly kind = 'ws';
  private ended = false;
  private alive = true;
  private readonly pinger: NodeJS.Timeout;

  constructor(
    private readonly socket: WebSocket,
    pingMs: number,
  ) {
    socket.on('pong', () => {
      this.alive = true;
    });
    this.pinger = setInterval(() => {
      if (!this.alive) return socket.terminate();
      this.alive = false;
      socket.ping();
    }, pingMs);
    this.pinger.unref();
    socket.once('close', () => clearInterval(this.pinger));
    socket.on('error', () => socket.terminate());
  }

  get buffered(): number {
    return this.socket.bufferedAmount;
  }

  send(ev: StreamEvent): void {
    this.text(ev.json);
  }

  text(text: string): void {
    if (this.ended) return;
    this.socket.send(text);
  }

  hold(): void {}
  release(): void {}
  mark(): void {}

  end(reason: CloseReason): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.pinger);
    if (reason === 'slow_consumer') {
      this.socket.terminate();
      return;
    }
    const [code, text] = WS_CLOSE[reason];
    this.socket.close(code, text);
  }

  onClose(fn: () => void): void {
    this.socket.once('close', fn);
  }
}
