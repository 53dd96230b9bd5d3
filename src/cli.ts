import { parseArgs } from 'node:util';
import { secretFor } from './auth/secret.ts';
import { Auth } from './auth/tokens.ts';
import { loadConfig } from './config.ts';
import { isUserIdLength } from './contract/schemas.ts';
import { connect } from './db/client.ts';
import { EmbeddedPostgres } from './db/embedded.ts';
import { migrate } from './db/migrate.ts';
import { doctor } from './doctor.ts';
import { serve } from './main.ts';

const USAGE = `Usage: parley <command>

  serve                              start the server (embedded PostgreSQL unless DATABASE_URL is set)
  migrate                            create or update tables, triggers and functions (idempotent)
  doctor                             check triggers, tables, the listener and end-to-end notification
  token <user_id> [--name N] [--ttl 1h]  print a signed user token (PARLEY_JWT_SECRET or the data dir's)
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

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
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
