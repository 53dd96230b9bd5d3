import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one node. A registry per app instance, so tests can run several in one process. */
export function createMetrics() {
  const registry = new Registry();
  // prom-client's default names already start with process_ or nodejs_; the prefix only adds ours
  // (parley_process_cpu_seconds_total, parley_nodejs_heap_size_used_bytes).
  collectDefaultMetrics({ register: registry, prefix: 'parley_' });
  return {
    registry,
    openStreams: new Gauge({
      name: 'parley_open_streams',
      help: 'Event streams open on this node',
      labelNames: ['transport'],
      registers: [registry],
    }),
    eventsDelivered: new Counter({
      name: 'parley_events_delivered_total',
      help: 'Events written to client streams (live, replayed and ephemeral)',
      registers: [registry],
    }),
    listenerReconnects: new Counter({
      name: 'parley_listener_reconnects_total',
      help: 'Times the LISTEN connection was re-established',
      registers: [registry],
    }),
    listenerUp: new Gauge({
      name: 'parley_listener_up',
      help: '1 while the LISTEN connection is listening and caught up',
      registers: [registry],
    }),
    listenerPos: new Gauge({
      name: 'parley_listener_pos',
      help: 'Last event log pos dispatched by this node',
      registers: [registry],
    }),
    notifiedEvents: new Counter({
      name: 'parley_listener_notified_events_total',
      help: 'Events dispatched straight from a notification, without reading the log',
      registers: [registry],
    }),
    unverifiedNotifications: new Counter({
      name: 'parley_listener_unverified_notifications_total',
      help: 'Notifications ignored because their signature did not verify (forged, corrupted, or another format)',
      labelNames: ['channel'],
      registers: [registry],
    }),
    replayedEvents: new Counter({
      name: 'parley_replayed_events_total',
      help: 'Events sent from the log to resuming streams',
      registers: [registry],
    }),
    slowConsumerCloses: new Counter({
      name: 'parley_slow_consumer_closes_total',
      help: 'Streams closed because their unsent bytes passed the limit',
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 'parley_http_request_duration_seconds',
      help: 'HTTP request durations',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    webhookLagEvents: new Gauge({
      name: 'parley_webhook_lag_events',
      help: 'Events in the log after the endpoint cursor (on the node delivering to it)',
      labelNames: ['endpoint'],
      registers: [registry],
    }),
    webhookLagSeconds: new Gauge({
      name: 'parley_webhook_lag_seconds',
      help: 'Age of the oldest event not yet acknowledged by the endpoint (on the node delivering to it)',
      labelNames: ['endpoint'],
      registers: [registry],
    }),
    webhookDeliveries: new Counter({
      name: 'parley_webhook_deliveries_total',
      help: 'Webhook events acknowledged with a 2xx',
      labelNames: ['endpoint'],
      registers: [registry],
    }),
    webhookFailures: new Counter({
      name: 'parley_webhook_failures_total',
      help: 'Webhook attempts that failed (non-2xx, timeout, connection refused)',
      labelNames: ['endpoint'],
      registers: [registry],
    }),
    webhookRetries: new Counter({
      name: 'parley_webhook_retries_total',
      help: 'Webhook attempts that were retries of an event already attempted',
      labelNames: ['endpoint'],
      registers: [registry],
    }),
    webhookSkipped: new Counter({
      name: 'parley_webhook_skipped_events_total',
      help: 'Log positions an endpoint could not get because retention pruned them first',
      labelNames: ['endpoint'],
      registers: [registry],
    }),
    webhookFailing: new Gauge({
      name: 'parley_webhook_failing',
      help: '1 while the endpoint is marked failing (it lost events to retention)',
      labelNames: ['endpoint'],
      registers: [registry],
    }),
    notificationsWritten: new Counter({
      name: 'parley_notifications_total',
      help: 'Offline notifications written to the log',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
