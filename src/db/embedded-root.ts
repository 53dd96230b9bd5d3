/**
 * Running the embedded PostgreSQL when we are root. postgres refuses to run as root, so it runs as the
 * `postgres` system user; that user must be able to reach its binaries and its data directory. A
 * clone in root's home (0700) or in a `mktemp -d` folder lets nobody else through, so `spawn initdb`
 * fails with a bare EACCES. What cannot be reached is placed under one root-owned 0755 directory,
 * PARLEY_EMBEDDED_HOME (default /var/lib/parley; not /tmp, where a cluster is wiped at boot): a copy of the binaries per PostgreSQL package version (shared by every clone), and
 * a cluster per data directory (named after it, so a second start and several clones each find theirs).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { basename, dirname, join, parse, resolve } from 'node:path';

export interface Owner {
  uid: number;
  gid: number;
}

/**
 * The `postgres` system user, created when missing (containers often have none). We make one rather
 * than borrow `nobody`: files owned by a shared account are open to every daemon running as it.
 */
export function postgresUser(): Owner {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { stdio: 'pipe' }).toString().trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    // no such user yet
  }
  try {
    execFileSync(
      'useradd',
      ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'],
      { stdio: 'pipe' },
    );
    return { uid: id('-u'), gid: id('-g') };
  } catch (err) {
    throw new Error(
      'running as root: PostgreSQL refuses to run as root, so the embedded one runs as the `postgres` user, ' +
        `but there is none and \`useradd\` failed (${(err as Error).message.split('\n')[0]}). ` +
        'Create it (useradd --system postgres, or adduser -S postgres on Alpine), run Parley as another user, ' +
        'or set DATABASE_URL to use your own PostgreSQL.',
    );
  }
}

/**
 * Whether `owner` can pass through every directory down to `path` (and list `path` itself). The
 * postgres child gets no supplementary groups (libuv drops them when it switches user), so owner,
 * group and other bits are the whole story, ACLs aside.
 */
export function reachable(path: string, owner: Owner): boolean {
  let p = realpathSync(path);
  for (;;) {
    const st = statSync(p);
    const bit = st.uid === owner.uid ? 0o100 : st.gid === owner.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) return false;
    if (p === parse(p).root) return true;
    p = dirname(p);
  }
}

/** A directory of the embedded home, made root-owned 0755; refused if someone else could have planted it. */
function safeDir(home: string, sub: string): string {
  checkedDir(home);
  return checkedDir(join(home, sub));
}

function checkedDir(path: string): string {
  try {
    mkdirSync(path, { recursive: true, mode: 0o755 });
  } catch (err) {
    throw new Error(
      `running as root: cannot create ${path} (${(err as Error).message}), where the embedded PostgreSQL's ` +
        'files go when the postgres user cannot reach the data directory or node_modules. ' +
        'Set PARLEY_EMBEDDED_HOME to a writable directory, set PARLEY_DATA_DIR to a directory the postgres user can reach and install ' +
        'Parley in one, or set DATABASE_URL.',
    );
  }
  const st = lstatSync(path);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw new Error(`${path} must be a directory owned by root and writable by root alone; remove it and start again`);
  }
  chmodSync(path, 0o755);
  return path;
}

/**
 * The binaries' directory (bin/, lib/, share/ of the platform package) as the postgres user can run
 * them: the package's own when reachable (no cost), else a copy made once per package version. The
 * copy is renamed into place whole, so a start killed half-way or two clones starting together never
 * leave a partial one.
 */
export function reachableBinaries(nativeDir: string, owner: Owner, home: string): string {
  if (reachable(join(nativeDir, 'bin'), owner)) return nativeDir;
  const pkg = JSON.parse(readFileSync(join(dirname(nativeDir), 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  const base = safeDir(home, 'postgres');
  const dest = join(base, `${basename(pkg.name)}-${pkg.version}`);
  if (existsSync(join(dest, 'bin', 'postgres'))) return dest;
  const partial = `${dest}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  // verbatimSymlinks: the lib/ symlinks are relative and stay so; modes are copied with the files.
  cpSync(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
  readableByAll(partial);
  try {
    renameSync(partial, dest);
  } catch (err) {
    // Another start made it first: theirs is whole, ours goes.
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(join(dest, 'bin', 'postgres'))) throw err;
  }
  return dest;
}

/** Directories 0755, files a+r (a+x where the owner may run them): an install made under umask 077 copies too. */
function readableByAll(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) readableByAll(p);
    else if (entry.isFile()) {
      const mode = statSync(p).mode & 0o777;
      chmodSync(p, mode | 0o444 | (mode & 0o100 ? 0o111 : 0));
    }
  }
}

/**
 * The cluster directory for `dataDir`: `dataDir/pg` when the postgres user can reach it, else a
 * directory of the embedded home named after the data directory's real path, with `dataDir/pg` a symlink to
 * it (so that the data directory still says where its database is). A cluster that already sits in
 * an unreachable `dataDir/pg` cannot be moved silently: the error says what to do.
 */
export function reachableCluster(dataDir: string, owner: Owner, home: string): string {
  const link = join(dataDir, 'pg');
  // Made by an earlier start; dangling if the cluster was removed, and initdb then makes a new one there.
  if (isSymlink(link)) return resolve(dataDir, readlinkSync(link));
  if (reachable(dataDir, owner)) return link;
  if (existsSync(link)) {
    throw new Error(
      `${link} holds a PostgreSQL cluster that the postgres user cannot reach (a directory above it lets ` +
        'nobody else through). Let it through (chmod o+x on each such directory), or move the cluster to a ' +
        'directory it can reach and point PARLEY_DATA_DIR there.',
    );
  }
  const base = safeDir(home, 'clusters');
  const real = realpathSync(dataDir);
  const hash = createHash('sha256').update(real).digest('hex').slice(0, 16);
  // Named for people listing the directory (the clone and the data directory), unique by the hash.
  const name = `${basename(dirname(real))}_${basename(real)}`.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  const target = join(base, `${name}-${hash}`);
  // What a start that failed here before (EACCES) left in the old place.
  rmSync(`${link}.partial`, { recursive: true, force: true });
  symlinkSync(target, link);
  return target;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
