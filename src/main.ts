import { loadConfig } from './config.ts';
import { createLogger } from './log.ts';
import { startParley } from './server.ts';

/** The only place that listens on a port: start, then drain on SIGTERM/SIGINT and exit 0. */
export async function serve(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const t0 = performance.now();
  const parley = await startParley(config, { log });
  log.info(
    { url: parley.url, nodeId: config.nodeId, startupMs: Math.round(performance.now() - t0) },
    `Parley is ready at ${parley.url}`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    // Exit within 10 s whatever happens; a stuck close must not keep the process alive.
    setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 10_000).unref();
    parley
      .close()
      .then(() => process.exit(0))
      .catch((err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
}
