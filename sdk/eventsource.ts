import { ParleyError } from './errors.ts';
import type { TransportFactory } from './transport.ts';

/** The subset of the browser's EventSource this transport uses. */
export interface EventSourceLike {
  onopen: ((ev: Event) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
  close(): void;
}

export type EventSourceConstructor = new (url: string | URL) => EventSourceLike;

/**
 * The event stream over the browser's own EventSource. It cannot send headers, so the token and
 * the resume point go in the query (`access_token`, `last_event_id`). EventSource would reconnect
 * by itself at a fixed interval; instead every error closes it and the stream reconnects with
 * backoff and jitter, resuming from the last id it saw.
 */
export function eventSourceTransport(
  EventSourceImpl: EventSourceConstructor,
  options: { path?: string } = {},
): TransportFactory {
  return (opts, handlers) => {
    const url = new URL(options.path ?? '/api/v1/events', opts.baseUrl);
    url.searchParams.set('access_token', opts.token);
    if (opts.lastEventId !== undefined) url.searchParams.set('last_event_id', String(opts.lastEventId));
    const es = new EventSourceImpl(url.toString());
    let closed = false;
    es.onopen = () => {
      if (!closed) handlers.onOpen();
    };
    es.onmessage = (ev) => {
      // lastEventId on each event also reveals id-only blocks that came before it.
      if (!closed) handlers.onMessage(String(ev.data), ev.lastEventId === '' ? undefined : ev.lastEventId);
    };
    es.onerror = () => {
      if (closed) return;
      closed = true;
      es.close();
      // EventSource does not say why (a 401 looks like a dropped network); the stream probes.
      handlers.onClose(new ParleyError('stream_error', 0, 'the event stream was interrupted'));
    };
    return {
      close: () => {
        closed = true;
        es.close();
      },
    };
  };
}
