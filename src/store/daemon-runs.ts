import { z } from "zod";
import type { Db } from "./db.js";

const DaemonRunRowSchema = z.object({
  run_id: z.string(),
  parallel: z.number().int().nullable(),
});
export type DaemonRunRow = z.infer<typeof DaemonRunRowSchema>;

/**
 * The runs a daemon is executing: a daemon started again resumes these, and
 * not the runs started in the foreground elsewhere.
 */
export const daemonRunQueries = (db: Db) => {
  const insert = db.prepare(
    "INSERT OR REPLACE INTO daemon_runs (run_id, parallel) VALUES (@run_id, @parallel)",
  );
  const all = db.prepare("SELECT run_id, parallel FROM daemon_runs ORDER BY rowid");
  const remove = db.prepare("DELETE FROM daemon_runs WHERE run_id = ?");
  return {
    addDaemonRun: (row: DaemonRunRow): void => {
      insert.run(row);
    },
    listDaemonRuns: (): DaemonRunRow[] => all.all().map((row) => DaemonRunRowSchema.parse(row)),
    removeDaemonRun: (runId: string): void => {
      remove.run(runId);
    },
  };
};
