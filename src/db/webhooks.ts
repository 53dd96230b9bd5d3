import type { Sql } from './client.ts';

/** What the server API shows of an endpoint (never its secret after creation). */
export interface WebhookEndpoint {
  id: string;
  url: string;
  events: string[];
  source: 'api' | 'env';
  created_at: string;
  cursor: number;
  lag_events: number;
  lag_seconds: number;
  attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  last_success_at: string | null;
  failing: boolean;
  failing_since: string | null;
  skipped_events: number;
  delivering_node: string | null;
}

/** What the delivering node needs of an endpoint it holds. */
export interface HeldEndpoint {
  id: string;
  url: string;
  /** null: every event. */
  events: string[] | null;
  secret: string;
  cursor: number;
  attempts: number;
  /** ms since the epoch; null when no retry is pending. */
  nextAttemptAt: number | null;
}

const head = (sql: Sql) => sql`(SELECT coalesce(max(pos), 0) FROM event_log)`;

export async function insertEndpoint(
  sql: Sql,
  e: { url: string; events: string[] | null; secret: string },
): Promise<{ id: string; created_at: string }> {
  // Delivered from now on: the cursor starts at the log's head.
  const [row] = await sql`
    INSERT INTO webhook_endpoints (url, events, secret, cursor_pos)
    VALUES (${e.url}, ${e.events}, ${e.secret}, ${head(sql)})
    RETURNING id, parley_ts(created_at) AS created_at`;
  return row as unknown as { id: string; created_at: string };
}

export async function listEndpoints(sql: Sql): Promise<WebhookEndpoint[]> {
  const rows = await sql`
    SELECT w.id, w.url, coalesce(w.events, ARRAY['*']) AS events, w.source, parley_ts(w.created_at) AS created_at,
           w.cursor_pos AS cursor, greatest(h.pos - w.cursor_pos, 0) AS lag_events,
           coalesce(extract(epoch FROM now() - (SELECT e.created_at FROM event_log e WHERE e.pos > w.cursor_pos
                                                  ORDER BY e.pos LIMIT 1)), 0)::float8 AS lag_seconds,
           w.attempts, parley_ts(w.next_attempt_at) AS next_attempt_at, parley_ts(w.last_attempt_at) AS last_attempt_at,
           w.last_status, w.last_error, parley_ts(w.last_success_at) AS last_success_at, w.failing,
           parley_ts(w.failing_since) AS failing_since, w.skipped_events,
           CASE WHEN w.lease_until > now() THEN w.lease_owner END AS delivering_node
      FROM webhook_endpoints w CROSS JOIN (SELECT coalesce(max(pos), 0) AS pos FROM event_log) h
     ORDER BY w.created_at, w.id`;
  return rows.map((r) => ({
    ...(r as unknown as WebhookEndpoint),
    cursor: Number(r.cursor),
    lag_events: Number(r.lag_events),
    lag_seconds: Math.max(0, Number(r.lag_seconds)),
    skipped_events: Number(r.skipped_events),
  }));
}

export async function deleteEndpoint(sql: Sql, id: string): Promise<boolean> {
  return (await sql`DELETE FROM webhook_endpoints WHERE id = ${id} RETURNING id`).length > 0;
}

/** The endpoint of PARLEY_WEBHOOK_URL: its url and secret follow the setting, its cursor is kept. */
export async function upsertEnvEndpoint(sql: Sql, url: string, secret: string): Promise<void> {
  await sql`
    INSERT INTO webhook_endpoints (url, secret, source, cursor_pos) VALUES (${url}, ${secret}, 'env', ${head(sql)})
    ON CONFLICT (source) WHERE source = 'env' DO UPDATE SET url = EXCLUDED.url, secret = EXCLUDED.secret`;
}

export async function removeEnvEndpoint(sql: Sql): Promise<void> {
  await sql`DELETE FROM webhook_endpoints WHERE source = 'env'`;
}

/**
 * Renews this node's leases and takes the endpoints nobody holds (never held, released, or held by a
 * node that stopped renewing); returns every endpoint this node now holds.
 */
export async function claimEndpoints(sql: Sql, owner: string, leaseMs: number): Promise<HeldEndpoint[]> {
  const rows = await sql`
    UPDATE webhook_endpoints SET lease_owner = ${owner}, lease_until = now() + ${`${leaseMs} milliseconds`}::interval
     WHERE lease_owner = ${owner} OR lease_until IS NULL OR lease_until < now()
    RETURNING id, url, events, secret, cursor_pos, attempts,
              (extract(epoch FROM next_attempt_at) * 1000)::float8 AS next_at`;
  return rows.map((r) => ({
    id: r.id as string,
    url: r.url as string,
    events: (r.events as string[] | null) ?? null,
    secret: r.secret as string,
    cursor: Number(r.cursor_pos),
    attempts: Number(r.attempts),
    nextAttemptAt: r.next_at === null ? null : Number(r.next_at),
  }));
}

/** On shutdown: another node may take these over at once instead of after the lease. */
export async function releaseEndpoints(sql: Sql, owner: string): Promise<void> {
  await sql`UPDATE webhook_endpoints SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ${owner}`;
}

// Every write below is fenced by the lease: a node that lost it (paused, cut off) changes nothing and
// learns from the false it gets that it must stop.

/** Acknowledged: the cursor moves to pos, the attempt state is cleared, the endpoint is healthy again. */
export async function ackDelivery(sql: Sql, id: string, owner: string, pos: number, status: number): Promise<boolean> {
  const rows = await sql`
    UPDATE webhook_endpoints
       SET cursor_pos = greatest(cursor_pos, ${pos}), attempts = 0, next_attempt_at = NULL, last_status = ${status},
           last_error = NULL, last_attempt_at = now(), last_success_at = now(), failing = false, failing_since = NULL
     WHERE id = ${id} AND lease_owner = ${owner} RETURNING id`;
  return rows.length > 0;
}

/** Events the endpoint does not want: the cursor passes them without an attempt. */
export async function skipFiltered(sql: Sql, id: string, owner: string, pos: number): Promise<boolean> {
  const rows = await sql`
    UPDATE webhook_endpoints SET cursor_pos = greatest(cursor_pos, ${pos})
     WHERE id = ${id} AND lease_owner = ${owner} RETURNING id`;
  return rows.length > 0;
}

export async function recordFailure(
  sql: Sql,
  id: string,
  owner: string,
  f: { attempts: number; retryInMs: number; status: number | null; error: string },
): Promise<boolean> {
  const rows = await sql`
    UPDATE webhook_endpoints
       SET attempts = ${f.attempts}, next_attempt_at = now() + ${`${f.retryInMs} milliseconds`}::interval,
           last_attempt_at = now(), last_status = ${f.status}, last_error = ${f.error.slice(0, 500)}
     WHERE id = ${id} AND lease_owner = ${owner} RETURNING id`;
  return rows.length > 0;
}

/**
 * The log no longer holds the events after the cursor: they cannot be delivered. The endpoint is
 * marked failing and its cursor skips to what the log still has.
 */
export async function skipPruned(sql: Sql, id: string, owner: string, prunedThrough: number): Promise<boolean> {
  const rows = await sql`
    UPDATE webhook_endpoints
       SET skipped_events = skipped_events + (${prunedThrough} - cursor_pos), cursor_pos = ${prunedThrough},
           failing = true, failing_since = coalesce(failing_since, now()), attempts = 0, next_attempt_at = NULL
     WHERE id = ${id} AND lease_owner = ${owner} AND cursor_pos < ${prunedThrough} RETURNING id`;
  return rows.length > 0;
}

export async function prunedThrough(sql: Sql): Promise<number> {
  const [row] = await sql`SELECT value FROM parley_state WHERE key = 'pruned_through'`;
  return row ? Number(row.value) : 0;
}
