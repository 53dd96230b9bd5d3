import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { validatorCompiler } from '../contract/validation.ts';
import { auditServerKeys, authenticate } from './authenticate.ts';
import { registerCors } from './cors.ts';
import type { HttpDeps } from './deps.ts';
import { installErrorHandling, sendFrameworkError } from './errors.ts';
import { documentRoutes, swaggerOptions } from './openapi.ts';
import activityRoutes from './routes/activity.ts';
import attachmentRoutes from './routes/attachments.ts';
import channelRoutes from './routes/channels.ts';
import devRoutes from './routes/dev.ts';
import directRoutes from './routes/direct.ts';
import memberChangeRoutes from './routes/member-changes.ts';
import memberRoutes from './routes/members.ts';
import messageRoutes from './routes/messages.ts';
import opsRoutes from './routes/ops.ts';
import presenceRoutes from './routes/presence.ts';
import reactionRoutes from './routes/reactions.ts';
import safetyRoutes from './routes/safety.ts';
import searchRoutes from './routes/search.ts';
import serverChannelRoutes from './routes/server/channels.ts';
import serverModerationRoutes from './routes/server/moderation.ts';
import serverUserRoutes from './routes/server/users.ts';
import serverWebhookRoutes from './routes/server/webhooks.ts';
import streamRoutes from './routes/stream.ts';
import userRoutes from './routes/users.ts';
import webRoutes from './routes/web.ts';
import wsRoutes from './routes/ws.ts';

export async function buildApp(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.maxBodyBytes,
    // A public server cannot wait for ever on a peer: headers and whole requests have deadlines,
    // a connection that sends nothing is closed, and Node checks the deadlines every second.
    connectionTimeout: deps.config.idleTimeoutMs,
    keepAliveTimeout: deps.config.idleTimeoutMs,
    requestTimeout: deps.config.requestTimeoutMs,
    http: { headersTimeout: deps.config.headersTimeoutMs, connectionsCheckingInterval: 1_000 },
    trustProxy: true,
    frameworkErrors: sendFrameworkError,
    routerOptions: { maxParamLength: 500 },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Past this many connections the node closes new ones at once, before they cost a request.
  app.server.maxConnections = deps.config.maxConnections;
  app.setValidatorCompiler(validatorCompiler);
  installErrorHandling(app);

  await registerCors(app, deps.config);
  // Summaries, descriptions and examples of every route added from here on (src/http/openapi-operations.ts).
  documentRoutes(app);
  await app.register(swagger, swaggerOptions());
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(websocket, {
    options: { maxPayload: deps.config.wsMaxFrameBytes },
    // A client breaking the protocol (a frame over maxPayload, bad UTF-8, a bad opcode) is the
    // client's problem: one warning line, no stack. ws has already sent the close code (1009, 1007, …).
    errorHandler: (err, socket, req) => {
      const code = (err as { code?: string }).code;
      if (code?.startsWith('WS_ERR_'))
        req.log.warn({ code, reason: err.message }, 'websocket closed: client broke the protocol');
      else req.log.error({ err }, 'websocket failed');
      socket.terminate();
    },
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    if (route.startsWith('/api/v1/events') || route.startsWith('/api/v1/sse')) return;
    deps.metrics.requestDuration.labels(req.method, route, String(reply.statusCode)).observe(reply.elapsedTime / 1000);
  });

  await app.register(opsRoutes, { deps });
  await app.register(webRoutes, { deps });
  await app.register(devRoutes, { deps, prefix: '/api/v1' });
  await app.register(
    async (api) => {
      api.addHook('onRequest', authenticate(deps));
      api.addHook('onResponse', auditServerKeys(deps));
      // A route whose operation is rate limited says how much is left (IETF RateLimit headers).
      api.addHook('onSend', async (req, reply) => {
        const rate = req.actor ? deps.chat.limits.lastState(req.actor) : undefined;
        if (!rate) return;
        reply.header('RateLimit-Limit', String(rate.limit));
        reply.header('RateLimit-Remaining', String(rate.remaining));
        reply.header('RateLimit-Reset', String(rate.resetSeconds));
      });
      for (const routes of [
        userRoutes,
        channelRoutes,
        memberRoutes,
        memberChangeRoutes,
        directRoutes,
        messageRoutes,
        reactionRoutes,
        activityRoutes,
        presenceRoutes,
        streamRoutes,
        wsRoutes,
        safetyRoutes,
        searchRoutes,
        attachmentRoutes,
      ]) {
        await api.register(routes, { deps });
      }
      for (const routes of [serverUserRoutes, serverChannelRoutes, memberChangeRoutes, serverModerationRoutes]) {
        await api.register(routes, { deps, prefix: '/server' });
      }
      await api.register(serverWebhookRoutes, { deps, prefix: '/server' });
    },
    { prefix: '/api/v1' },
  );
  return app;
}
