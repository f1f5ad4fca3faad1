import type { Executor, ExecutorLaunch } from "../executors/executor.js";
import type { DecodedLine } from "../protocol/decode.js";
import { AttemptLog } from "./attempt-log.js";
import { type LineVerdict, readLines } from "./lines.js";
import { TaskStopper } from "./timeouts.js";

export interface Supervision {
  readonly executor: Executor;
  readonly launch: ExecutorLaunch;
  readonly onLine: (line: DecodedLine) => LineVerdict;
  /** Longest stdout line accepted, in characters. */
  readonly maxLineLength: number;
  /** Seconds before the task is stopped, or null for no limit. */
  readonly timeout: number | null;
  /** Seconds between terminate and kill when the task is stopped gracefully. */
  readonly killGrace: number;
}

export interface TaskExit {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Why orch stopped the task or could not start it; null when it ended by itself. */
  readonly stoppedBecause: string | null;
}

export interface SupervisedAttempt {
  /** What the executor knows the task by (its pid, here), once it runs; null if it never did. */
  readonly handle: Promise<string | null>;
  readonly exit: Promise<TaskExit>;
  stop(reason: string, mode: "now" | "graceful"): void;
}

/** How long a task's leftover processes may hold its stdout after it exits. */
const ORPHAN_GRACE_MS = 2_000;

/**
 * One attempt from start to end: hand it to its executor, read its stdout
 * line by line into `onLine`, stop it when a line says so or its time is up,
 * and report how it ended once its process has exited and its stdout is read.
 */
export const superviseAttempt = (spec: Supervision): SupervisedAttempt => {
  const log = new AttemptLog(spec.launch.logPath);
  const task = spec.executor.start(spec.launch);
  const stopper = new TaskStopper(task, spec.killGrace, (reason) => log.note(`killed: ${reason}`));
  stopper.limitTo(spec.timeout);
  const reader = readLines(task.stdout, spec.maxLineLength, log, spec.onLine, (reason) =>
    stopper.stop(reason, "now"),
  );
  // Processes the task left behind in its group end with it. One that escaped
  // the group (setsid) gets a moment, then its hold on stdout is cut so orch
  // never waits on it.
  let orphan: NodeJS.Timeout | undefined;
  const ended = task.end.then((end) => {
    orphan = setTimeout(() => {
      log.note(
        "stdout still open after the task exited (a process it started holds it); stopped reading",
      );
      task.stopReading();
      reader.stop();
    }, ORPHAN_GRACE_MS);
    return end;
  });
  const exit = (async (): Promise<TaskExit> => {
    const [end] = await Promise.all([ended, reader.drained]);
    stopper.ended();
    clearTimeout(orphan);
    log.close();
    if (end.kind === "exited")
      return { exitCode: end.code, signal: end.signal, stoppedBecause: stopper.reason };
    const failure =
      end.kind === "not-started"
        ? `could not start ${spec.launch.argv[0]}: ${end.reason}`
        : end.reason;
    return { exitCode: null, signal: null, stoppedBecause: stopper.reason ?? failure };
  })();
  return { handle: task.handle, exit, stop: (reason, mode) => stopper.stop(reason, mode) };
};

/** Why an attempt that exited failed, or null when it succeeded. */
export const failureReason = (exit: TaskExit): string | null => {
  if (exit.stoppedBecause !== null) return exit.stoppedBecause;
  if (exit.signal !== null) return `killed by signal ${exit.signal}`;
  if (exit.exitCode !== 0) return `exited with code ${exit.exitCode}`;
  return null;
};
