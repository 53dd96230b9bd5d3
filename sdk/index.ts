/**
 * Parley's client SDK: typed REST calls and a resumable, deduplicated event stream.
 * No runtime dependencies; runs in browsers and in Node 20+.
 */
export {
  type CreateChannelInput,
  type HistoryOptions,
  newId,
  ParleyClient,
  type ParleyClientOptions,
  type SendMessageInput,
  type UpdateChannelInput,
} from './client.ts';
export { Emitter } from './emitter.ts';
export { ParleyError } from './errors.ts';
export { type EventSourceConstructor, type EventSourceLike, eventSourceTransport } from './eventsource.ts';
export { type FetchTransportOptions, fetchTransport, SseParser } from './sse.ts';
export { EventStream, type EventStreamOptions, type ReconnectOptions } from './stream.ts';
export type { Transport, TransportFactory, TransportHandlers, TransportOptions } from './transport.ts';
export type * from './types.ts';
export type { UploadOptions } from './upload.ts';
