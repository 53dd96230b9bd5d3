/**
 * The write-throughput baselines, on the same PostgreSQL as Parley: 64 concurrent writers (a
 * postgres.js pool of 64), one INSERT per message, autocommit, into
 *   seed:  bench_seed.channel_messages, with the origin design's per-row trigger
 *          notify_message_change() that pg_notify()s the row as JSON to 'channel_messages' and to
 *          'channel_<id>' (and one LISTEN connection on 'channel_messages', as the origin's listener);
 *   plain: bench_plain.channel_messages, the same table with no trigger.
 */
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { nowMs, nowNs } from '../lib/clock.ts';
import { content } from '../lib/marker.ts';
import { summarize } from '../lib/stats.ts';
import { serveWorker } from '../lib/worker.ts';

const TABLE = (schema: string) => `
  CREATE SCHEMA IF NOT EXISTS ${schema};
  DROP TABLE IF EXISTS ${schema}.channel_messages CASCADE;
  CREATE TABLE ${schema}.channel_messages (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    channel_id uuid NOT NULL,
    user_id text NOT NULL,
    content text NOT NULL,
    parent_message_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    is_deleted boolean NOT NULL DEFAULT false
  );
  CREATE INDEX ON ${schema}.channel_messages (channel_id, created_at);`;

const SEED_TRIGGER = `
  CREATE OR REPLACE FUNCTION bench_seed.notify_message_change() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    payload text;
    r record;
  BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    payload := json_build_object(
      'type', CASE TG_OP WHEN 'INSERT' THEN 'new_message' WHEN 'UPDATE' THEN 'message_updated' ELSE 'message_deleted' END,
      'data', row_to_json(r))::text;
    PERFORM pg_notify('channel_messages', payload);
    PERFORM pg_notify('channel_' || r.channel_id::text, payload);
    RETURN r;
  END $$;
  CREATE TRIGGER channel_messages_notify AFTER INSERT OR UPDATE OR DELETE ON bench_seed.channel_messages
    FOR EACH ROW EXECUTE FUNCTION bench_seed.notify_message_change();`;

serveWorker({
  async run(p: {
    url: string;
    kind: 'seed' | 'plain';
    writers: number;
    channels: number;
    warmupMs: number;
    durationMs: number;
  }) {
    const schema = p.kind === 'seed' ? 'bench_seed' : 'bench_plain';
    const admin = postgres(p.url, { max: 1, onnotice: () => {} });
    await admin.unsafe(TABLE(schema) + (p.kind === 'seed' ? SEED_TRIGGER : ''));
    let notified = 0;
    let listener: postgres.Sql | undefined;
    if (p.kind === 'seed') {
      listener = postgres(p.url, { max: 1, onnotice: () => {} });
      await listener.listen('channel_messages', () => {
        notified++;
      });
    }
    const sql = postgres(p.url, {
      max: p.writers,
      onnotice: () => {},
      connection: { application_name: `bench-${schema}` },
    });
    // Open all 64 connections before the clock starts.
    await Promise.all(Array.from({ length: p.writers }, () => sql`SELECT 1`));
    const channels = Array.from({ length: p.channels }, () => randomUUID());
    const t0 = nowMs();
    const winStart = t0 + p.warmupMs;
    const winEnd = winStart + p.durationMs;
    let ok = 0;
    let errors = 0;
    let firstError = '';
    const lat: number[] = [];
    let seq = 0;
    const table = sql(`${schema}.channel_messages`);
    await Promise.all(
      Array.from({ length: p.writers }, async (_, w) => {
        const channel = channels[w % channels.length]!;
        while (nowMs() < winEnd) {
          const s = nowMs();
          let good = false;
          try {
            await sql`INSERT INTO ${table} (channel_id, user_id, content)
                      VALUES (${channel}, ${`writer-${w}`}, ${content('bl', seq++, nowNs())})`;
            good = true;
          } catch (err) {
            if (!firstError) firstError = (err as Error).message;
          }
          const e = nowMs();
          if (e >= winStart && e <= winEnd) {
            if (good) {
              ok++;
              lat.push(e - s);
            } else errors++;
          }
        }
      }),
    );
    await sql.end({ timeout: 2 });
    await listener?.end({ timeout: 1 });
    const [row] = await admin.unsafe(`SELECT count(*)::int AS n FROM ${schema}.channel_messages`);
    await admin.unsafe(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end({ timeout: 1 });
    return {
      kind: p.kind,
      ok,
      errors,
      firstError,
      rate: ok / (p.durationMs / 1000),
      latency: summarize(lat),
      rowsWritten: Number(row?.n ?? 0),
      notificationsReceived: notified,
    };
  },
});
