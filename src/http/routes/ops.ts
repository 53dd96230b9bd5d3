import { Type } from '@sinclair/typebox';
import type { Routes } from './types.ts';

/** Unauthenticated operational endpoints. */
const routes: Routes = async (app, { deps }) => {
  app.get('/healthz', { schema: { tags: ['ops'], security: [] } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['ops'],
        security: [],
        response: {
          '2xx': Type.Object({
            status: Type.String(),
            database: Type.Boolean(),
            listener: Type.String(),
            pos: Type.Number(),
          }),
          '5xx': Type.Object({
            status: Type.String(),
            database: Type.Boolean(),
            listener: Type.String(),
            pos: Type.Number(),
          }),
        },
      },
    },
    async (_req, reply) => {
      let database = false;
      try {
        await Promise.race([
          deps.sql`SELECT 1`,
          new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2_000).unref()),
        ]);
        database = true;
      } catch {
        database = false;
      }
      const ready = database && deps.listener.ready && !deps.draining();
      const body = {
        status: ready ? 'ready' : deps.draining() ? 'draining' : 'not_ready',
        database,
        listener: deps.listener.ready ? 'listening' : deps.listener.state,
        pos: deps.listener.lastPos,
      };
      return reply.status(ready ? 200 : 503).send(body);
    },
  );

  app.get('/metrics', { schema: { tags: ['ops'], security: [], hide: true } }, async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
};

export default routes;
