import type { CommandModule } from "yargs";
import { prepareResume } from "../../engine/resume.js";
import { findRun, openStore } from "../context.js";
import { UsageError } from "../errors.js";
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
  command: "resume <run>",
  describe: "carry on an interrupted run from what was committed",
  builder: (y) =>
    y
      .positional("run", { type: "string", demandOption: true, describe: "the run id" })
      .options(executionOptions) as never,
  handler: async (args) => {
    const store = openStore(args);
    try {
      const run = findRun(store, args.run);
      if (run.status !== "running" && run.status !== "interrupted") {
        throw new UsageError(
          `run ${run.id} has ended (${run.status}); only running or interrupted runs can be resumed`,
        );
      }
      if (run.owner_pid !== null && run.owner_pid !== process.pid && isAlive(run.owner_pid)) {
        throw new UsageError(
          `run ${run.id} is being executed by another orch process (pid ${run.owner_pid})`,
        );
      }
      const setup = prepareExecution(args);
      prepareResume(store, run.id);
      console.log(`run ${run.id} resumed: ${run.name}`);
      process.exitCode = await runInForeground(store, run.id, run.workflow, setup, args);
    } finally {
      store.close();
    }
  },
};

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};
