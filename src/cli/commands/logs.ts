import { existsSync, readFileSync } from "node:fs";
import type { CommandModule } from "yargs";
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
      const attempts = store.attempts
        .listAttempts(run.id)
        .filter((a) => args.node === undefined || a.node_id === args.node);
      if (args.node !== undefined && attempts.length === 0) {
        const known = store.graph.listNodes(run.id).some((n) => n.id === args.node);
        throw new UsageError(
          known
            ? `node ${args.node} of run ${run.id} has not run yet`
            : `run ${run.id} has no node ${args.node}`,
        );
      }
      for (const attempt of attempts) {
        console.log(`== ${attempt.node_id} attempt ${attempt.attempt} (${attempt.status}) ==`);
        const text = existsSync(attempt.log_path)
          ? readFileSync(attempt.log_path, "utf8")
          : "(log file missing)\n";
        process.stdout.write(text.endsWith("\n") || text === "" ? text : `${text}\n`);
        if (attempt.reason) console.log(`-- ${attempt.reason}`);
      }
    } finally {
      store.close();
    }
  },
};
