/** A request waiting in a batch, with the promise to settle. */
export interface Pending<In, Out> {
  input: In;
  resolve: (out: Out) => void;
  reject: (err: unknown) => void;
}

/**
 * Runs work in batches without adding a wait: the first request starts a batch on the next turn of
 * the event loop (so requests of the same tick join it); while a batch runs, newcomers queue and
 * form the next. `run` settles every request of the batch it is given, either itself or through the
 * function it returns: the batcher calls that once the next batch has started (or none is waiting),
 * so the work of answering one batch overlaps the next batch's wait on the database.
 */
export class Batcher<In, Out> {
  private queue: Pending<In, Out>[] = [];
  private running = false;

  constructor(
    private readonly maxBatch: number,
    private readonly run: (batch: Pending<In, Out>[]) => Promise<void> | Promise<(() => void) | undefined>,
  ) {}

  add(input: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.running) {
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    let answerPrevious: (() => void) | undefined;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.maxBatch);
        const running = this.run(batch);
        // The next batch is on its way: now the previous one's answers are written meanwhile.
        answerPrevious?.();
        answerPrevious = undefined;
        try {
          answerPrevious = (await running) ?? undefined;
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.running = false;
      answerPrevious?.();
    }
  }
}
