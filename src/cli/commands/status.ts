import type { CommandModule } from "yargs";
import type { AttemptRow } from "../../store/rows.js";
import type { Store } from "../../store/store.js";
import { findRun, type GlobalArgs, openStore } from "../context.js";

interface StatusArgs extends GlobalArgs {
  readonly run?: string | undefined;
  readonly json?: boolean | undefined;
}

/** The `orch status --json` document (DESIGN §3). */
export const statusDocument = (store: Store, runId: string | undefined) => {
  const run = findRun(store, runId);
  const attempts = new Map<string, AttemptRow[]>();
  for (const a of store.attempts.listAttempts(run.id)) {
    const list = attempts.get(a.node_id);
    if (list) list.push(a);
    else attempts.set(a.node_id, [a]);
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
    nodes: store.graph.listNodes(run.id).map((node) => ({
      id: node.id,
      status: node.status,
      created_by: node.created_by,
      attempts: node.attempts,
      run: node.run,
      reason: node.reason,
      started_at: node.started_at,
      finished_at: node.finished_at,
      outputs: node.outputs === null ? null : (JSON.parse(node.outputs) as unknown),
      history: (attempts.get(node.id) ?? []).map((a) => ({
        attempt: a.attempt,
        status: a.status,
        started_at: a.started_at,
        finished_at: a.finished_at,
        exit_code: a.exit_code,
        signal: a.signal,
        reason: a.reason,
        log: a.log_path,
      })),
    })),
    edges: store.graph.listEdges(run.id).map((edge) => ({
      from: edge.from_id,
      to: edge.to_id,
      created_by: edge.created_by,
    })),
  };
};

export const statusCommand: CommandModule<object, StatusArgs> = {
  command: "status [run]",
  describe: "the run's state and every node's state (default: the latest run)",
  builder: (y) =>
    y
      .positional("run", { type: "string", describe: "the run id" })
      .option("json", { type: "boolean", describe: "print one JSON object" }) as never,
  handler: (args) => {
    const store = openStore(args, { readonly: true });
    try {
      const doc = statusDocument(store, args.run);
      if (args.json) {
        console.log(JSON.stringify(doc, null, 2));
        return;
      }
      console.log(`run ${doc.run.id}  ${doc.run.name}  ${doc.run.status}`);
      if (doc.run.reason) console.log(`reason: ${doc.run.reason}`);
      const width = Math.max(4, ...doc.nodes.map((n) => n.id.length));
      console.log(`${"NODE".padEnd(width)}  ${"STATUS".padEnd(9)}  ATTEMPTS  CREATED BY`);
      for (const node of doc.nodes) {
        const line = `${node.id.padEnd(width)}  ${node.status.padEnd(9)}  ${String(node.attempts).padEnd(8)}  ${node.created_by ?? "-"}`;
        console.log(node.reason ? `${line}  (${node.reason})` : line);
        if (node.history.length > 1) {
          for (const a of node.history) {
            const end = a.reason ? `: ${a.reason}` : "";
            console.log(`${" ".repeat(width)}    attempt ${a.attempt} ${a.status}${end}`);
          }
        }
      }
    } finally {
      store.close();
    }
  },
};
