import type { Db } from "./db.js";
import { type EdgeRow, EdgeRowSchema, type NodeRow, NodeRowSchema } from "./rows.js";

/** Read-side queries over the projections, for `orch status`. */
export const graphQueries = (db: Db) => {
  const nodes = db.prepare(
    `SELECT id, seq, run, created_by, status, attempts, reason, outputs, started_at, finished_at
     FROM nodes WHERE run_id = ? ORDER BY seq`,
  );
  const edges = db.prepare(
    "SELECT from_id, to_id, created_by FROM edges WHERE run_id = ? ORDER BY seq",
  );
  return {
    listNodes: (runId: string): NodeRow[] =>
      nodes.all(runId).map((row) => NodeRowSchema.parse(row)),
    listEdges: (runId: string): EdgeRow[] =>
      edges.all(runId).map((row) => EdgeRowSchema.parse(row)),
  };
};
