import { COMMITTED_ROW } from "./commit-mark.js";
import type { Db } from "./db.js";
import {
  type EdgeRow,
  EdgeRowSchema,
  type EdgeState,
  EdgeStatesSchema,
  type NodeRow,
  NodeRowSchema,
  type NodeState,
  NodeStatesSchema,
  type StatusCount,
  StatusCountSchema,
} from "./rows.js";

/** Read-side queries over the projections: committed rows only. */
export const graphQueries = (db: Db) => {
  const nodes = db.prepare(
    `SELECT id, seq, run, created_by, status, attempts, reason, outputs, started_at, finished_at
     FROM nodes WHERE run_id = @run AND ${COMMITTED_ROW} ORDER BY seq`,
  );
  const edges = db.prepare(
    `SELECT from_id, to_id, created_by FROM edges WHERE run_id = @run AND ${COMMITTED_ROW}
     ORDER BY seq`,
  );
  // `orch status` on a 10,000-node run reads 30,000 rows while the run executes:
  // SQLite builds them as one JSON text per table (its C beats a JavaScript
  // object per row by ~4×), parsed once and validated by one schema per row shape.
  const nodeStates = db
    .prepare(
      `SELECT json_group_array(json_object(
         'id', id, 'status', status, 'created_by', created_by, 'attempts', attempts,
         'run', run, 'reason', reason, 'started_at', started_at,
         'finished_at', finished_at, 'outputs', json(outputs)) ORDER BY seq)
       FROM nodes WHERE run_id = @run AND ${COMMITTED_ROW}`,
    )
    .pluck();
  const edgeStates = db
    .prepare(
      `SELECT json_group_array(json_object('from', from_id, 'to', to_id, 'created_by', created_by)
         ORDER BY seq)
       FROM edges WHERE run_id = @run AND ${COMMITTED_ROW}`,
    )
    .pluck();
  const statusCounts = db.prepare(
    `SELECT status, COUNT(*) AS n FROM nodes WHERE run_id = @run AND ${COMMITTED_ROW}
     GROUP BY status ORDER BY MIN(seq)`,
  );
  return {
    /** How many nodes of a run are in each status, statuses in order of first appearance. */
    statusCounts: (runId: string): StatusCount[] =>
      statusCounts.all({ run: runId }).map((row) => StatusCountSchema.parse(row)),
    listNodes: (runId: string): NodeRow[] =>
      nodes.all({ run: runId }).map((row) => NodeRowSchema.parse(row)),
    listEdges: (runId: string): EdgeRow[] =>
      edges.all({ run: runId }).map((row) => EdgeRowSchema.parse(row)),
    /** Every committed node of a run in creation order, as `orch status` prints it. */
    nodeStates: (runId: string): NodeState[] =>
      NodeStatesSchema.parse(JSON.parse(nodeStates.get({ run: runId }) as string)),
    /** Every committed edge of a run in creation order, as `orch status` prints it. */
    edgeStates: (runId: string): EdgeState[] =>
      EdgeStatesSchema.parse(JSON.parse(edgeStates.get({ run: runId }) as string)),
  };
};
