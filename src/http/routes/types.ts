import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpDeps } from '../deps.ts';

/** Every route module is a plugin that receives the node's dependencies. */
export type Routes = FastifyPluginAsyncTypebox<{ deps: HttpDeps }>;
