/** Gives a slot back; calling it again does nothing. */
export type Release = () => void;

/**
 * A cap on tasks running at once that several runs share (the daemon's
 * `--max-tasks`): slots are handed out in the order they were asked for.
 */
export interface TaskLimiter {
  /** A slot now, if one is free and nobody waits for one; else null. */
  tryAcquire(): Release | null;
  /** A slot, once one is free. */
  acquire(): Promise<Release>;
}

const UNLIMITED: Release = () => {};

/**
 * One run's side of a shared `TaskLimiter`. The run loop never waits on it: a
 * slot is taken at once when one is free, or asked for, and `onGranted` wakes
 * the loop when it comes. Without a limiter every attempt gets a slot.
 */
export class RunSlots {
  #granted: Release | null = null;
  #asking = false;
  #closed = false;

  constructor(
    private readonly limiter: TaskLimiter | undefined,
    private readonly onGranted: () => void,
  ) {}

  /** Whether a slot was asked for and has not come yet: the run has a node waiting for it. */
  get asking(): boolean {
    return this.#asking;
  }

  /** A slot for an attempt about to start, or null: one is asked for, and `onGranted` called when it is here. */
  take(): Release | null {
    if (this.limiter === undefined) return UNLIMITED;
    const granted = this.#granted;
    if (granted !== null) {
      this.#granted = null;
      return granted;
    }
    const free = this.limiter.tryAcquire();
    if (free !== null || this.#asking || this.#closed) return free;
    this.#asking = true;
    void this.limiter.acquire().then((release) => {
      this.#asking = false;
      if (this.#closed) release();
      else {
        this.#granted = release;
        this.onGranted();
      }
    });
    return null;
  }

  /** A slot that came while nothing was left to start goes back, for another run. */
  giveBackUnused(): void {
    const granted = this.#granted;
    this.#granted = null;
    granted?.();
  }

  /** The run starts nothing more: a slot it holds or still gets is given back. */
  close(): void {
    this.#closed = true;
    this.giveBackUnused();
  }
}
