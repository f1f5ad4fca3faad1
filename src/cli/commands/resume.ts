import { dirname } from "node:path";
import type { CommandModule } from "yargs";
import { commandGiver } from "../../engine/give-command.js";
import { keepLimits, limitsOfRun } from "../../engine/limits.js";
import { liveOwner } from "../../engine/ownership.js";
import { prepareResume } from "../../engine/resume.js";
import { ENDED_RUN_STATUSES } from "../../state/run-status.js";
import { findRun, openStore } from "../context.js";
import { required, UsageError } from "../errors.js";
import { runCommand } from "./control.js";
import {
  type ExecutionArgs,
  executionOptions,
  prepareExecution,
  runInForeground,
} from "./execution.js";

interface ResumeArgs extends ExecutionArgs {
  readonly run: string;
}

export const resumeCommand: CommandModule<object, ResumeArgs> = {
  command: "resume [run]",
  describe: "carry on an interrupted run from what was committed, or un-pause a paused one",
  builder: (y) =>
    y
      .positional("run", { type: "string", describe: "the run id" })
      .options(executionOptions) as never,
  handler: async (args) => {
    const runId = required(args.run, "RUN", "orch resume RUN");
    const store = openStore(args);
    try {
      const run = findRun(store, runId);
      if (ENDED_RUN_STATUSES.includes(run.status)) {
        throw new UsageError(
          `run ${run.id} has ended (${run.status}); only running, paused or interrupted runs can be resumed`,
        );
      }
      const owner = liveOwner(run);
      if (owner !== null) {
        // A paused run: the process executing it takes the command and carries on.
        if (run.status === "paused") {
          process.exitCode = await runCommand(store, run.id, "orch resume RUN", {
            command: "resume",
            node: null,
            value: null,
          });
          return;
        }
        console.log(`run ${run.id} is running already (orch process ${owner} executes it)`);
        return;
      }
      const setup = prepareExecution(args, limitsOfRun(run), run.parallel);
      const claim = await prepareResume(
        store,
        run.id,
        { python: setup.python, dir: dirname(run.workflow) },
        commandGiver(),
      );
      if (!claim.ok) {
        throw new UsageError(
          `run ${run.id} is being executed by another orch process (pid ${claim.pid})`,
        );
      }
      // Limits and parallelism given to this resume stay with the run for the next one.
      store.transaction(() => {
        keepLimits(store, run.id, setup.limits);
        store.runs.setRunParallel(run.id, setup.parallel);
      });
      console.log(`run ${run.id} resumed: ${run.name}`);
      process.exitCode = await runInForeground(store, run.id, run.workflow, setup, args);
    } finally {
      store.close();
    }
  },
};
