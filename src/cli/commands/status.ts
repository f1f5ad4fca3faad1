import type { CommandModule } from "yargs";
import type { AttemptRow } from "../../store/rows.js";
import type { Store } from "../../store/store.js";
import { findRun, type GlobalArgs, openStore, printJson } from "../context.js";

interface StatusArgs extends GlobalArgs {
  readonly run?: string | undefined;
  readonly json?: boolean | undefined;
}

/** One attempt of a node, as `orch status` lists it. */
const attemptEntry = (a: AttemptRow) => ({
  attempt: a.attempt,
  status: a.status,
  started_at: a.started_at,
  finished_at: a.finished_at,
  exit_code: a.exit_code,
  signal: a.signal,
  reason: a.reason,
  log: a.log_path,
});

/**
 * The `orch status --json` document (DESIGN §3), read in one transaction so that
 * a live run's commit cannot fall between its parts.
 */
export const statusDocument = (store: Store, runId: string | undefined) =>
  store.db.transaction(() => {
    const run = findRun(store, runId);
    const history = new Map<string, ReturnType<typeof attemptEntry>[]>();
    for (const a of store.attempts.listAttempts(run.id)) {
      const list = history.get(a.node_id);
      if (list) list.push(attemptEntry(a));
      else history.set(a.node_id, [attemptEntry(a)]);
    }
    return {
      run: {
        id: run.id,
        workflow: run.workflow,
        name: run.name,
        status: run.status,
        reason: run.reason,
        created_at: run.created_at,
        updated_at: run.updated_at,
      },
      // Every attempt of each node, oldest first; most nodes of a live run have none yet.
      nodes: store.graph
        .nodeStates(run.id)
        .map((node) => Object.assign(node, { history: history.get(node.id) ?? [] })),
      edges: store.graph.edgeStates(run.id),
    };
  })();

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
      const doc = statusDocument(store, args.run);
      if (args.json) {
        printJson(doc);
        return;
      }
      const lines = [`run ${doc.run.id}  ${doc.run.name}  ${doc.run.status}`];
      if (doc.run.reason) lines.push(`reason: ${doc.run.reason}`);
      const width = doc.nodes.reduce((w, n) => Math.max(w, n.id.length), 4);
      lines.push(`${"NODE".padEnd(width)}  ${"STATUS".padEnd(9)}  ATTEMPTS  CREATED BY`);
      for (const node of doc.nodes) {
        const line = `${node.id.padEnd(width)}  ${node.status.padEnd(9)}  ${String(node.attempts).padEnd(8)}  ${node.created_by ?? "-"}`;
        lines.push(node.reason ? `${line}  (${node.reason})` : line);
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
