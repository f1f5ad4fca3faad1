import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, writeSync } from "node:fs";
import split2 from "split2";
import { type DecodedLine, decodeLine } from "../protocol/decode.js";
import type { StartMessage } from "../protocol/messages.js";

export interface TaskLaunch {
  readonly python: string;
  /** Absolute path of the script. */
  readonly script: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** The task's whole environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly start: StartMessage;
  /** The attempt's log file: the task's stderr, plus orch's notes about its stdout. */
  readonly logPath: string;
  /** Longest stdout line accepted, in characters. */
  readonly maxLineLength: number;
  /** Seconds before the task is stopped, or null for no limit. */
  readonly timeout: number | null;
  /** Seconds between SIGTERM and SIGKILL when a task is stopped gracefully. */
  readonly killGrace: number;
}

/** What the orchestrator does after a line: carry on, or kill the task now. */
export type LineVerdict =
  | { readonly stop: false }
  | { readonly stop: true; readonly reason: string };

export const CONTINUE: LineVerdict = { stop: false };

export interface TaskExit {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /**
   * Set when orch killed the task (a broken promise, a protocol error, an
   * interrupt) or could not start it.
   */
  readonly killedBecause: string | null;
}

export interface RunningTask {
  readonly pid: number | undefined;
  readonly exit: Promise<TaskExit>;
  /**
   * Stop the task and every process in its group: at once (SIGKILL), or
   * gracefully (SIGTERM, then SIGKILL after the grace period).
   */
  kill(reason: string, mode?: "now" | "graceful"): void;
}

/**
 * Spawn one attempt of a task (no shell), write the start message to its stdin,
 * decode its stdout line by line and hand each line to `onLine` as it arrives.
 *
 * Spawned with node:child_process rather than execa: a task start is on every
 * run's critical path, and execa's option handling and promise plumbing cost
 * ~1 ms per spawn (bench/README.md), a fifth of orch's whole overhead per task.
 */
export const launchTask = (
  launch: TaskLaunch,
  onLine: (line: DecodedLine) => LineVerdict,
): RunningTask => {
  const log = openSync(launch.logPath, "a", 0o600);
  const note = (text: string) => writeSync(log, `[orch] ${text}\n`);
  // The log's own file descriptor is the task's stderr: no pipe that a process
  // the task leaves behind could hold open. Its own process group (detached) lets
  // orch stop the task and everything it started at once.
  const child = spawn(launch.python, [launch.script, ...launch.args], {
    cwd: launch.cwd,
    env: launch.env,
    stdio: ["pipe", "pipe", log],
    detached: true,
  });
  const { stdin, stdout } = child;
  if (stdin === null || stdout === null)
    throw new Error("spawn gave the task no stdin/stdout pipe");
  // A task that exits without reading its start message closes its stdin: not an error.
  stdin.on("error", () => {});
  stdin.end(`${JSON.stringify(launch.start)}\n`);
  LIVE_GROUPS.add(child);

  let killedBecause: string | null = null;
  let graceTimer: NodeJS.Timeout | undefined;
  const kill = (reason: string, mode: "now" | "graceful" = "now") => {
    if (killedBecause !== null) return;
    killedBecause = reason;
    note(`killed: ${reason}`);
    if (mode === "now") {
      signalGroup(child.pid, "SIGKILL");
      return;
    }
    signalGroup(child.pid, "SIGTERM");
    graceTimer = setTimeout(() => signalGroup(child.pid, "SIGKILL"), launch.killGrace * 1000);
  };
  // Processes the task left behind would hold its pipes open: the group ends with
  // the task. One that escaped the group (setsid) gets a moment, then its hold on
  // stdout is cut so orch never waits on it.
  let orphanTimer: NodeJS.Timeout | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      LIVE_GROUPS.delete(child);
      signalGroup(child.pid, "SIGKILL");
      orphanTimer = setTimeout(() => {
        note(
          "stdout still open after the task exited (a process it started holds it); stopped reading",
        );
        stdout.destroy();
        lines.destroy();
      }, ORPHAN_GRACE_MS);
      resolve({ code, signal });
    });
  });
  let startError: string | null = null;
  const failedToStart = new Promise<void>((resolve) => {
    child.once("error", (error) => {
      LIVE_GROUPS.delete(child);
      startError = `could not start ${launch.python}: ${error.message}`;
      resolve();
    });
  });
  const timeoutTimer =
    launch.timeout === null
      ? undefined
      : setTimeout(
          () => kill(`timed out after ${launch.timeout}s`, "graceful"),
          launch.timeout * 1000,
        );

  let lineNumber = 0;
  let textLines = 0;
  const lines = stdout.pipe(split2({ maxLength: launch.maxLineLength }));
  const drained = new Promise<void>((resolve) => {
    lines.on("data", (text: string) => {
      if (killedBecause !== null) return;
      lineNumber += 1;
      if (text.length > launch.maxLineLength) {
        kill(
          `stdout line ${lineNumber} is longer than the limit of ${launch.maxLineLength} characters`,
        );
        return;
      }
      const decoded = decodeLine(text, lineNumber);
      if (decoded.kind === "text") {
        textLines += 1;
        if (textLines <= TEXT_WARNINGS)
          note(`warning: stdout line ${lineNumber} is not JSON, kept as a log line: ${text}`);
        else writeSync(log, `${text}\n`);
        if (textLines === TEXT_WARNINGS)
          note("further non-JSON stdout lines are logged as they are, without a warning");
      } else if (decoded.kind === "message" && decoded.message.type === "log") {
        note(`${decoded.message.level}: ${decoded.message.message}`);
      }
      const verdict = onLine(decoded);
      if (verdict.stop) kill(verdict.reason);
    });
    lines.on("error", () => {
      kill(
        `stdout line ${lineNumber + 1} is longer than the limit of ${launch.maxLineLength} characters`,
      );
      stdout.resume();
      resolve();
    });
    lines.on("end", resolve);
    lines.on("close", resolve);
  });

  const exit = (async (): Promise<TaskExit> => {
    const status = await Promise.race([
      Promise.all([exited, drained]).then(([status]) => status),
      failedToStart.then(() => ({ code: null, signal: null })),
    ]);
    clearTimeout(timeoutTimer);
    clearTimeout(graceTimer);
    clearTimeout(orphanTimer);
    closeSync(log);
    return {
      exitCode: status.code,
      signal: status.signal,
      killedBecause: killedBecause ?? startError,
    };
  })();
  return { pid: child.pid, exit, kill };
};

/**
 * Tasks still running: if orch exits without stopping them (an internal error),
 * their process groups are killed on the way out rather than left behind.
 */
const LIVE_GROUPS = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of LIVE_GROUPS) signalGroup(child.pid, "SIGKILL");
});

/** How long a task's leftover processes may hold its stdout after it exits. */
const ORPHAN_GRACE_MS = 2_000;
/** Non-JSON stdout lines noted with a warning; later ones are logged plainly. */
const TEXT_WARNINGS = 100;

const signalGroup = (pid: number | undefined, signal: NodeJS.Signals): void => {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
};
