import type { ExecutorTask } from "../executors/executor.js";

/**
 * Stopping one running task: at once (kill), or gracefully (terminate, then
 * kill after the grace period); the first reason given is the one kept.
 */
export class TaskStopper {
  #reason: string | null = null;
  #grace: NodeJS.Timeout | undefined;
  #deadline: NodeJS.Timeout | undefined;

  constructor(
    private readonly task: ExecutorTask,
    private readonly killGraceSeconds: number,
    private readonly onStop: (reason: string) => void,
  ) {}

  /** Why orch stopped the task, or null if it did not. */
  get reason(): string | null {
    return this.#reason;
  }

  stop(reason: string, mode: "now" | "graceful"): void {
    if (this.#reason !== null) {
      // A graceful stop already under way may still be hurried.
      if (mode === "now") this.task.kill();
      return;
    }
    this.#reason = reason;
    this.onStop(reason);
    if (mode === "now") {
      this.task.kill();
      return;
    }
    this.task.terminate();
    this.#grace = setTimeout(() => this.task.kill(), this.killGraceSeconds * 1000);
  }

  /** Stop the task gracefully once `seconds` have passed (its `timeout`), unless it ended. */
  limitTo(seconds: number | null): void {
    if (seconds === null) return;
    this.#deadline = setTimeout(
      () => this.stop(`timed out after ${seconds}s`, "graceful"),
      seconds * 1000,
    );
  }

  /** The task ended: no timer of it may fire any more. */
  ended(): void {
    clearTimeout(this.#grace);
    clearTimeout(this.#deadline);
  }
}
