import { readFileSync } from 'node:fs';

/**
 * `npx parley serve` and `npm start` run the server under npm and a shell (npm → sh -c → node, with
 * tsx in between for `npm start`). A SIGTERM or SIGINT sent to npm alone (a process manager, `kill`,
 * `timeout`) ends npm and the shell, but the shell does not pass it on, so the server used to keep
 * running, holding its port and its embedded PostgreSQL. When we were launched by npm we therefore
 * watch the processes between us and npm: once one of them is gone, this process gets the SIGTERM it
 * should have had, and shuts down the usual way (drain, stop the embedded database, free the port).
 *
 * Only under npm: a server started by a shell with `nohup … &` must outlive that shell. Linux only
 * (it reads /proc); elsewhere the behaviour is unchanged.
 */
export function stopWithLauncher(intervalMs = 500): void {
  if (!process.env.npm_command && !process.env.npm_lifecycle_event) return;
  const chain = launchers();
  if (!chain) return;
  const timer = setInterval(() => {
    if (chain.every(alive)) return;
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }, intervalMs);
  timer.unref();
}

/** The processes from our parent up to and including the nearest npm, if npm is one of the first few. */
function launchers(): number[] | undefined {
  const chain: number[] = [];
  let pid = process.ppid;
  for (let depth = 0; depth < 4 && pid > 1; depth++) {
    const st = stat(pid);
    if (!st) return undefined;
    chain.push(pid);
    // npm names its process after the command ("npm exec parley", "npm start").
    if (st.comm.startsWith('npm')) return chain;
    pid = st.ppid;
  }
  return undefined;
}

function stat(pid: number): { comm: string; state: string; ppid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return {
      comm: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')),
      state: fields[0]!,
      ppid: Number(fields[1]),
    };
  } catch {
    return undefined;
  }
}

/** Gone or a zombie (dead, not yet collected by its parent) both count as gone. */
function alive(pid: number): boolean {
  const st = stat(pid);
  return st !== undefined && st.state !== 'Z' && st.state !== 'X';
}
