import { relative } from "node:path";
import type { CommandModule } from "yargs";
import { resolveRunParams } from "../../data/run-params.js";
import { registerRun } from "../../engine/register.js";
import { printable } from "../../util/printable.js";
import { formatIssues, loadWorkflow } from "../../workflow/load.js";
import { openStore } from "../context.js";
import { required, UsageError } from "../errors.js";
import {
  type ExecutionArgs,
  executionOptions,
  prepareExecution,
  runInForeground,
} from "./execution.js";

interface StartArgs extends ExecutionArgs {
  readonly workflow?: string | undefined;
  readonly "run-id"?: string | undefined;
  readonly param?: readonly string[] | undefined;
}

/** Run ids: 1–128 letters, digits and `._:-`, not starting with `.` (so never `.` or `..`). */
const RUN_ID_PATTERN = /^(?!\.)[A-Za-z0-9._:-]{1,128}$/;

/** SQLite's answer to a second row with the same key (better-sqlite3 gives its code). */
const isUniqueViolation = (error: unknown): boolean =>
  error instanceof Error &&
  "code" in error &&
  (error.code === "SQLITE_CONSTRAINT_PRIMARYKEY" || error.code === "SQLITE_CONSTRAINT_UNIQUE");

/** A readable, sortable, unique-enough id: `20261121-235959-3f9a`. */
const newRunId = (): string => {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${Math.random().toString(16).slice(2, 6)}`;
};

export const startCommand: CommandModule<object, StartArgs> = {
  command: "start [workflow]",
  describe: "validate, register and run a workflow to the end in the foreground",
  builder: (y) =>
    y
      .positional("workflow", {
        type: "string",
        describe: "the workflow: a JSON file, or a Python file (pipeline.py or pipeline.py:NAME)",
      })
      .option("run-id", { type: "string", describe: "id for the new run (default: generated)" })
      .option("param", {
        type: "string",
        array: true,
        describe:
          "a run parameter, NAME=VALUE (VALUE as JSON when it parses, else text); repeatable",
      })
      .options(executionOptions) as never,
  handler: async (args) => {
    const file = required(args.workflow, "WORKFLOW", "orch start WORKFLOW.json [--run-id ID]");
    const loaded = loadWorkflow(file);
    if (!loaded.ok) throw new UsageError(formatIssues(loaded.file, loaded.issues));
    const params = resolveRunParams(loaded.value.workflow.params, args.param ?? []);
    if (!params.ok) throw new UsageError(params.problems.join("\n"));
    const runId = args["run-id"] ?? newRunId();
    if (!RUN_ID_PATTERN.test(runId)) {
      throw new UsageError(
        `--run-id ${JSON.stringify(printable(runId))}: expected 1–128 letters, digits and ._:-, not starting with "."`,
      );
    }
    const setup = prepareExecution(args, undefined, loaded.value.workflow.parallel ?? 1);
    const store = openStore(args);
    try {
      if (store.runs.getRun(runId)) throw new UsageError(`a run with id ${runId} already exists`);
      try {
        registerRun(
          store,
          loaded.value,
          runId,
          relative(process.cwd(), loaded.value.file) || loaded.value.file,
          setup,
          params.params,
        );
      } catch (error) {
        // Another `orch start --run-id` of the same id got there between the check and here.
        if (isUniqueViolation(error) && store.runs.getRun(runId) !== undefined)
          throw new UsageError(`a run with id ${runId} already exists`);
        throw error;
      }
      console.log(`run ${runId} started: ${loaded.value.workflow.name} (${file})`);
      process.exitCode = await runInForeground(store, runId, loaded.value.file, setup, args);
    } finally {
      store.close();
    }
  },
};
