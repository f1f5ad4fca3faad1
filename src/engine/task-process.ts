import { closeSync, openSync, writeSync } from "node:fs";
import { resolve as absolutePath } from "node:path";
import split2 from "split2";
import { type DecodedLine, decodeLine } from "../protocol/decode.js";
import type { StartMessage } from "../protocol/messages.js";
import type { Spawner } from "./spawner.js";

export interface TaskLaunch {
  /** The command: the Python interpreter and its arguments (see `taskCommand`). */
  readonly argv: readonly [string, ...string[]];
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
  /** The task's pid, once it runs; null if it could not be started. */
  readonly pid: Promise<number | null>;
  readonly exit: Promise<TaskExit>;
  /**
   * Stop the task and every process in its group: at once (SIGKILL), or
   * gracefully (SIGTERM, then SIGKILL after the grace period).
   */
  kill(reason: string, mode?: "now" | "graceful"): void;
}

/**
 * Start one attempt of a task (no shell) through the run's spawner, write the
 * start message to its stdin, decode its stdout line by line and hand each line
 * to `onLine` as it arrives.
 */
export const launchTask = (
  spawner: Spawner,
  launch: TaskLaunch,
  onLine: (line: DecodedLine) => LineVerdict,
): RunningTask => {
  const logPath = absolutePath(launch.logPath);
  // The spawner creates the log: it is the task's stderr, no pipe that a process
  // the task leaves behind could hold open. orch opens it only for a note.
  let log: number | null = null;
  const logLine = (text: string) => {
    log ??= openSync(logPath, "a", 0o600);
    writeSync(log, `${text}\n`);
  };
  const note = (text: string) => logLine(`[orch] ${text}`);
  // Its own process group (a new session) lets orch stop the task and everything
  // it started at once.
  const child = spawner.spawn({
    argv: launch.argv,
    cwd: absolutePath(launch.cwd),
    env: launch.env,
    stdin: `${JSON.stringify(launch.start)}\n`,
    stderrPath: logPath,
  });
  const { stdout } = child;
  void child.pid.then((pid) => {
    if (pid !== null) LIVE_GROUPS.add(pid);
  });

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
  // Processes the task left behind in its group end with it. One that escaped
  // the group (setsid) gets a moment, then its hold on stdout is cut so orch
  // never waits on it.
  let orphanTimer: NodeJS.Timeout | undefined;
  const ended = child.end.then(async (end) => {
    const pid = await child.pid;
    if (pid !== null) {
      LIVE_GROUPS.delete(pid);
      // The spawner kills what is left of an exited task's group; if it died, orch does.
      if (end.kind === "lost") killGroup(pid, "SIGKILL");
    }
    orphanTimer = setTimeout(() => {
      note(
        "stdout still open after the task exited (a process it started holds it); stopped reading",
      );
      child.stopReading();
      lines.destroy();
    }, ORPHAN_GRACE_MS);
    return end;
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
        else logLine(text);
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
    const [end] = await Promise.all([ended, drained]);
    clearTimeout(timeoutTimer);
    clearTimeout(graceTimer);
    clearTimeout(orphanTimer);
    if (log !== null) closeSync(log);
    log = null;
    if (end.kind === "exited") return { exitCode: end.code, signal: end.signal, killedBecause };
    const failure =
      end.kind === "not-started" ? `could not start ${launch.argv[0]}: ${end.reason}` : end.reason;
    return { exitCode: null, signal: null, killedBecause: killedBecause ?? failure };
  })();
  return { pid: child.pid, exit, kill };
};

/**
 * Tasks still running: if orch exits without stopping them (an internal error),
 * their process groups are killed on the way out rather than left behind.
 */
const LIVE_GROUPS = new Set<number>();
process.on("exit", () => {
  for (const pid of LIVE_GROUPS) killGroup(pid, "SIGKILL");
});

/** How long a task's leftover processes may hold its stdout after it exits. */
const ORPHAN_GRACE_MS = 2_000;
/** Non-JSON stdout lines noted with a warning; later ones are logged plainly. */
const TEXT_WARNINGS = 100;

/** Signal a task's process group once it has a pid (never, if it did not start). */
const signalGroup = (pid: Promise<number | null>, signal: NodeJS.Signals): void => {
  void pid.then((known) => {
    if (known !== null) killGroup(known, signal);
  });
};

const killGroup = (pid: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
};
