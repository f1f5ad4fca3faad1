import { relative } from "node:path";
import type { CommandModule } from "yargs";
import { resolveRunParams } from "../../data/run-params.js";
import { newRunId, RUN_ID_PATTERN, registerRun } from "../../engine/register.js";
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
  readonly detach?: boolean | undefined;
}

/** SQLite's answer to a second row with the same key (better-sqlite3 gives its code). */
const isUniqueViolation = (error: unknown): boolean =>
  error instanceof Error &&
  "code" in error &&
  (error.code === "SQLITE_CONSTRAINT_PRIMARYKEY" || error.code === "SQLITE_CONSTRAINT_UNIQUE");

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
      .option("detach", {
        type: "boolean",
        describe: "hand the run to the daemon (`orch daemon`) and return at once",
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
    if (args.detach) {
      const { submitToDaemon } = await import("../daemon-client.js");
      const submitted = await submitToDaemon(args, {
        workflow: loaded.value.file,
        run_id: runId,
        ...(args.parallel === undefined ? {} : { parallel: args.parallel }),
        ...(Object.keys(params.params).length === 0 ? {} : { params: params.params }),
      });
      console.log(submitted.run_id);
      return;
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
          { ...setup, runParams: params.params },
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
