import { parseArgs } from 'node:util';
import { secretFor } from './auth/secret.ts';
import { Auth } from './auth/tokens.ts';
import { loadConfig } from './config.ts';
import { isUserIdLength } from './contract/schemas.ts';
import { connect } from './db/client.ts';
import { EmbeddedPostgres } from './db/embedded.ts';
import { migrate } from './db/migrate.ts';
import { createServerKey, listServerKeys, revokeServerKey } from './db/server-keys.ts';
import { doctor } from './doctor.ts';
import { stopWithLauncher } from './launcher.ts';
import { serve } from './main.ts';

const USAGE = `Usage: parley <command>

  serve                              start the server (embedded PostgreSQL unless DATABASE_URL is set)
  migrate                            create or update tables, triggers and functions (idempotent)
  doctor                             check triggers, tables, the listener and end-to-end notification
  token <user_id> [--name N] [--ttl 1h]  print a signed user token (PARLEY_JWT_SECRET or the data dir's)
  keys create --name NAME            make a server key for the host's backend (printed once; only its hash is kept)
  keys list                          the server keys: id, name, created, last used, revoked
  keys revoke ID                     revoke a server key (refused everywhere within 5 s)
`;

/**
 * Runs fn against DATABASE_URL, or against the embedded server on PARLEY_DATA_DIR. The embedded
 * database belongs to Parley alone and `serve` migrates it on every start, so with `upToDate` it is
 * first brought to the same state: `doctor` then checks the schema `serve` would run on, instead of
 * failing on a data directory that was only just created.
 */
async function withDatabase<T>(fn: (url: string) => Promise<T>, upToDate = false): Promise<T> {
  const config = loadConfig();
  if (config.databaseUrl) return fn(config.databaseUrl);
  const embedded = new EmbeddedPostgres({ dataDir: config.dataDir });
  await embedded.start();
  try {
    if (upToDate) {
      const applied = await migrateUrl(embedded.url);
      if (applied.length) console.log(`embedded database: applied migrations ${applied.join(', ')}\n`);
    }
    return await fn(embedded.url);
  } finally {
    await embedded.stop();
  }
}

async function migrateUrl(url: string): Promise<number[]> {
  const sql = connect(url, { max: 1, applicationName: 'parley-migrate' });
  try {
    return await migrate(sql);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function keys(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { name: { type: 'string' } } });
  const [verb, id] = positionals;
  const withSql = <T>(fn: (sql: ReturnType<typeof connect>) => Promise<T>) =>
    withDatabase(async (url) => {
      const sql = connect(url, { max: 1, applicationName: 'parley-keys' });
      try {
        return await fn(sql);
      } catch (err) {
        if ((err as { code?: string }).code === '42P01') {
          throw new Error('this database has no Parley schema yet: run `parley migrate` first');
        }
        throw err;
      } finally {
        await sql.end({ timeout: 1 });
      }
    }, true);
  if (verb === 'create') {
    const name = values.name?.trim();
    if (!name || name.length > 200) {
      console.error('parley keys create: give the key a --name (1 to 200 characters), e.g. --name booking-service');
      return 2;
    }
    const key = await withSql((sql) => createServerKey(sql, name));
    console.log(
      `${key.key}\n\nServer key ${key.id} ("${name}"). It is shown only now: keep it in your backend's secrets.`,
    );
    return 0;
  }
  if (verb === 'list') {
    const list = await withSql(listServerKeys);
    if (list.length === 0) console.log('no server keys (make one with `parley keys create --name NAME`)');
    for (const k of list) {
      const state = k.revoked_at ? `revoked ${k.revoked_at}` : `last used ${k.last_used_at ?? 'never'}`;
      console.log(`${k.id}\t${k.name}\tcreated ${k.created_at}\t${state}`);
    }
    return 0;
  }
  if (verb === 'revoke' && id) {
    if (!(await withSql((sql) => revokeServerKey(sql, id)))) {
      console.error(`parley keys revoke: no server key ${id}`);
      return 1;
    }
    console.log(`revoked server key ${id}`);
    return 0;
  }
  console.error(`parley keys: create --name NAME | list | revoke ID\n\n${USAGE}`);
  return 2;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      // Installed before start-up, so a launcher signalled during initdb is noticed too.
      stopWithLauncher();
      await serve();
      return -1; // keeps running
    case 'migrate': {
      const applied = await withDatabase(migrateUrl);
      console.log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'schema is up to date');
      return 0;
    }
    case 'doctor': {
      const checks = await withDatabase(doctor, true);
      for (const c of checks) console.log(`[${c.ok ? 'PASS' : 'FAIL'}] ${c.name}: ${c.detail}`);
      const passed = checks.filter((c) => c.ok).length;
      console.log(`\nTotal: ${passed}/${checks.length} checks passed`);
      return passed === checks.length ? 0 : 1;
    }
    case 'token': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { name: { type: 'string' }, ttl: { type: 'string', default: '24h' } },
      });
      const userId = positionals[0];
      if (!userId || !isUserIdLength(userId)) {
        console.error('parley token: give a user id (1 to 128 characters)');
        return 2;
      }
      const config = loadConfig();
      const auth = new Auth(secretFor(config));
      console.log(await auth.sign(userId, values.name, values.ttl));
      return 0;
    }
    case 'keys':
      return keys(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`parley: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    console.error(`parley: ${(err as Error).message}`);
    process.exit(1);
  },
);
