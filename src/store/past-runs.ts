import { z } from "zod";
import type { Db } from "./db.js";

/** What an earlier run of a workflow ended with: its nodes (in creation order) and edges. */
export interface PastRun {
  readonly id: string;
  readonly nodes: readonly PastNode[];
  readonly edges: readonly PastEdge[];
}

const PastNodeSchema = z.object({
  id: z.string(),
  run: z.string(),
  created_by: z.string().nullable(),
});
const PastEdgeSchema = z.object({ from: z.string(), to: z.string() });
export type PastNode = z.infer<typeof PastNodeSchema>;
export type PastEdge = z.infer<typeof PastEdgeSchema>;

/** The run statuses of a run that went to its end: what it did is what the workflow does. */
const ENDED = ["succeeded", "failed"] as const;

/** Earlier runs of a workflow, by its name: the history its envelope is annotated with. */
export const pastRunQueries = (db: Db) => {
  const runs = db.prepare(
    `SELECT id FROM runs
     WHERE name = @name AND id <> @exclude AND status IN (${ENDED.map((s) => `'${s}'`).join(", ")})
     ORDER BY created_at DESC, rowid DESC LIMIT @limit`,
  );
  const nodes = db.prepare("SELECT id, run, created_by FROM nodes WHERE run_id = ? ORDER BY seq");
  const edges = db.prepare(
    "SELECT from_id AS 'from', to_id AS 'to' FROM edges WHERE run_id = ? ORDER BY seq",
  );
  return {
    /** The latest `limit` runs named `name` that succeeded or failed, newest first, other than `exclude`. */
    pastRuns: (name: string, exclude: string | null, limit: number): PastRun[] =>
      runs.all({ name, exclude: exclude ?? "", limit }).map((row) => {
        const { id } = z.object({ id: z.string() }).parse(row);
        return {
          id,
          nodes: nodes.all(id).map((n) => PastNodeSchema.parse(n)),
          edges: edges.all(id).map((e) => PastEdgeSchema.parse(e)),
        };
      }),
  };
};
