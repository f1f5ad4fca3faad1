import type { Readable } from "node:stream";

/**
 * Where and how a task's process runs. The engine hands every attempt to an
 * executor: the local one runs the task as a process on this machine; others
 * (containers, Slurm) run a client process on this machine (`podman run -i`,
 * `srun`) that relays the task's stdio, so the protocol never changes.
 */
export interface Executor {
  /** Its name in progress lines and logs: `local`, `container(podman:IMAGE)`, `slurm`. */
  readonly name: string;
  /**
   * What this machine lacks to run tasks here, said so a person can fix it
   * (`podman is not installed: apt-get install podman`), or null when nothing is.
   */
  missing(): Promise<string | null>;
  /** Start one attempt. Never throws for a task that cannot start: `end` says so. */
  start(launch: ExecutorLaunch): ExecutorTask;
  /**
   * Remove what an orchestrator that died left of this run's attempts
   * (processes, containers, jobs), before `orch resume` runs them again.
   */
  cleanupLeftovers(runId: string, attempts: readonly LeftoverAttempt[]): Promise<void>;
}

export interface ExecutorLaunch {
  readonly runId: string;
  readonly nodeId: string;
  readonly attempt: number;
  /** The task's program and arguments as the local executor would run them (no shell). */
  readonly argv: readonly [string, ...string[]];
  /** The workflow's folder, absolute: the task's working directory. */
  readonly cwd: string;
  /** The variables orch adds for the task (ORCH_*, PYTHONPATH with the SDK). */
  readonly env: Readonly<Record<string, string>>;
  /** The start message line (with its newline), written to the task's stdin. */
  readonly stdin: string;
  /** Absolute path of the attempt's log: the task's stderr is appended to it. */
  readonly logPath: string;
}

/** How a task's process ended, as far as orch can know. */
export type ExecutorEnd =
  | { readonly kind: "exited"; readonly code: number | null; readonly signal: string | null }
  | { readonly kind: "not-started"; readonly reason: string }
  /** The executor lost track of it: its fate is unknown. */
  | { readonly kind: "lost"; readonly reason: string };

export interface ExecutorTask {
  /** A handle recorded with the attempt so a later orch can clean up (pid, container name, job name). */
  readonly handle: Promise<string | null>;
  /** The task's stdout, ending when nothing holds it open any more. */
  readonly stdout: Readable;
  readonly end: Promise<ExecutorEnd>;
  /** Ask the task to stop (SIGTERM to its processes, `podman kill`, `scancel`). */
  terminate(): void;
  /** Stop it and everything it started, at once. */
  kill(): void;
  /**
   * Resolves if its stdout is written after its process exited and the pipe
   * was drained: by a process it left behind, never the task itself. That
   * output is not read (nothing of it is committed).
   */
  readonly lateOutput: Promise<void>;
}

export interface LeftoverAttempt {
  readonly nodeId: string;
  readonly attempt: number;
  readonly handle: string | null;
}
