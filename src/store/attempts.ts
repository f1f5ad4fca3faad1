import type { Db } from "./db.js";
import { type AttemptRow, AttemptRowSchema } from "./rows.js";

/**
 * Reads of the attempts projection: one row per attempt of a node, written from
 * the `attempt_started` and `attempt_ended` events (see `historyQueries`).
 */
export const attemptQueries = (db: Db) => {
  const forRun = db.prepare("SELECT * FROM attempts WHERE run_id = ? ORDER BY started_at, rowid");
  const stillRunning = db.prepare("SELECT * FROM attempts WHERE run_id = ? AND status = 'running'");
  return {
    listAttempts: (runId: string): AttemptRow[] =>
      forRun.all(runId).map((row) => AttemptRowSchema.parse(row)),
    runningAttempts: (runId: string): AttemptRow[] =>
      stillRunning.all(runId).map((row) => AttemptRowSchema.parse(row)),
  };
};
