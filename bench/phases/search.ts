import { parseQuery } from '../../src/chat/search-query.ts';
import type { Sql as AppSql } from '../../src/db/client.ts';
import { searchMessages } from '../../src/db/search.ts';
import type { Ctx } from '../lib/context.ts';
import { createGroup } from '../lib/fixtures.ts';
import type { Sql } from '../lib/pg.ts';
import { type Summary, summarize } from '../lib/stats.ts';

/**
 * search: GET /api/v1/search over `rows` messages (1,000,000; 100,000 with --quick) in 1,000
 * channels, one request at a time over keep-alive from a separate process, as 20 users who are each
 * a member of 10 channels (~10,000 messages each can find). Clock: request written → response body
 * read. The queries mix every kind the syntax has: a common, a middling and a rare word, two words,
 * a phrase taken from a stored message, -word, or, and Chinese words of 2 and 4 characters. The
 * same statement is also run straight against PostgreSQL, to split database time from HTTP/JSON.
 *
 * The write path's price of the index: inserts into two scratch copies of channel_messages with the
 * same indexes, one with search_tsv and its GIN index and one without, alternated in the same run:
 * a bulk INSERT … SELECT, and single-row autocommit INSERTs from 4 connections (the API's shape).
 * Neither copy has the event triggers, so the ratio is the index's cost alone.
 */
const CHANNELS = 1_000;
const SEARCHERS = 20;
const CHANNELS_PER_SEARCHER = 10;
const REQUESTS = 400;
const WARMUP = 40;
const GOAL_P99_MS = 50;

const COMMON = `the to and a of i you it is in that for we on this with be have are can your will at do so
not but all just what get if my me about up out from when time like know lesson today tomorrow homework
question class teacher student math book page week thanks ok good see yes no please help work test`.split(/\s+/);
const SYLLABLES =
  'ka lo mi ren tas vu bel dor fin gar hol jun kel mar nor pel quo ris sul tor ul ven wix yar zem'.split(' ');
const CJK = `数学 学习 老师 学生 作业 今天 明天 问题 考试 英语 语文 物理 化学 历史 地理 音乐 体育 美术 电脑 手机
朋友 家长 上课 下课 时间 星期 早上 晚上 复习 预习 练习 答案 题目 分数 成绩 进步 努力 加油 谢谢 再见
日本語 勉強 先生 宿題 授業 試験 質問 大丈夫 明日 今日`.split(/\s+/);

/** ~2,000 words: the common ones first, then made-up ones, so that a skewed pick gives a long tail. */
function vocabulary(): string[] {
  const words = [...COMMON];
  for (const a of SYLLABLES)
    for (const b of SYLLABLES)
      for (const c of ['', 'a', 'en', 'o']) {
        if (words.length >= 2_000) return words;
        words.push(`${a}${b}${c}`);
      }
  return words;
}

/**
 * Fills the channels round-robin by INSERT … SELECT generate_series in batches, triggers off (no
 * events for a million rows nobody streams). 1 in 20 messages is Chinese (words without spaces),
 * the rest 5–19 words picked with a skew towards the common ones (random()^3). The GIN index is
 * dropped for the load and built once after it (and that build is timed): a bulk load pays for
 * 1,000,000 index inserts otherwise.
 */
async function fill(sql: Sql, channels: string[], posters: string[], rows: number, words: string[]) {
  const t0 = performance.now();
  await sql`DROP INDEX IF EXISTS channel_messages_search_idx`;
  const batch = 100_000;
  for (let start = 0; start < rows; start += batch) {
    const end = Math.min(rows, start + batch) - 1;
    await sql.begin(async (tx) => {
      await tx`SET LOCAL session_replication_role = replica`;
      await tx`
        INSERT INTO channel_messages (channel_id, user_id, content, created_at)
        SELECT (${channels}::uuid[])[1 + g % ${channels.length}], (${posters}::text[])[1 + g % ${channels.length}],
               CASE WHEN g % 20 = 0 THEN
                 (SELECT string_agg((${CJK}::text[])[1 + floor(random() ^ 2 * ${CJK.length})::int], '')
                    FROM generate_series(1, 3 + g % 6) i)
               ELSE
                 (SELECT string_agg((${words}::text[])[1 + floor(random() ^ 3 * ${words.length})::int], ' ')
                    FROM generate_series(1, 5 + g % 15) i)
               END,
               now() - make_interval(secs => (${rows} - g) / 10.0)
          FROM generate_series(${start}::int, ${end}::int) AS g`;
    });
  }
  const loadMs = performance.now() - t0;
  const i0 = performance.now();
  await sql`CREATE INDEX channel_messages_search_idx ON channel_messages USING gin (search_tsv)`;
  const indexMs = performance.now() - i0;
  await sql`ANALYZE channel_messages`;
  return { loadMs, indexMs };
}

/** Users who are each a member of CHANNELS_PER_SEARCHER of the channels (spread, not overlapping). */
async function searchers(sql: Sql, channels: string[]): Promise<{ user: string; channels: string[] }[]> {
  const out = Array.from({ length: SEARCHERS }, (_, i) => ({
    user: `search-reader-${i}`,
    channels: Array.from({ length: CHANNELS_PER_SEARCHER }, (_, k) => channels[(i * 37 + k * 101) % channels.length]!),
  }));
  const users = out.map((s) => s.user);
  const chCol = out.flatMap((s) => s.channels);
  const userCol = out.flatMap((s) => s.channels.map(() => s.user));
  await sql`INSERT INTO users (id) SELECT unnest(${users}::text[]) ON CONFLICT (id) DO NOTHING`;
  await sql`
    INSERT INTO channel_members (channel_id, user_id, role)
    SELECT ch, u, 'member' FROM unnest(${chCol}::uuid[], ${userCol}::text[]) AS t (ch, u)`;
  return out;
}

interface Query {
  kind: string;
  q: string;
  user: string;
}

/** REQUESTS + WARMUP queries, kinds in turn, each as a searcher; phrases come from stored messages. */
async function queries(sql: Sql, words: string[], who: { user: string; channels: string[] }[]): Promise<Query[]> {
  let seed = 42;
  const rand = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const pick = <T>(a: T[], lo = 0, hi = a.length) => a[lo + Math.floor(rand() * (hi - lo))]!;
  const samples = await sql`
    SELECT content FROM channel_messages TABLESAMPLE SYSTEM (1) WHERE content ~ '^[a-z]+( [a-z]+)+$' LIMIT 400`;
  const cjkSamples = await sql`
    SELECT content FROM channel_messages TABLESAMPLE SYSTEM (2) WHERE content !~ '[a-z ]' AND char_length(content) >= 6 LIMIT 200`;
  const kinds: [string, () => string][] = [
    ['common word', () => pick(words, 0, 20)],
    ['middling word', () => pick(words, 100, 400)],
    ['rare word', () => pick(words, 1_500, 2_000)],
    ['two words', () => `${pick(words, 0, 60)} ${pick(words, 60, 600)}`],
    [
      'phrase',
      () => {
        const w = String(pick(samples).content).split(' ');
        const i = Math.floor(rand() * (w.length - 1));
        return `"${w[i]} ${w[i + 1]}"`;
      },
    ],
    ['-word', () => `${pick(words, 60, 600)} -${pick(words, 0, 20)}`],
    ['or', () => `${pick(words, 400, 1_500)} or ${pick(words, 400, 1_500)}`],
    ['chinese 2 chars', () => pick(CJK, 0, 45)],
    [
      'chinese 4 chars',
      () => {
        const c = String(pick(cjkSamples).content);
        const i = Math.floor(rand() * (c.length - 4));
        return c.slice(i, i + 4);
      },
    ],
  ];
  const out: Query[] = [];
  for (let i = 0; i < REQUESTS + WARMUP; i++) {
    const [kind, make] = kinds[i % kinds.length]!;
    out.push({ kind, q: make(), user: who[i % who.length]!.user });
  }
  return out;
}

/**
 * Insert rate into a scratch copy of channel_messages with and without search_tsv and its index,
 * alternated (A B A B) so that drift in the machine falls on both.
 */
async function writeCost(sql: Sql) {
  const setup = async () => {
    await sql`DROP TABLE IF EXISTS bench_search_with, bench_search_without`;
    await sql`CREATE TABLE bench_search_with (LIKE channel_messages INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING IDENTITY INCLUDING INDEXES)`;
    await sql`CREATE TABLE bench_search_without (LIKE channel_messages INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES)`;
    await sql`ALTER TABLE bench_search_without DROP COLUMN search_tsv`;
  };
  await setup();
  const [{ n: indexes }] = (await sql`
    SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'bench_search_with' AND indexdef LIKE '%gin%'`) as unknown as [
    { n: number },
  ];
  const bulkRows = 100_000;
  const bulk = async (table: string) => {
    const t0 = performance.now();
    await sql.unsafe(
      `INSERT INTO ${table} (channel_id, user_id, content)
       SELECT channel_id, user_id, content FROM channel_messages ORDER BY seq LIMIT ${bulkRows}`,
    );
    return bulkRows / ((performance.now() - t0) / 1000);
  };
  const singleRows = 2_000;
  const contents = (
    await sql`SELECT channel_id::text AS c, user_id AS u, content FROM channel_messages ORDER BY seq LIMIT ${singleRows}`
  ).map((r) => [r.c as string, r.u as string, r.content as string] as const);
  const single = async (table: string) => {
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < contents.length) {
          const [c, u, text] = contents[next++]!;
          await sql.unsafe(`INSERT INTO ${table} (channel_id, user_id, content) VALUES ($1, $2, $3)`, [c, u, text]);
        }
      }),
    );
    return contents.length / ((performance.now() - t0) / 1000);
  };
  const result = {
    bulk_with: [] as number[],
    bulk_without: [] as number[],
    single_with: [] as number[],
    single_without: [] as number[],
  };
  for (let round = 0; round < 2; round++) {
    result.bulk_without.push(await bulk('bench_search_without'));
    result.bulk_with.push(await bulk('bench_search_with'));
    result.single_without.push(await single('bench_search_without'));
    result.single_with.push(await single('bench_search_with'));
  }
  await sql`DROP TABLE bench_search_with, bench_search_without`;
  const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
  return {
    note: 'rows/s into scratch copies of channel_messages (same indexes, no triggers), with vs without search_tsv + GIN; alternated, 2 rounds each',
    gin_indexes_on_with: indexes,
    bulk_insert_select_rows: bulkRows,
    bulk_rows_per_s: { with_search: mean(result.bulk_with), without_search: mean(result.bulk_without) },
    bulk_ratio_with_over_without: mean(result.bulk_with) / mean(result.bulk_without),
    single_row_inserts: singleRows,
    single_connections: 4,
    single_rows_per_s: { with_search: mean(result.single_with), without_search: mean(result.single_without) },
    single_ratio_with_over_without: mean(result.single_with) / mean(result.single_without),
    rounds: result,
  };
}

export async function searchPhase(ctx: Ctx) {
  const { sql } = ctx;
  const rows = ctx.quick ? 100_000 : 1_000_000;
  const words = vocabulary();
  const g = await createGroup(sql, 'search', CHANNELS, 1);
  const who = await searchers(sql, g.channels);
  const { loadMs, indexMs } = await fill(sql, g.channels, g.posters, rows, words);
  ctx.log(`  ${rows} messages written in ${Math.round(loadMs)} ms; GIN index built in ${Math.round(indexMs)} ms`);
  await sql`CHECKPOINT`;
  const [size] = await sql`
    SELECT pg_relation_size('channel_messages_search_idx') AS gin_bytes, pg_relation_size('channel_messages') AS heap_bytes`;
  const list = await queries(sql, words, who);

  const server = await ctx.parley('parley-search', { env: { PARLEY_RATE_LIMITS: 'search=off' } });
  const client = ctx.node({ name: 'search-client', script: 'bench/load/poster.ts' });
  await client.call('init', { base: server.url, secret: ctx.secret, users: who.map((w) => w.user), sockets: 1 });
  const r = await client.call<{ ms: number[]; counts: number[]; errors: number; firstError: string }>(
    'gets',
    {
      requests: list.map((x) => ({ user: x.user, path: `/api/v1/search?q=${encodeURIComponent(x.q)}&limit=20` })),
      warmup: WARMUP,
    },
    600_000,
  );
  if (r.errors) ctx.warn(`search: ${r.errors} requests failed; first: ${r.firstError}`);
  const measured = list.slice(WARMUP);
  const latency = summarize(r.ms.filter((x) => !Number.isNaN(x)));
  const byKind: Record<string, { latency_ms: Summary; mean_results: number; example: string }> = {};
  for (const kind of new Set(measured.map((x) => x.kind))) {
    const idx = measured.flatMap((x, i) => (x.kind === kind ? [i] : []));
    byKind[kind] = {
      latency_ms: summarize(idx.map((i) => r.ms[i]!).filter((x) => !Number.isNaN(x))),
      mean_results: idx.reduce((s, i) => s + r.counts[i]!, 0) / idx.length,
      example: measured[idx[0]!]!.q,
    };
  }
  ctx.log(`  p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms (${r.errors} errors)`);

  // The endpoint's own statement (src/db/search.ts), straight on the database.
  const app = sql as unknown as AppSql;
  const dbMs: number[] = [];
  for (const x of measured.slice(0, 200)) {
    const t0 = performance.now();
    await searchMessages(app, { userId: x.user, groups: parseQuery(x.q).groups, limit: 21 });
    dbMs.push(performance.now() - t0);
  }
  // Where the slowest kind's time goes: its plan for one query.
  const common = measured.find((x) => x.kind === 'common word')!;
  const plan = await sql.unsafe(
    `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
     SELECT m.id, (ts_rank_cd(m.search_tsv, q.q, 1 | 32) * 1000000)::bigint AS score
       FROM (SELECT parley_search_term($1) AS q) q, channel_messages m
      WHERE m.search_tsv @@ q.q AND m.deleted_at IS NULL
        AND m.channel_id IN (SELECT channel_id FROM channel_members WHERE user_id = $2)
      ORDER BY score DESC, m.seq DESC LIMIT 21`,
    [common.q, common.user],
  );
  ctx.log('  write cost of the index…');
  const write = await writeCost(sql);
  ctx.log(
    `  inserts with/without the search index: bulk ${write.bulk_ratio_with_over_without.toFixed(2)}×, single-row ${write.single_ratio_with_over_without.toFixed(2)}×`,
  );
  return {
    p99_ms: latency.p99,
    p50_ms: latency.p50,
    goal_p99_ms: GOAL_P99_MS,
    goal_met: latency.p99 <= GOAL_P99_MS,
    rows,
    channels: CHANNELS,
    searchers: SEARCHERS,
    channels_per_searcher: CHANNELS_PER_SEARCHER,
    requests: latency.count,
    limit: 20,
    latency_ms: latency,
    by_kind: byKind,
    errors: r.errors,
    first_error: r.firstError || undefined,
    db_only_latency_ms: summarize(dbMs.slice(20)),
    common_word_plan: plan.map((x) => String(x['QUERY PLAN'])),
    fill_ms: loadMs,
    gin_build_ms: indexMs,
    gin_index_mb: Number(size!.gin_bytes) / 2 ** 20,
    heap_mb: Number(size!.heap_bytes) / 2 ** 20,
    write_cost: write,
  };
}
