import type { CommandModule } from "yargs";
import type { StatusDocument } from "../../store/rows.js";
import type { Store } from "../../store/store.js";
import { findRun, type GlobalArgs, openStore, printJsonText } from "../context.js";

interface StatusArgs extends GlobalArgs {
  readonly run?: string | undefined;
  readonly json?: boolean | undefined;
}

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

/** The `orch status --json` text of a run (DESIGN §3), as SQLite builds it. */
export const statusJson = (store: Store, runId: string | undefined): string =>
  ofRun(store, runId, store.status.statusJson);

/** The same document as objects, for the table and for tests. */
export const statusDocument = (store: Store, runId: string | undefined): StatusDocument =>
  ofRun(store, runId, store.status.statusDocument);

export const statusCommand: CommandModule<object, StatusArgs> = {
  command: "status [run]",
  describe: "the run's state and every node's state (default: the latest run)",
  builder: (y) =>
    y.positional("run", { type: "string", describe: "the run id" }).option("json", {
      type: "boolean",
      describe: "print one JSON object (indented on a terminal, compact otherwise)",
    }) as never,
  handler: (args) => {
    const store = openStore(args, { readonly: true });
    try {
      if (args.json) {
        printJsonText(statusJson(store, args.run));
        return;
      }
      const doc = statusDocument(store, args.run);
      const lines = [
        `run ${doc.run.id}  ${doc.run.name}  ${doc.run.status}  (parallel ${doc.run.parallel})`,
      ];
      if (doc.run.reason) lines.push(`reason: ${doc.run.reason}`);
      const width = doc.nodes.reduce((w, n) => Math.max(w, n.id.length), 4);
      lines.push(`${"NODE".padEnd(width)}  ${"STATUS".padEnd(9)}  ATTEMPTS  CREATED BY`);
      for (const node of doc.nodes) {
        const line = `${node.id.padEnd(width)}  ${node.status.padEnd(9)}  ${String(node.attempts).padEnd(8)}  ${node.created_by ?? "-"}`;
        const notes = [
          ...(node.provisional ? [`provisional until ${node.created_by} succeeds`] : []),
          ...(node.next_attempt_at ? [`next attempt at ${node.next_attempt_at}`] : []),
          ...(node.reason ? [node.reason] : []),
        ];
        lines.push(notes.length > 0 ? `${line}  (${notes.join("; ")})` : line);
        if (node.history.length > 1) {
          for (const a of node.history) {
            const end = a.reason ? `: ${a.reason}` : "";
            lines.push(`${" ".repeat(width)}    attempt ${a.attempt} ${a.status}${end}`);
          }
        }
      }
      process.stdout.write(`${lines.join("\n")}\n`);
    } finally {
      store.close();
    }
  },
};
