import { dirname } from "node:path";
import { type EngineOptions, executeRun, type RunOutcome } from "../../engine/execute.js";
import { resolvePython } from "../../engine/python.js";
import type { Store } from "../../store/store.js";
import { EXIT, UsageError } from "../errors.js";
import { type GlobalArgs, logsDirFor } from "../context.js";
import { formatProgress } from "../progress-printer.js";

export interface ExecutionArgs extends GlobalArgs {
  readonly python?: string | undefined;
  readonly "max-line"?: number | undefined;
}

export const DEFAULT_MAX_LINE = 1024 * 1024;

export const executionOptions = {
  python: { type: "string", describe: "Python interpreter for tasks (default: $ORCH_PYTHON, else python3 on PATH)" },
  "max-line": { type: "number", describe: "longest stdout line a task may write, in characters", default: DEFAULT_MAX_LINE },
} as const;

export const interpreter = (args: ExecutionArgs): string => {
  try {
    return resolvePython(args.python);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
};

/** Run a registered run in the foreground until it ends; SIGINT/SIGTERM interrupt it. */
export const runInForeground = async (
  store: Store,
  runId: string,
  workflowFile: string,
  python: string,
  args: ExecutionArgs,
): Promise<number> => {
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const interrupted = new Promise<string>((resolve) => {
    onSignal = (signal) => resolve(`received ${signal}`);
  });
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const options: EngineOptions = {
    store,
    runId,
    dir: dirname(workflowFile),
    python,
    logsDir: logsDirFor(args, runId),
    maxLineLength: args["max-line"] ?? DEFAULT_MAX_LINE,
    onProgress: (progress) => console.log(formatProgress(progress)),
    interrupted,
  };
  let outcome: RunOutcome;
  try {
    outcome = await executeRun(options);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  printSummary(store, runId, outcome);
  return exitCodeFor(outcome);
};

const exitCodeFor = (outcome: RunOutcome): number => {
  switch (outcome.status) {
    case "succeeded":
      return EXIT.ok;
    case "terminated":
      return EXIT.terminated;
    case "interrupted":
      return EXIT.interrupted;
    default:
      return EXIT.failed;
  }
};

const printSummary = (store: Store, runId: string, outcome: RunOutcome): void => {
  const counts = new Map<string, number>();
  for (const node of store.graph.listNodes(runId)) counts.set(node.status, (counts.get(node.status) ?? 0) + 1);
  const parts = [...counts].map(([status, n]) => `${n} ${status}`).join(", ");
  console.log(`run ${runId} ${outcome.status}: ${parts}`);
  if (outcome.status === "terminated" && outcome.reason) console.log(`reason: ${outcome.reason}`);
  if (outcome.status === "interrupted") console.log(`resume it with: orch resume ${runId}`);
};
