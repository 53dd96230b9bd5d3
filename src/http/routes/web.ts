import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { Routes } from './types.ts';

export const WEB_DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'web', 'dist');

/** The chat UI (built by `npm run build:web` into web/dist), served at `/`. */
const routes: Routes = async (app, { deps }) => {
  // What the UI must know before anyone signs in: whether the demo sign-in exists (so the page
  // never offers a form the server refuses), and which host pages may hand it a token.
  app.get('/ui-config.json', { schema: { hide: true } }, async (_req, reply) =>
    reply.header('cache-control', 'no-store').send({
      dev_auth: deps.config.devAuth,
      embed_origins: deps.config.webEmbedOrigins,
    }),
  );
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
