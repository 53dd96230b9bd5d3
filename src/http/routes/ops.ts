import { Type } from '@sinclair/typebox';
import { schemaStatus } from '../../db/migrate.ts';
import type { Routes } from './types.ts';

const Readiness = Type.Object({
  status: Type.String(),
  node_id: Type.String(),
  database: Type.Boolean(),
  migrations: Type.Boolean(),
  listener: Type.String(),
  pos: Type.Number(),
});

/** Unauthenticated operational endpoints. */
const routes: Routes = async (app, { deps }) => {
  app.get('/healthz', { schema: { tags: ['ops'], security: [] } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    { schema: { tags: ['ops'], security: [], response: { '2xx': Readiness, '5xx': Readiness } } },
    async (_req, reply) => {
      const { database, migrations } = await schemaStatus(deps.chat.sql);
      const ready = database && migrations && deps.listener.ready && !deps.draining();
      const body = {
        status: ready ? 'ready' : deps.draining() ? 'draining' : 'not_ready',
        node_id: deps.config.nodeId,
        database,
        migrations,
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
