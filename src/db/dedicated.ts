import { isDatabaseUnavailable } from '../errors.ts';
import { connect, type Sql } from './client.ts';

/**
 * One connection kept for one hot statement, so PostgreSQL's plan for it and the trigger functions it
 * fires stay compiled in that backend. On a shared pool a statement run now and then lands on a
 * different connection each time and pays for planning and compiling again (~5 ms a message send).
 *
 * A call that fails because the database went away replaces the connection before the next call.
 * After a PostgreSQL restart, a single-connection postgres.js 3.4 client was once seen failing every
 * call with CONNECT_TIMEOUT, every ~5.5 s, while fresh connections to the same server worked (1 of 6
 * runs of test/faults/postgres-restart.test.ts; postgres.js has open reports of start-up reconnect
 * loops, porsager/postgres#1193). The failed call itself still fails: its caller answers 503 and the
 * client retries.
 *
 * A call the database does not answer within `timeoutMs` fails the same way (code QUERY_TIMEOUT), so
 * a connection that hangs (a half-open socket after a network fault, which TCP keepalive would only
 * notice after minutes) holds sends up for seconds, not for good. Closing it cancels the statement;
 * one that was already committing may still land, which a retry with the same client_id finds.
 */
export class DedicatedConnection {
  private current: Sql;
  private readonly retired = new Set<Promise<void>>();

  constructor(
    private readonly url: string,
    private readonly applicationName: string,
    private readonly timeoutMs: number,
    /** Told each time the connection is replaced, with the error that made it go. */
    private readonly onReplaced: (err: unknown) => void = () => {},
  ) {
    this.current = this.open();
  }

  async run<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    const sql = this.current;
    let timer: NodeJS.Timeout | undefined;
    try {
      const work = fn(sql);
      // Once timed out, the call's own failure (its connection is being closed) is nobody's news.
      work.catch(() => {});
      return await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(queryTimeout(this.timeoutMs)), this.timeoutMs);
        }),
      ]);
    } catch (err) {
      if (isDatabaseUnavailable(err) && this.current === sql) {
        this.current = this.open();
        const ending = sql.end({ timeout: 0 }).catch(() => {});
        this.retired.add(ending);
        void ending.finally(() => this.retired.delete(ending));
        this.onReplaced(err);
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async end(timeoutSeconds: number): Promise<void> {
    await Promise.all([this.current.end({ timeout: timeoutSeconds }), ...this.retired]);
  }

  private open(): Sql {
    return connect(this.url, { max: 1, keepIdle: true, applicationName: this.applicationName });
  }
}

function queryTimeout(ms: number): Error {
  return Object.assign(new Error(`the database did not answer within ${ms} ms`), { code: 'QUERY_TIMEOUT' });
}
