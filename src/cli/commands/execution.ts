import { dirname } from "node:path";
import { type EngineOptions, executeRun, type RunOutcome } from "../../engine/execute.js";
import { DEFAULT_LIMITS, type EngineLimits, lineLimitFor } from "../../engine/limits.js";
import { abandonRun } from "../../engine/ownership.js";
import { resolvePython } from "../../engine/python.js";
import type { RotatingLog } from "../../log/rotating-log.js";
import { fileStorageFailure } from "../../store/failures.js";
import type { Store } from "../../store/store.js";
import { errorMessage } from "../../util/error-message.js";
import { printable } from "../../util/printable.js";
import { type GlobalArgs, logsDirFor, orchLogFor } from "../context.js";
import { EXIT, exitCodeOfFailure, UsageError } from "../errors.js";
import { formatNotice, formatProgress } from "../progress-printer.js";

export interface ExecutionArgs extends GlobalArgs {
  readonly python?: string | undefined;
  readonly "max-line"?: number | undefined;
  readonly "max-nodes"?: number | undefined;
  readonly "max-mutations"?: number | undefined;
  readonly "kill-grace"?: number | undefined;
  readonly parallel?: number | undefined;
  readonly "max-output"?: number | undefined;
}

// The limits have no yargs defaults: a limit not given is the run's own on
// `orch resume` (the one it was started with), and the default on `orch start`.
const byDefault = (value: number): string => `(default: the run's own on resume, else ${value})`;
export const executionOptions = {
  parallel: {
    type: "number",
    describe:
      "most tasks running at once (default: the run's own on resume, else the workflow's \"parallel\", else 1)",
  },
  python: {
    type: "string",
    describe: "Python interpreter for tasks (default: $ORCH_PYTHON, else python3 on PATH)",
  },
  "max-line": {
    type: "number",
    describe: `longest stdout line a task may write, in characters ${byDefault(DEFAULT_LIMITS.maxLineLength)}; with --max-output alone, that plus 1 MiB`,
  },
  "max-output": {
    type: "number",
    describe: `largest output value a task may give, in bytes of JSON ${byDefault(DEFAULT_LIMITS.maxOutput)}`,
  },
  "max-nodes": {
    type: "number",
    describe: `most nodes a run may hold ${byDefault(DEFAULT_LIMITS.maxNodes)}`,
  },
  "max-mutations": {
    type: "number",
    describe: `most mutations one task attempt may make ${byDefault(DEFAULT_LIMITS.maxMutations)}`,
  },
  "kill-grace": {
    type: "number",
    describe: `seconds between SIGTERM and SIGKILL when stopping a task ${byDefault(DEFAULT_LIMITS.killGrace)}`,
  },
} as const;

const positive = (name: string, value: number | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0)
    throw new UsageError(`--${name} ${value}: expected a number ≥ 0`);
  return value;
};

/** The limits to execute with: each one given on the command line, else `base`'s. */
const limitsFrom = (args: ExecutionArgs, base: EngineLimits): EngineLimits => {
  const maxOutput = positive("max-output", args["max-output"], base.maxOutput);
  const lineBase = args["max-output"] === undefined ? base.maxLineLength : lineLimitFor(maxOutput);
  return {
    maxLineLength: positive("max-line", args["max-line"], lineBase),
    maxNodes: positive("max-nodes", args["max-nodes"], base.maxNodes),
    maxMutations: positive("max-mutations", args["max-mutations"], base.maxMutations),
    killGrace: positive("kill-grace", args["kill-grace"], base.killGrace),
    maxOutput,
  };
};

/** What a run needs from the command line, checked before anything is registered or run. */
export interface ExecutionSetup {
  readonly python: string;
  readonly limits: EngineLimits;
  readonly parallel: number;
}

const parallelFrom = (value: number | undefined, base: number): number => {
  if (value === undefined) return base;
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`--parallel ${value}: expected a whole number ≥ 1`);
  return value;
};

/** `base`: the limits and parallelism that apply where the command line gives none. */
export const prepareExecution = (
  args: ExecutionArgs,
  base: EngineLimits = DEFAULT_LIMITS,
  baseParallel = 1,
): ExecutionSetup => {
  const limits = limitsFrom(args, base);
  const parallel = parallelFrom(args.parallel, baseParallel);
  try {
    return { python: resolvePython(args.python), limits, parallel };
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
};

/**
 * Run a registered run in the foreground until it ends. SIGINT/SIGTERM interrupt
 * it; a second one exits at once, the run recorded `interrupted` if the store lets it.
 */
export const runInForeground = async (
  store: Store,
  runId: string,
  workflowFile: string,
  setup: ExecutionSetup,
  args: GlobalArgs,
): Promise<number> => {
  let signals = 0;
  let onFirstSignal: (why: string) => void = () => {};
  const interrupted = new Promise<string>((resolve) => {
    onFirstSignal = resolve;
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals === 1) onFirstSignal(`received ${signal}`);
    else stopAtOnce(store, runId, `received ${signal} again`);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const log = orchLogFor(args);
  // Progress is printed on the next turn of the event loop rather than as it
  // happens: a task's "succeeded" line is then written after the next task has
  // been spawned, off the path from one task's exit to the next one's start.
  const unprinted: string[] = [];
  const printProgress = (): void => {
    for (const line of unprinted.splice(0)) {
      console.log(line);
      writeLog(log, `run ${runId}: ${line.slice(line.indexOf("  ") + 2)}`);
    }
  };
  const show = (line: string): void => {
    if (unprinted.push(line) === 1) setImmediate(printProgress);
  };
  writeLog(log, `run ${runId}: executing ${printable(workflowFile)} (pid ${process.pid})`);
  store.onLockWait = (seconds) => {
    unprinted.push(
      formatNotice(
        `waiting for the database ${store.path ?? ""}: another process holds its write lock (${seconds.toFixed(0)}s so far)`,
      ),
    );
    printProgress();
  };
  const options: EngineOptions = {
    store,
    runId,
    dir: dirname(workflowFile),
    python: setup.python,
    logsDir: logsDirFor(args, runId),
    limits: setup.limits,
    parallel: setup.parallel,
    onProgress: (progress) => show(formatProgress(progress)),
    interrupted,
    onLost: (error) => {
      printProgress();
      exitWith(error);
    },
  };
  let outcome: RunOutcome;
  try {
    outcome = await executeRun(options);
  } finally {
    printProgress();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  printSummary(store, runId, outcome);
  return exitCodeFor(outcome);
};

/** Append to orch's log; a log that cannot be written stops orch, naming it (exit 5). */
const writeLog = (log: RotatingLog, line: string): void => {
  try {
    log.write(line);
  } catch (error) {
    exitWith(fileStorageFailure(error, log.path) ?? error);
  }
};

/** End this process now because of `error`, with the exit code it calls for. */
const exitWith = (error: unknown): never => {
  console.error(`orch: ${errorMessage(error)}`);
  return process.exit(exitCodeOfFailure(error) ?? EXIT.storage);
};

/** A second interrupt: record the run as interrupted where the store allows, and exit 130. */
const stopAtOnce = (store: Store, runId: string, why: string): never => {
  try {
    abandonRun(store, runId, why);
  } catch (error) {
    console.error(`orch: could not record run ${runId} as interrupted: ${errorMessage(error)}`);
  }
  console.log(`run ${runId} interrupted (${why}); resume it with: orch resume ${runId}`);
  return process.exit(EXIT.interrupted);
};

const exitCodeFor = (outcome: RunOutcome): number => {
  switch (outcome.status) {
    case "succeeded":
      return EXIT.ok;
    case "terminated":
      return EXIT.terminated;
    case "cancelled":
      return EXIT.cancelled;
    case "interrupted":
      return EXIT.interrupted;
    default:
      return EXIT.failed;
  }
};

const printSummary = (store: Store, runId: string, outcome: RunOutcome): void => {
  const parts = store.graph
    .statusCounts(runId)
    .map(({ status, n }) => `${n} ${status}`)
    .join(", ");
  console.log(`run ${runId} ${outcome.status}: ${parts}`);
  if (outcome.status === "terminated" && outcome.reason)
    console.log(`reason: ${printable(outcome.reason)}`);
  if (outcome.status === "interrupted") console.log(`resume it with: orch resume ${runId}`);
};
