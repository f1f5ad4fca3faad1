import { z } from "zod";
import type { Db } from "./db.js";

/**
 * The runs a daemon is executing: a daemon started again resumes these, and
 * not the runs started in the foreground elsewhere.
 */
export const daemonRunQueries = (db: Db) => {
  const insert = db.prepare("INSERT OR IGNORE INTO daemon_runs (run_id) VALUES (?)");
  const all = db.prepare("SELECT run_id FROM daemon_runs ORDER BY rowid").pluck();
  const remove = db.prepare("DELETE FROM daemon_runs WHERE run_id = ?");
  return {
    addDaemonRun: (runId: string): void => {
      insert.run(runId);
    },
    listDaemonRuns: (): string[] => z.array(z.string()).parse(all.all()),
    removeDaemonRun: (runId: string): void => {
      remove.run(runId);
    },
  };
};
