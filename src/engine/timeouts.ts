import type { ExecutorTask } from "../executors/executor.js";
import { type LongTimer, setLongTimeout } from "../util/long-timer.js";

/**
 * Stopping one running task: at once (kill), or gracefully (terminate, then
 * kill after the grace period); the first reason given is the one kept.
 */
export class TaskStopper {
  #reason: string | null = null;
  #grace: LongTimer | undefined;
  #deadline: LongTimer | undefined;

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
    this.#grace = setLongTimeout(() => this.task.kill(), this.killGraceSeconds * 1000);
  }

  /** Stop the task gracefully once `seconds` have passed (its `timeout`), unless it ended. */
  limitTo(seconds: number | null): void {
    if (seconds === null) return;
    this.#deadline = setLongTimeout(
      () => this.stop(`timed out after ${seconds}s`, "graceful"),
      seconds * 1000,
    );
  }

  /** The task ended: no timer of it may fire any more. */
  ended(): void {
    this.#grace?.clear();
    this.#deadline?.clear();
  }
}
