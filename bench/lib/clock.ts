/**
 * CLOCK_MONOTONIC in nanoseconds, as a Number. process.hrtime reads the system-wide monotonic clock,
 * so stamps taken in different processes on this machine are comparable: a poster stamps the send
 * time into the message and the receiving process subtracts it from its own stamp.
 */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every `everyMs` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
