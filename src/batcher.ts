/** A request waiting in a batch, with the promise to settle. */
export interface Pending<In, Out> {
  input: In;
  resolve: (out: Out) => void;
  reject: (err: unknown) => void;
}

/**
 * Runs work in batches without adding a wait: the first request starts a batch on the next turn of
 * the event loop (so requests of the same tick join it); while `depth` batches run, newcomers queue
 * and form the next. `run` settles every request of the batch it is given, either itself or through
 * the function it returns: the batcher calls that once the next batch has started (or none is
 * waiting), so the work of answering one batch overlaps the next batch's wait on the database.
 */
export class Batcher<In, Out> {
  private queue: Pending<In, Out>[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly maxBatch: number,
    private readonly run: (batch: Pending<In, Out>[]) => Promise<void> | Promise<(() => void) | undefined>,
    /** Batches run at once. Above 1, `run` must keep them apart itself (see MessageWriter). */
    private readonly depth = 1,
  ) {}

  add(input: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.scheduled && this.inFlight < this.depth) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.start();
        });
      }
    });
  }

  private start(): void {
    while (this.queue.length && this.inFlight < this.depth) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      this.run(batch).then(
        (answer) => {
          this.inFlight--;
          // The next batch is on its way first; then this one's answers are written meanwhile.
          this.start();
          answer?.();
        },
        (err: unknown) => {
          this.inFlight--;
          for (const p of batch) p.reject(err);
          this.start();
        },
      );
    }
  }
}
