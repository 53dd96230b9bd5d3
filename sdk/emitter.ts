/** A small typed event emitter. A listener that throws does not stop the others. */
export class Emitter<M extends object> {
  private readonly listeners = new Map<keyof M, Set<(value: never) => void>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof M>(type: K, fn: (value: M[K]) => void): () => void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(fn as (value: never) => void);
    return () => this.off(type, fn);
  }

  /** Like `on`, removed after the first call. */
  once<K extends keyof M>(type: K, fn: (value: M[K]) => void): () => void {
    const off = this.on(type, (value) => {
      off();
      fn(value);
    });
    return off;
  }

  off<K extends keyof M>(type: K, fn: (value: M[K]) => void): void {
    this.listeners.get(type)?.delete(fn as (value: never) => void);
  }

  emit<K extends keyof M>(type: K, value: M[K]): void {
    const set = this.listeners.get(type);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        (fn as (value: M[K]) => void)(value);
      } catch (err) {
        // A bug in one listener must not break delivery to the rest, nor the stream itself.
        setTimeout(() => {
          throw err;
        }, 0);
      }
    }
  }

  has(type: keyof M): boolean {
    return (this.listeners.get(type)?.size ?? 0) > 0;
  }
}
