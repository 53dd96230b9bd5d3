import { Type } from '@sinclair/typebox';
import { channelsOf } from '../../db/channels.ts';
import { invalid } from '../../errors.ts';
import { errors, UserId } from '../schemas/common.ts';
import { Channel } from '../schemas/resources.ts';
import type { Routes } from './types.ts';

const Body = Type.Object({ user_id: UserId }, { additionalProperties: false });

const routes: Routes = async (app, { deps }) => {
  const { sql } = deps;

  app.post(
    '/direct-messages',
    {
      schema: { tags: ['channels'], body: Body, response: { 200: Channel, 201: Channel, ...errors(400, 401) } },
    },
    async (req, reply) => {
      const other = req.body.user_id;
      if (other === req.user.id) throw invalid('body.user_id', 'A direct channel needs another user.');
      const [a, b] = [req.user.id, other].sort() as [string, string];
      const { id, created } = await sql.begin(async (tx) => {
        // Serialises concurrent calls for the same pair: exactly one creates, the others find it.
        await tx`SELECT pg_advisory_xact_lock(hashtextextended(${JSON.stringify(['direct', a, b])}, 0))`;
        const [existing] = await tx`SELECT channel_id FROM direct_messages WHERE user_a = ${a} AND user_b = ${b}`;
        if (existing) return { id: existing.channel_id as string, created: false };
        await tx`INSERT INTO users (id) VALUES (${other}) ON CONFLICT (id) DO NOTHING`;
        const [c] = await tx`INSERT INTO channels (type, created_by) VALUES ('direct', ${req.user.id}) RETURNING id`;
        await tx`
          INSERT INTO channel_members (channel_id, user_id, role)
          VALUES (${c!.id}, ${req.user.id}, 'member'), (${c!.id}, ${other}, 'member')`;
        await tx`INSERT INTO direct_messages (user_a, user_b, channel_id) VALUES (${a}, ${b}, ${c!.id})`;
        return { id: c!.id as string, created: true };
      });
      const [channel] = await channelsOf(sql, req.user.id, id);
      return reply.status(created ? 201 : 200).send(channel as never);
    },
  );
};

export default routes;
