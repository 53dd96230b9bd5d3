import type { Sql } from './client.ts';

/**
 * The key notifications are signed with (db/migrations/0010). Readable by Parley's role only: a
 * node connecting as a role that cannot read it could not tell its own notifications from forged
 * ones, so it refuses to start and says why.
 */
export async function notifyKey(sql: Sql): Promise<Uint8Array> {
  try {
    const [row] = await sql`SELECT key FROM parley_keys WHERE name = 'notify'`;
    if (!row) throw new Error('parley_keys has no notify key: run `parley migrate`');
    return new Uint8Array(row.key as Buffer);
  } catch (err) {
    if ((err as { code?: string }).code === '42501') {
      throw new Error(
        'this database role cannot read parley_keys; connect as the role that ran the migrations, ' +
          'or GRANT SELECT ON parley_keys to it (other programs writing the tables do not need it)',
      );
    }
    throw err;
  }
}
