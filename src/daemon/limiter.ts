import type { Release, TaskLimiter } from "../engine/task-slots.js";

/**
 * At most `limit` holders at once; the others wait in arrival order. The
 * daemon's `--max-tasks`: each running task of any of its runs holds a slot.
 */
export class Limiter implements TaskLimiter {
  #free: number;
  readonly #waiting: ((release: Release) => void)[] = [];

  constructor(limit: number) {
    this.#free = limit;
  }

  tryAcquire(): Release | null {
    if (this.#free === 0) return null;
    this.#free -= 1;
    return this.#slot();
  }

  async acquire(): Promise<Release> {
    return this.tryAcquire() ?? new Promise<Release>((grant) => this.#waiting.push(grant));
  }

  /** A slot held: released, it goes to the first waiter, else back to the free ones. */
  #slot(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next(this.#slot());
      else this.#free += 1;
    };
  }
}
