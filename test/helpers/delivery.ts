import type { Sql } from '../../src/db/client.ts';
import type { Received } from './sse.ts';

export interface DeliveryReport {
  expected: number;
  received: number;
  lost: number[];
  repeated: number[];
  outOfOrder: number;
  unexpected: number[];
}

/**
 * Compares what one user's stream(s) received with what the event log says they were entitled to,
 * for a test whose memberships do not change after `fromPos`. Written independently of the server's
 * routing code on purpose: it reads the log and membership straight from the database.
 */
export async function checkDelivery(
  sql: Sql,
  userId: string,
  fromPos: number,
  received: readonly Received[],
): Promise<DeliveryReport> {
  const rows = await sql`
    SELECT e.pos, e.type, e.target_user_ids FROM event_log e
     WHERE e.pos > ${fromPos}
       AND EXISTS (SELECT 1 FROM channel_members m WHERE m.channel_id = e.channel_id AND m.user_id = ${userId})
     ORDER BY e.pos`;
  const expected = rows
    .filter((r) => !r.target_user_ids || (r.target_user_ids as string[]).includes(userId))
    .map((r) => Number(r.pos));
  const got = received.filter((e) => e.pos !== undefined).map((e) => e.pos!);
  const seen = new Set<number>();
  const repeated: number[] = [];
  let outOfOrder = 0;
  for (let i = 0; i < got.length; i++) {
    if (seen.has(got[i]!)) repeated.push(got[i]!);
    seen.add(got[i]!);
    if (i > 0 && got[i]! <= got[i - 1]!) outOfOrder++;
  }
  const want = new Set(expected);
  return {
    expected: expected.length,
    received: got.length,
    lost: expected.filter((p) => !seen.has(p)),
    repeated,
    outOfOrder,
    unexpected: [...seen].filter((p) => !want.has(p)),
  };
}

/** Polls until fn() is true, failing with `what` after ms. */
export async function eventually(fn: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
