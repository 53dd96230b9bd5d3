import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { Routes } from './types.ts';

export const WEB_DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'web', 'dist');

/** The chat UI (built by `npm run build:web` into web/dist), served at `/`. */
const routes: Routes = async (app) => {
  if (!existsSync(join(WEB_DIST, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply
        .type('text/plain')
        .send('Parley is running. The web UI is not built: run `npm run build:web`. API docs: /docs'),
    );
    return;
  }
  await app.register(fastifyStatic, { root: WEB_DIST, prefix: '/', wildcard: false, index: ['index.html'] });
};

export default routes;
