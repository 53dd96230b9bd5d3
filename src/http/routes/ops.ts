import { Type } from '@sinclair/typebox';
import { loadMigrations } from '../../db/migrate.ts';
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
  // The versions this code needs. A newer node may have applied more; that does not make us unready.
  const versions = loadMigrations().map((m) => m.version);

  app.get('/healthz', { schema: { tags: ['ops'], security: [] } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    { schema: { tags: ['ops'], security: [], response: { '2xx': Readiness, '5xx': Readiness } } },
    async (_req, reply) => {
      let database = false;
      let migrations = false;
      try {
        // One round trip answers both "is the database up" and "is our schema there".
        const [row] = (await Promise.race([
          deps.sql`SELECT count(*)::int AS n FROM parley_migrations WHERE version = ANY(${versions})`,
          new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2_000).unref()),
        ])) as { n: number }[];
        database = true;
        migrations = row?.n === versions.length;
      } catch (err) {
        // undefined_table: the database answers, but nobody has migrated it.
        database = (err as { code?: string }).code === '42P01';
      }
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
