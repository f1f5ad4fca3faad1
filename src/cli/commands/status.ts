import { setTimeout } from "node:timers/promises";
import type { CommandModule } from "yargs";
import type { StatusDocument } from "../../store/rows.js";
import type { Store } from "../../store/store.js";
import { findRun, type GlobalArgs, openStore, printJsonText } from "../context.js";
import { statusTable } from "../status-table.js";

interface StatusArgs extends GlobalArgs {
  readonly run?: string | undefined;
  readonly json?: boolean | undefined;
  readonly watch?: boolean | undefined;
}

/** How often `--watch` reads the run again. */
const WATCH_INTERVAL_MS = 1000;
/** Cursor home and clear screen: each redraw replaces the last on a terminal. */
const CLEAR_SCREEN = "\u001b[H\u001b[2J";

/**
 * Print the table again whenever it changes, until the run is no longer
 * `running`: redrawn in place on a terminal, one table after another otherwise.
 */
const watch = async (store: Store, runId: string | undefined): Promise<void> => {
  const run = findRun(store, runId);
  let shown = "";
  for (;;) {
    const doc = statusDocument(store, run.id);
    const table = statusTable(doc);
    if (table !== shown) {
      process.stdout.write(process.stdout.isTTY ? `${CLEAR_SCREEN}${table}` : `${table}\n`);
      shown = table;
    }
    if (doc.run.status !== "running") return;
    await setTimeout(WATCH_INTERVAL_MS);
  }
};

/** What `read` gives for the run a command names (or the latest one). */
const ofRun = <T>(
  store: Store,
  runId: string | undefined,
  read: (runId: string) => T | undefined,
): T => {
  const run = findRun(store, runId);
  const value = read(run.id);
  if (value === undefined) throw new Error(`run ${run.id} vanished while it was read`);
  return value;
};

/** The `orch status --json` text of a run, as SQLite builds it. */
export const statusJson = (store: Store, runId: string | undefined): string =>
  ofRun(store, runId, store.status.statusJson);

/** The same document as objects, for the table and for tests. */
export const statusDocument = (store: Store, runId: string | undefined): StatusDocument =>
  ofRun(store, runId, store.status.statusDocument);

export const statusCommand: CommandModule<object, StatusArgs> = {
  command: "status [run]",
  describe: "the run's state and every node's state (default: the latest run)",
  builder: (y) =>
    y
      .positional("run", { type: "string", describe: "the run id" })
      .option("json", {
        type: "boolean",
        describe: "print one JSON object (indented on a terminal, compact otherwise)",
      })
      .option("watch", {
        type: "boolean",
        describe: "redraw the table until the run ends",
        conflicts: "json",
      }) as never,
  handler: async (args) => {
    const store = openStore(args, { readonly: true });
    try {
      if (args.watch) {
        await watch(store, args.run);
        return;
      }
      if (args.json) {
        printJsonText(statusJson(store, args.run));
        return;
      }
      process.stdout.write(statusTable(statusDocument(store, args.run)));
    } finally {
      store.close();
    }
  },
};
