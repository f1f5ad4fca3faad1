import { relative } from "node:path";
import type { CommandModule } from "yargs";
import { newRunId, registerRun } from "../../engine/register.js";
import { NODE_ID_PATTERN } from "../../graph/ids.js";
import { formatIssues, loadWorkflow } from "../../workflow/load.js";
import { openStore } from "../context.js";
import { UsageError } from "../errors.js";
import {
  type ExecutionArgs,
  executionOptions,
  prepareExecution,
  runInForeground,
} from "./execution.js";

interface StartArgs extends ExecutionArgs {
  readonly workflow: string;
  readonly "run-id"?: string | undefined;
  readonly detach?: boolean | undefined;
}

export const startCommand: CommandModule<object, StartArgs> = {
  command: "start <workflow>",
  describe: "validate, register and run a workflow to the end in the foreground",
  builder: (y) =>
    y
      .positional("workflow", {
        type: "string",
        demandOption: true,
        describe: "the workflow JSON file",
      })
      .option("run-id", { type: "string", describe: "id for the new run (default: generated)" })
      .option("detach", {
        type: "boolean",
        describe: "hand the run to the daemon (`orch daemon`) and return at once",
      })
      .options(executionOptions) as never,
  handler: async (args) => {
    const loaded = loadWorkflow(args.workflow);
    if (!loaded.ok) throw new UsageError(formatIssues(loaded.file, loaded.issues));
    const runId = args["run-id"] ?? newRunId();
    if (!NODE_ID_PATTERN.test(runId)) {
      throw new UsageError(
        `--run-id ${JSON.stringify(runId)}: expected 1–128 letters, digits and ._:-`,
      );
    }
    if (args.detach) {
      const { submitToDaemon } = await import("../daemon-client.js");
      const submitted = await submitToDaemon(args, { workflow: loaded.value.file, run_id: runId });
      console.log(submitted.run_id);
      return;
    }
    const setup = prepareExecution(args);
    const store = openStore(args);
    try {
      if (store.runs.getRun(runId)) throw new UsageError(`a run with id ${runId} already exists`);
      registerRun(
        store,
        loaded.value,
        runId,
        relative(process.cwd(), loaded.value.file) || loaded.value.file,
        setup.limits,
      );
      console.log(`run ${runId} started: ${loaded.value.workflow.name} (${args.workflow})`);
      process.exitCode = await runInForeground(store, runId, loaded.value.file, setup, args);
    } finally {
      store.close();
    }
  },
};
