/**
 * At most `limit` holders at once; the others wait in arrival order. The
 * daemon's `--max-tasks`: a run holds one slot while it executes, since the
 * engine runs one task of a run at a time.
 */
export class Limiter {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#free = limit;
  }

  /** Wait for a slot; the function returned gives it back (once). */
  async acquire(): Promise<() => void> {
    if (this.#free > 0) this.#free -= 1;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free += 1;
    };
  }
}
