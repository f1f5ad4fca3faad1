import type { CommandModule } from "yargs";
import { attemptLogs, formatAttemptLogs } from "../../log/node-log.js";
import { findRun, type GlobalArgs, openStore } from "../context.js";
import { UsageError } from "../errors.js";

interface LogsArgs extends GlobalArgs {
  readonly run: string;
  readonly node?: string | undefined;
}

export const logsCommand: CommandModule<object, LogsArgs> = {
  command: "logs <run> [node]",
  describe: "what the task(s) wrote to stderr, and their protocol log messages",
  builder: (y) =>
    y
      .positional("run", { type: "string", demandOption: true, describe: "the run id" })
      .positional("node", { type: "string", describe: "only this node" }) as never,
  handler: (args) => {
    const store = openStore(args, { readonly: true });
    try {
      const run = findRun(store, args.run);
      const attempts = attemptLogs(store, run.id, args.node);
      if (args.node !== undefined && attempts.length === 0) {
        const known = store.graph.listNodes(run.id).some((n) => n.id === args.node);
        throw new UsageError(
          known
            ? `node ${args.node} of run ${run.id} has not run yet`
            : `run ${run.id} has no node ${args.node}`,
        );
      }
      process.stdout.write(formatAttemptLogs(attempts));
    } finally {
      store.close();
    }
  },
};
