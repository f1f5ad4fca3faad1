import type { ExecutorSet } from "../executors/choose.js";
import type { RunStatus } from "../state/run-status.js";
import type { Store } from "../store/store.js";
import type { EngineLimits } from "./limits.js";
import type { ProgressListener } from "./progress.js";
import { RunLoop } from "./run-loop.js";
import type { TaskLimiter } from "./task-slots.js";

export interface EngineOptions {
  readonly store: Store;
  readonly runId: string;
  /** Directory of the workflow file: tasks run there and `run` paths are relative to it. */
  readonly dir: string;
  readonly python: string;
  readonly logsDir: string;
  readonly limits: EngineLimits;
  /** Most tasks running at once (≥ 1). */
  readonly parallel: number;
  /** A cap on tasks running at once shared with other runs: each attempt holds one of its slots. */
  readonly limiter?: TaskLimiter;
  readonly onProgress: ProgressListener;
  /** Resolves when the user asks orch to stop (SIGINT/SIGTERM). */
  readonly interrupted: Promise<string>;
  /** Source of randomness for retry jitter, in [0, 1). */
  readonly random?: () => number;
  /** Where each node runs; by default every node is a local process. */
  readonly executors?: ExecutorSet;
  /**
   * Called when this process can no longer write the run (another process took
   * it over, or its storage failed) outside any step that could report it.
   */
  readonly onLost: (error: unknown) => void;
}

export interface RunOutcome {
  readonly status: RunStatus;
  readonly reason: string | null;
}

/**
 * Run a registered run to its end, up to `parallel` tasks at once. The store's
 * history is the truth: the in-memory state is its fold plus the running
 * attempts' provisional mutations.
 */
export const executeRun = (options: EngineOptions): Promise<RunOutcome> =>
  new RunLoop(options).execute();
