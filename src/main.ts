import { loadConfig } from './config.ts';
import { createLogger } from './log.ts';
import { type Parley, startParley } from './server.ts';

/**
 * The only place that listens on a port: start, then drain on SIGTERM/SIGINT and exit 0.
 *
 * An exception nothing caught means this process's state can no longer be trusted, so it does not
 * carry on: it logs the error (level fatal, with its stack), closes its streams the way a shutdown
 * does (SSE gets a short `retry:`, WebSocket close code 1012) so clients reconnect to a healthy node
 * and resume from their last pos, releases its presence and exits with code 1 for the supervisor
 * (systemd, Kubernetes, a container runtime) to restart it. A rejected promise nobody handled is
 * logged as an error and the process goes on: those are fire-and-forget writes whose failure is
 * already accounted for.
 */
export async function serve(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  let parley: Parley | undefined;
  let stopping: string | undefined;
  let exitCode = 0;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = signal;
    log.info({ signal }, 'shutting down');
    // Exit within 10 s whatever happens; a stuck close must not keep the process alive.
    setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 10_000).unref();
    // A signal during start-up (initdb, migrations) is acted on once start-up has finished, so the
    // embedded server it may have started is stopped rather than orphaned.
    if (!parley) return;
    parley
      .close()
      .then(() => process.exit(exitCode))
      .catch((err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  // Installed before start-up: Node's default for these signals is to die on the spot.
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  process.on('uncaughtException', (err, origin) => {
    log.fatal({ err, origin }, 'uncaught exception: closing every stream so clients resume elsewhere; exiting with 1');
    exitCode = 1;
    // Before start-up finished there is nothing to drain; the embedded server stops with the process.
    if (!parley) process.exit(1);
    stop('uncaughtException');
  });

  const t0 = performance.now();
  parley = await startParley(config, { log });
  log.info(
    { url: parley.url, nodeId: config.nodeId, startupMs: Math.round(performance.now() - t0) },
    `Parley is ready at ${parley.url}`,
  );
  if (stopping) {
    const signal = stopping;
    stopping = undefined;
    stop(signal);
  }
}
