import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { IdentityProviders } from './auth/idp.ts';
import { Revocations } from './auth/revocations.ts';
import { secretFor } from './auth/secret.ts';
import { ServerKeys } from './auth/server-keys.ts';
import { Auth } from './auth/tokens.ts';
import type { Chat } from './chat/context.ts';
import { RateLimiter } from './chat/limits.ts';
import { type Config, uploadsDirOf } from './config.ts';
import { blockedBy } from './db/blocks.ts';
import { connect, type Sql } from './db/client.ts';
import { DedicatedConnection } from './db/dedicated.ts';
import { EmbeddedPostgres } from './db/embedded.ts';
import { notifyKey } from './db/keys.ts';
import { MessageWriter } from './db/message-writer.ts';
import { migrate } from './db/migrate.ts';
import { Users } from './db/users.ts';
import { buildApp } from './http/app.ts';
import { createLogger, type Logger } from './log.ts';
import { createMetrics } from './metrics.ts';
import { EphemeralInbox, EphemeralPublisher } from './realtime/ephemeral.ts';
import { Hub } from './realtime/hub.ts';
import { EPHEMERAL_CHANNEL, Listener } from './realtime/listener.ts';
import { Presence } from './realtime/presence.ts';
import { Retention } from './realtime/retention.ts';
import { Typing } from './realtime/typing.ts';
import { createStore } from './storage/index.ts';
import { UploadSweeper } from './storage/sweeper.ts';
import { Streams } from './transports/session.ts';
import { Notifier } from './webhooks/notifier.ts';
import { WebhookWorker } from './webhooks/worker.ts';

export interface Parley {
  app: FastifyInstance;
  config: Config;
  sql: Sql;
  hub: Hub;
  streams: Streams;
  listener: Listener;
  retention: Retention;
  webhooks: WebhookWorker;
  notifier: Notifier;
  /** Abandoned uploads and files whose message is gone (tests call runOnce). */
  uploadSweeper: UploadSweeper;
  log: Logger;
  databaseUrl: string;
  embedded: EmbeddedPostgres | undefined;
  /** Base URL once listening, e.g. http://127.0.0.1:8080 */
  url: string;
  close(): Promise<void>;
}

/** Starts the database (embedded unless DATABASE_URL), migrations, listener, presence and HTTP. */
export async function startParley(config: Config, opts: { log?: Logger; listen?: boolean } = {}): Promise<Parley> {
  const log = opts.log ?? createLogger(config.logLevel);
  // Before anything starts: a setting that cannot work is said at once, with nothing to clean up.
  const secret = secretFor(config);
  const idp = new IdentityProviders(config.idp, log);
  if (idp.enabled) {
    const { jwksUrls, publicKeys, issuers, audiences } = config.idp;
    log.info({ jwksUrls, pemKeys: publicKeys.length, issuers, audiences }, 'identity-provider tokens accepted');
  }
  let embedded: EmbeddedPostgres | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    embedded = new EmbeddedPostgres({ dataDir: config.dataDir, log: (line) => log.debug({ pg: line }) });
    await embedded.start();
    databaseUrl = embedded.url;
    log.info({ dataDir: config.dataDir, port: embedded.port }, 'embedded PostgreSQL is running');
  }
  const sql = connect(databaseUrl, { max: 20, applicationName: `parley:${config.nodeId}`.slice(0, 63) });
  // Message sends have a connection of their own (see DedicatedConnection): ~5 ms less a send.
  const writerConn = new DedicatedConnection(
    databaseUrl,
    `parley:${config.nodeId}:writer`.slice(0, 63),
    config.writeTimeoutMs,
    (err) => log.warn({ err: (err as Error).message }, 'message writer: database connection lost; using a new one'),
  );
  let key: Uint8Array;
  try {
    await migrate(sql, (m) => log.info(m));
    key = await notifyKey(sql);
  } catch (err) {
    await sql.end({ timeout: 1 });
    await writerConn.end(1);
    await embedded?.stop();
    throw err;
  }
  if (config.devAuth) {
    log.warn('PARLEY_DEV_AUTH=1: POST /api/v1/dev/token lets anyone act as any user. Local demos only.');
  }

  const metrics = createMetrics();
  // A starting stream's replay waits for its socket above a quarter of the slow-consumer limit.
  const hub = new Hub(sql, metrics, { highWater: config.maxBufferedBytes / 4, stallMs: config.streamStallMs });
  const publisher = new EphemeralPublisher(sql, log, key);
  const inbox = new EphemeralInbox(key);
  const typing = new Typing(sql, publisher, hub);
  const presence = new Presence(sql, publisher, hub, log, {
    nodeId: config.nodeId,
    ttlMs: config.presenceTtlMs,
    heartbeatMs: config.heartbeatMs,
    graceMs: config.presenceGraceMs,
  });
  const listener = new Listener(databaseUrl, sql, hub, config.nodeId, log, metrics, key, (payload) => {
    const messages = inbox.open(payload);
    if (!messages) return metrics.unverifiedNotifications.labels(EPHEMERAL_CHANNEL).inc();
    for (const m of messages) {
      if (m.type === 'typing' && m.channel_id) {
        typing.receive(m.channel_id, String(m.data.user_id), m.data.is_typing === true);
      } else if (m.type === 'presence') {
        presence.receive(m.data as { user_id: string; online: boolean; last_seen_at: string | null }).catch(() => {});
      } else if (m.type === 'blocks') {
        // Some user's blocks changed: their streams here filter typing by the new list.
        const userId = String(m.data.user_id);
        const streams = hub.streamsOf(userId);
        if (streams.length) {
          blockedBy(sql, userId).then(
            (list) => {
              for (const s of streams) s.blocks = new Set(list);
            },
            (err) => log.warn({ err: (err as Error).message }, 'blocks: reload failed'),
          );
        }
      } else if (m.type === 'revoke') {
        revocations.heard().catch((err) => log.warn({ err: (err as Error).message }, 'revocations: refresh failed'));
      }
    }
  });
  const retention = new Retention(sql, log, config.eventRetentionMs);
  const webhooks = new WebhookWorker(
    sql,
    metrics,
    log,
    {
      nodeId: config.nodeId,
      timeoutMs: config.webhookTimeoutMs,
      retryMinMs: config.webhookRetryMinMs,
      retryMaxMs: config.webhookRetryMaxMs,
      pollMs: config.webhookPollMs,
      leaseMs: config.webhookLeaseMs,
      envEndpoint: config.webhook,
    },
    () => listener.lastPos,
  );
  hub.onDurable = () => webhooks.wake();
  const notifier = new Notifier(sql, log, metrics, {
    afterMs: config.notifyAfterMs,
    withContent: config.notificationContent,
    presenceTtlMs: config.presenceTtlMs,
  });
  const uploadsDir = uploadsDirOf(config);
  const store = createStore(config.storage, uploadsDir, sql);
  const stagingDir = join(uploadsDir, '.staging');
  const uploadSweeper = new UploadSweeper(sql, store, log, {
    ttlMs: config.uploadTtlMs,
    intervalMs: config.uploadSweepMs,
    stagingDir,
  });
  const limits = new RateLimiter(config.rateLimits);
  const revocations = new Revocations(
    sql,
    log,
    (userId, beforeMs) =>
      publisher.publish({ type: 'revoke', channel_id: null, data: { user_id: userId, before_ms: beforeMs } }),
    (userId, beforeMs) => streams.closeUser(userId, 'token_revoked', beforeMs),
  );
  const streams = new Streams(hub, presence, metrics, log, {
    nodeId: config.nodeId,
    maxBufferedBytes: config.maxBufferedBytes,
    maxStreamsPerUser: config.maxStreamsPerUser,
  });
  let draining = false;
  let app: FastifyInstance | undefined;
  let closing: Promise<void> | undefined;
  // One teardown for a normal shutdown and for a start that failed part-way (e.g. port in use), so
  // nothing started before the failure (pool, listener, timers, embedded server) is left running.
  const close = () => {
    closing ??= (async () => {
      draining = true;
      // Streams first: clients reconnect (through a load balancer, to another node) and resume.
      streams.closeAll('shutdown');
      await app?.close();
      typing.stop();
      retention.stop();
      notifier.stop();
      await webhooks.stop();
      await uploadSweeper.stop();
      limits.stop();
      revocations.stop();
      await presence.stop();
      await publisher.stop();
      await listener.stop();
      await writerConn.end(2);
      await sql.end({ timeout: 2 });
      await embedded?.stop();
    })();
    return closing;
  };
  let url = '';
  try {
    await listener.start();
    await presence.start();
    await revocations.start();
    retention.start();
    await webhooks.start();
    notifier.start();
    uploadSweeper.start();
    const users = new Users(sql);
    const chat: Chat = {
      sql,
      writer: new MessageWriter(writerConn),
      users,
      typing,
      limits,
      revocations,
      safety: {
        directMessages: config.directMessages,
        memberAdds: config.memberAdds,
        contactPolicy: config.contactPolicy,
        contactPhoneRegions: config.contactPhoneRegions,
      },
      blocksChanged: (userId) => publisher.publish({ type: 'blocks', channel_id: null, data: { user_id: userId } }),
      reactionLimits: { perUser: config.maxReactionsPerUser, perMessage: config.maxEmojiPerMessage },
      search: { maxTerms: config.searchMaxTerms, snippetChars: config.searchSnippetChars },
      presenceTtlMs: config.presenceTtlMs,
      webhooksChanged: () => void webhooks.claim(),
      uploads: {
        store,
        stagingDir,
        maxBytes: config.maxUploadBytes,
        maxPerMessage: config.maxAttachmentsPerMessage,
        thumbnailMaxPixels: config.thumbnailMaxPixels,
      },
      removeFiles: (keys) => store.remove(keys),
    };
    app = await buildApp({
      config,
      chat,
      auth: new Auth(secret, (userId, issuedAtMs) => revocations.isRevoked(userId, issuedAtMs), idp),
      keys: new ServerKeys(sql, config.serverKey),
      users,
      listener,
      streams,
      metrics,
      log,
      draining: () => draining,
    });
    // A reconnect storm (a deploy, a network blip) opens thousands of connections at once; Node's
    // default accept backlog of 511 overflows and the kernel drops SYNs that clients retry only after
    // 1 s, 3 s, ... The kernel caps this at net.core.somaxconn.
    if (opts.listen !== false) url = await app.listen({ host: config.host, port: config.port, backlog: 8192 });
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
  return {
    app,
    config,
    sql,
    hub,
    streams,
    listener,
    retention,
    webhooks,
    notifier,
    uploadSweeper,
    log,
    databaseUrl,
    embedded,
    url,
    close,
  };
}
