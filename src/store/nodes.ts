import type { Db } from "./db.js";
import {
  type EdgeRow,
  EdgeRowSchema,
  type NodeRow,
  NodeRowSchema,
  type StatusCount,
  StatusCountSchema,
} from "./rows.js";

/** Read-side queries over the projections: what is committed. */
export const graphQueries = (db: Db) => {
  const nodes = db.prepare(
    `SELECT id, seq, run, created_by, status, attempts, reason, outputs, started_at, finished_at
     FROM nodes WHERE run_id = @run ORDER BY seq`,
  );
  const edges = db.prepare(
    `SELECT from_id, to_id, created_by FROM edges WHERE run_id = @run
     ORDER BY seq`,
  );
  const statusCounts = db.prepare(
    `SELECT status, COUNT(*) AS n FROM nodes WHERE run_id = @run
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
  };
};
