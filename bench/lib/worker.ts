/**
 * The child side of the orchestrator's RPC: bench/run.ts forks each load generator and baseline server
 * with an IPC channel and calls named handlers on it. A child whose parent goes away exits, so nothing
 * outlives a crashed or interrupted run.
 */

export type Handler = (params: never) => unknown;

export interface RpcRequest {
  id: number;
  cmd: string;
  params?: unknown;
}

export function serveWorker(handlers: Record<string, Handler>): void {
  if (!process.send) {
    console.error('This is a bench worker: run it through `npm run bench`, which starts it with an IPC channel.');
    process.exit(2);
  }
  process.on('message', (m: RpcRequest) => {
    if (!m || typeof m.id !== 'number' || typeof m.cmd !== 'string') return;
    const handler = handlers[m.cmd];
    if (!handler) return; // another module (the probe) may answer it
    Promise.resolve()
      .then(() => handler(m.params as never))
      .then(
        (result) => process.send?.({ id: m.id, ok: true, result }),
        (err: unknown) =>
          process.send?.({
            id: m.id,
            ok: false,
            error: err instanceof Error ? (err.stack ?? err.message) : String(err),
          }),
      );
  });
  process.on('disconnect', () => process.exit(0));
}
