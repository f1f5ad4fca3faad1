import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { setTimeout } from "node:timers/promises";
import type { CommandModule } from "yargs";
import { attemptFooter, attemptHeader, LOG_MISSING } from "../../log/node-log.js";
import type { AttemptRow, RunRow } from "../../store/rows.js";
import type { Store } from "../../store/store.js";
import { printable } from "../../util/printable.js";
import { findRun, type GlobalArgs, openStore } from "../context.js";
import { required, UsageError } from "../errors.js";

interface LogsArgs extends GlobalArgs {
  readonly run?: string | undefined;
  readonly node?: string | undefined;
  readonly follow?: boolean | undefined;
}

/** How often `--follow` looks for more of the log. */
const FOLLOW_INTERVAL_MS = 250;

const attemptsOf = (store: Store, run: RunRow, node: string | undefined): AttemptRow[] =>
  store.attempts.listAttempts(run.id).filter((a) => node === undefined || a.node_id === node);

/** The bytes of `path` from `offset` on (empty if the file is not there yet). */
const readFrom = (path: string, offset: number): Buffer => {
  if (!existsSync(path)) return Buffer.alloc(0);
  const size = statSync(path).size;
  if (size <= offset) return Buffer.alloc(0);
  const buffer = Buffer.alloc(size - offset);
  const fd = openSync(path, "r");
  try {
    return buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, offset));
  } finally {
    closeSync(fd);
  }
};

/**
 * Print each attempt's log as it grows: its header once, what was appended
 * since the last call, and the reason once the attempt has ended. A header and
 * a reason are orch's lines: what a task put in them is escaped.
 */
class LogPrinter {
  readonly #printed = new Map<string, number>();
  readonly #ended = new Set<string>();

  print(attempts: readonly AttemptRow[]): void {
    for (const attempt of attempts) {
      const key = `${attempt.node_id}\u0000${attempt.attempt}`;
      if (this.#ended.has(key)) continue;
      let offset = this.#printed.get(key);
      if (offset === undefined) {
        console.log(attemptHeader(attempt.node_id, attempt.attempt, attempt.status));
        offset = 0;
      }
      const bytes = readFrom(attempt.log_path, offset);
      process.stdout.write(bytes);
      this.#printed.set(key, offset + bytes.length);
      if (attempt.finished_at === null) continue;
      this.#ended.add(key);
      if (offset + bytes.length > 0 && bytes.at(-1) !== 0x0a) process.stdout.write("\n");
      if (offset + bytes.length === 0 && !existsSync(attempt.log_path)) console.log(LOG_MISSING);
      if (attempt.reason) console.log(attemptFooter(attempt.reason));
    }
  }
}

const SETTLED = new Set(["succeeded", "failed", "blocked", "skipped", "cancelled"]);

/** Whether the run, or the one node, may still write to a log. */
const stillGoing = (store: Store, run: RunRow, node: string | undefined): boolean => {
  if (store.runs.getRun(run.id)?.status !== "running") return false;
  if (node === undefined) return true;
  const status = store.graph.listNodes(run.id).find((n) => n.id === node)?.status;
  const unfinished = attemptsOf(store, run, node).some((a) => a.finished_at === null);
  return unfinished || !SETTLED.has(status ?? "pending");
};

export const logsCommand: CommandModule<object, LogsArgs> = {
  command: "logs [run] [node]",
  describe: "what the task(s) wrote to stderr, and their protocol log messages",
  builder: (y) =>
    y
      .positional("run", { type: "string", describe: "the run id" })
      .positional("node", { type: "string", describe: "only this node" })
      .option("follow", {
        alias: "f",
        type: "boolean",
        describe: "keep printing what is written until the node (or the run) ends",
      }) as never,
  handler: async (args) => {
    const runId = required(args.run, "RUN", "orch logs RUN [NODE] [--follow]");
    const store = openStore(args, { readonly: true });
    try {
      const run = findRun(store, runId);
      const attempts = attemptsOf(store, run, args.node);
      if (args.node !== undefined && attempts.length === 0 && !args.follow) {
        const known = store.graph.listNodes(run.id).some((n) => n.id === args.node);
        throw new UsageError(
          known
            ? `node ${printable(args.node)} of run ${run.id} has not run yet`
            : `run ${run.id} has no node ${printable(args.node)}`,
        );
      }
      const printer = new LogPrinter();
      printer.print(attempts);
      while (args.follow && stillGoing(store, run, args.node)) {
        await setTimeout(FOLLOW_INTERVAL_MS);
        printer.print(attemptsOf(store, run, args.node));
      }
      if (args.follow) printer.print(attemptsOf(store, run, args.node));
    } finally {
      store.close();
    }
  },
};
