import type { Sql } from '../db/client.ts';
import { claimEndpoints, releaseEndpoints, removeEnvEndpoint, upsertEnvEndpoint } from '../db/webhooks.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { type DeliveryOptions, EndpointDelivery } from './delivery.ts';

/**
 * The node's share of webhook delivery. Endpoints are held by lease rows (webhook_endpoints.lease_*):
 * every node renews its own and takes unheld or expired ones three times per lease, so when the node
 * delivering to an endpoint dies another one continues from the durable cursor within one lease.
 * A lease row rather than a session advisory lock: it needs no connection held per endpoint, and
 * it fences the cursor writes themselves, so a node that was paused past its lease cannot move a
 * cursor another node now owns.
 */
export class WebhookWorker {
  private readonly runners = new Map<string, EndpointDelivery>();
  private timer: NodeJS.Timeout | undefined;
  private claiming = false;
  private stopped = false;

  constructor(
    private readonly sql: Sql,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly opts: DeliveryOptions & {
      leaseMs: number;
      /** PARLEY_WEBHOOK_URL + _SECRET: upserted at start; removed when unset. */
      envEndpoint: { url: string; secret: string } | undefined;
    },
    private readonly headPos: () => number,
  ) {}

  async start(): Promise<void> {
    const env = this.opts.envEndpoint;
    if (env) await upsertEnvEndpoint(this.sql, env.url, env.secret);
    else await removeEnvEndpoint(this.sql);
    await this.claim();
    this.timer = setInterval(() => void this.claim(), Math.max(100, Math.floor(this.opts.leaseMs / 3)));
    this.timer.unref();
  }

  /** The listener dispatched durable events: every endpoint held here reads the log. */
  wake(): void {
    for (const r of this.runners.values()) r.wake();
  }

  /** Claims now (an endpoint was just created): delivery starts without waiting for the timer. */
  async claim(): Promise<void> {
    if (this.claiming || this.stopped) return;
    this.claiming = true;
    try {
      const held = await claimEndpoints(this.sql, this.opts.nodeId, this.opts.leaseMs);
      if (this.stopped) return;
      const ids = new Set(held.map((e) => e.id));
      for (const ep of held) {
        const r = this.runners.get(ep.id);
        if (r) r.update(ep);
        else {
          this.log.info({ endpoint: ep.id }, 'webhooks: delivering to an endpoint');
          this.runners.set(
            ep.id,
            new EndpointDelivery(this.sql, this.metrics, this.log, this.opts, ep, this.headPos, (id) => this.drop(id)),
          );
        }
      }
      for (const id of [...this.runners.keys()]) if (!ids.has(id)) this.drop(id);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'webhooks: lease renewal failed');
    } finally {
      this.claiming = false;
    }
  }

  private drop(id: string): void {
    const r = this.runners.get(id);
    if (!r) return;
    r.stop();
    this.runners.delete(id);
    // Another node reports this endpoint now (or nobody: it was deleted).
    for (const m of [this.metrics.webhookLagEvents, this.metrics.webhookLagSeconds, this.metrics.webhookFailing]) {
      m.remove({ endpoint: id });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    const runners = [...this.runners.values()];
    for (const r of runners) r.stop();
    await Promise.all(runners.map((r) => r.done));
    this.runners.clear();
    await releaseEndpoints(this.sql, this.opts.nodeId).catch(() => {});
  }
}
