import type { NodeId } from "../graph/ids.js";

/**
 * When retrying nodes are due: one timer each, firing `onDue` at the time
 * recorded with the node (at once if it has passed). A back-off is a due time
 * the run loop waits for among other events, never a sleep.
 */
export class DueTimers {
  readonly #timers = new Map<NodeId, NodeJS.Timeout>();

  constructor(private readonly onDue: (id: NodeId) => void) {}

  get size(): number {
    return this.#timers.size;
  }

  schedule(id: NodeId, at: string): void {
    clearTimeout(this.#timers.get(id));
    const delay = Math.max(0, Date.parse(at) - Date.now());
    this.#timers.set(
      id,
      setTimeout(() => {
        this.#timers.delete(id);
        this.onDue(id);
      }, delay),
    );
  }

  clear(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
