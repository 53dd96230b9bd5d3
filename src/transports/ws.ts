import type { WebSocket } from 'ws';
import type { Metrics } from '../metrics.ts';
import type { StreamEvent } from '../realtime/event.ts';
import type { Subscriber } from '../realtime/subscriber.ts';

/**
 * One WebSocket stream: the same JSON objects as SSE (the event's text, built once, is sent as is).
 * Past `maxBuffered` unsent bytes the socket is closed (4008) and the client resumes.
 */
export class WsSubscriber implements Subscriber {
  channels = new Set<string>();
  lastPos = 0;
  closed = false;

  constructor(
    readonly userId: string,
    private readonly socket: WebSocket,
    private readonly maxBuffered: number,
    private readonly metrics: Metrics,
  ) {}

  send(ev: StreamEvent): boolean {
    return this.write(ev.json);
  }

  write(text: string): boolean {
    if (this.closed) return false;
    if (this.socket.bufferedAmount > this.maxBuffered) {
      this.metrics.slowConsumerCloses.inc();
      this.close('slow_consumer');
      return false;
    }
    this.socket.send(text);
    return true;
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (reason === 'shutdown') this.socket.close(1012, 'node shutting down, reconnect');
    else if (reason === 'slow_consumer') this.socket.terminate();
    else this.socket.close(1011, reason.slice(0, 100));
  }
}
