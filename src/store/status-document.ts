import { DEFAULT_LOOP_MAX } from "../graph/graph.js";
import { MutationEventSchema, type NodeAdded } from "../state/events.js";
import type { Db } from "./db.js";
import { jsonObjectSql, registerValueCheck } from "./json-sql.js";
import {
  AttemptStateSchema,
  EdgeStateSchema,
  type NodeState,
  NodeStateSchema,
  RunStateSchema,
  type StatusDocument,
  StatusDocumentSchema,
} from "./rows.js";

/** A node a running attempt has added, as the status document shows it. */
const provisionalNode = (event: NodeAdded): NodeState => ({
  id: event.id,
  status: "pending",
  created_by: event.created_by,
  provisional: true,
  attempts: 0,
  run: event.run,
  reason: null,
  started_at: null,
  finished_at: null,
  next_attempt_at: null,
  outputs: null,
  inputs: null,
  ask: null,
  trigger: event.trigger ?? null,
  iteration: null,
  history: [],
});

/**
 * The `orch status --json` document of a run as SQLite writes it: its nodes and
 * edges in creation order, those a running task has added so far marked
 * provisional, each node with every attempt, oldest first. One
 * statement, so a commit of the live run cannot fall between its parts.
 *
 * Creation order comes from scanning the `(run_id, seq)` indexes, which
 * `INDEXED BY` insists on (the statement fails to prepare without them):
 * SQLite feeds an aggregate its rows in the order of the scan. An `ORDER BY`
 * inside `json_group_array` says the same thing, but sorts all 30,000 rows of
 * a 10,000-node run again, a third of the query's time. A test pins the order
 * down with seq, rowid and id orders all different.
 */
export const statusQueries = (db: Db) => {
  registerValueCheck(db);
  const history = `(SELECT json_group_array(${jsonObjectSql(
    AttemptStateSchema,
    { table: "attempts", alias: "a", key: "n.id || ' attempt ' || a.attempt" },
    { log: "a.log_path" },
  )} ORDER BY a.attempt) FROM attempts a WHERE a.run_id = @run AND a.node_id = n.id)`;
  const nodes = `(SELECT json_group_array(${jsonObjectSql(
    NodeStateSchema,
    { table: "nodes", alias: "n", key: "n.id" },
    {
      provisional: "0",
      outputs: { json: "n.outputs" },
      inputs: { json: "n.inputs" },
      ask: { json: "CASE WHEN n.status = 'waiting' THEN n.ask END" },
      history,
    },
  )}) FROM nodes n INDEXED BY nodes_by_seq WHERE n.run_id = @run)`;
  const edges = `(SELECT json_group_array(${jsonObjectSql(
    EdgeStateSchema,
    { table: "edges", alias: "e", key: "e.from_id || ' -> ' || e.to_id" },
    {
      from: "e.from_id",
      to: "e.to_id",
      provisional: "0",
      loop: "e.loop_max IS NOT NULL",
      max: "e.loop_max",
    },
  )}) FROM edges e INDEXED BY edges_by_seq WHERE e.run_id = @run)`;
  const run = jsonObjectSql(RunStateSchema, { table: "runs", alias: "r", key: "r.id" });
  const document = db
    .prepare(
      `SELECT json_object('run', ${run}, 'nodes', ${nodes}, 'edges', ${edges}) FROM runs r WHERE r.id = @run`,
    )
    .pluck();

  const staged = db
    .prepare("SELECT payload FROM staged INDEXED BY staged_by_run WHERE run_id = ? ORDER BY id")
    .pluck();

  /**
   * The document as compact JSON text, or undefined when there is no such run.
   * What running attempts have staged follows the committed nodes and edges,
   * marked provisional; both are read in one transaction.
   */
  const statusJson = db.transaction((runId: string): string | undefined => {
    const text = document.get({ run: runId });
    if (typeof text !== "string") return undefined;
    const mutations = staged.all(runId);
    if (mutations.length === 0) return text;
    const doc = StatusDocumentSchema.parse(JSON.parse(text));
    for (const payload of mutations) {
      const event = MutationEventSchema.parse(JSON.parse(String(payload)));
      if (event.type === "node_added") doc.nodes.push(provisionalNode(event));
      else if (event.type === "edge_added")
        doc.edges.push({
          from: event.from,
          to: event.to,
          created_by: event.created_by,
          provisional: true,
          loop: event.loop === true,
          max: event.loop === true ? (event.max ?? DEFAULT_LOOP_MAX) : null,
        });
    }
    return JSON.stringify(doc);
  });
  return {
    statusJson,
    /** The same document as objects, validated once more by zod. */
    statusDocument: (runId: string): StatusDocument | undefined => {
      const text = statusJson(runId);
      return text === undefined ? undefined : StatusDocumentSchema.parse(JSON.parse(text));
    },
  };
};
