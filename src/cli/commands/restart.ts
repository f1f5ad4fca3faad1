import { dirname } from "node:path";
import type { CommandModule } from "yargs";
import { commandGiver } from "../../engine/give-command.js";
import { limitsOfRun } from "../../engine/limits.js";
import { liveOwner } from "../../engine/ownership.js";
import { prepareRestart } from "../../engine/restart.js";
import { prepareResume } from "../../engine/resume.js";
import { findRun, openStore } from "../context.js";
import { required, UsageError } from "../errors.js";
import { runCommand } from "./control.js";
import {
  type ExecutionArgs,
  executionOptions,
  prepareExecution,
  runInForeground,
} from "./execution.js";

interface RestartArgs extends ExecutionArgs {
  readonly run?: string | undefined;
  readonly node?: string | undefined;
}

export const restartCommand: CommandModule<object, RestartArgs> = {
  command: "restart [run] [node]",
  describe: "run NODE and everything downstream of it again",
  builder: (y) =>
    y
      .positional("run", { type: "string", describe: "the run id" })
      .positional("node", { type: "string", describe: "the node to run again" })
      .options(executionOptions) as never,
  handler: async (args) => {
    const usage = "orch restart RUN NODE";
    const runId = required(args.run, "RUN", usage);
    const node = required(args.node, "NODE", usage);
    const store = openStore(args);
    try {
      const run = findRun(store, runId);
      if (liveOwner(run) !== null) {
        process.exitCode = await runCommand(store, run.id, usage, {
          command: "restart",
          node,
          value: null,
        });
        return;
      }
      const setup = prepareExecution(args, limitsOfRun(run), run.parallel);
      // What a dead executor left running is lost first, as on resume.
      if (store.attempts.runningAttempts(run.id).length > 0) {
        const resumed = await prepareResume(
          store,
          run.id,
          { python: setup.python, dir: dirname(run.workflow) },
          commandGiver(),
        );
        if (!resumed.ok)
          throw new UsageError(`run ${run.id} is being executed by another orch process`);
      }
      const claim = prepareRestart(store, run.id, node, commandGiver());
      if (!claim.ok) {
        throw new UsageError(
          "problem" in claim
            ? `cannot restart: ${claim.problem}`
            : `run ${run.id} is being executed by another orch process (pid ${claim.pid})`,
        );
      }
      console.log(`run ${run.id} restarted at ${node}: ${run.name}`);
      process.exitCode = await runInForeground(store, run.id, run.workflow, setup, args);
    } finally {
      store.close();
    }
  },
};
