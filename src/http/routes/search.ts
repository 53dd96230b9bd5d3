import { SearchInput, search } from '../../chat/search.ts';
import { SearchResult } from '../../contract/search.ts';
import { errors } from '../schemas.ts';
import type { Routes } from './types.ts';

const routes: Routes = async (app, { deps }) => {
  const { chat } = deps;

  app.get(
    '/search',
    {
      schema: {
        tags: ['messages'],
        querystring: SearchInput,
        response: { 200: SearchResult, ...errors(400, 401, 403, 404, 429) },
      },
    },
    (req) => search(chat, req.actor, req.query),
  );
};

export default routes;
