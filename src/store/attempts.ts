import type { Db } from "./db.js";
import { type AttemptRow, AttemptRowSchema, type AttemptStatus } from "./rows.js";

/**
 * How an attempt ended: `lost` when orch stopped (interrupt or crash) while it
 * ran — the task's own failure or not, it does not count against its retries.
 */
export interface AttemptEnd {
  readonly status: Exclude<AttemptStatus, "running">;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly reason: string | null;
}

/** One row per attempt of a node: when it ran, how it ended, where its log is. */
export const attemptQueries = (db: Db) => {
  const insert = db.prepare(
    `INSERT INTO attempts (run_id, node_id, attempt, status, started_at, log_path, pid)
     VALUES (?, ?, ?, 'running', ?, ?, ?)`,
  );
  const finish = db.prepare(
    `UPDATE attempts SET status = @status, finished_at = @at, exit_code = @exitCode, signal = @signal, reason = @reason
     WHERE run_id = @runId AND node_id = @node AND attempt = @attempt`,
  );
  const forRun = db.prepare("SELECT * FROM attempts WHERE run_id = ? ORDER BY started_at, rowid");
  const failures = db
    .prepare("SELECT COUNT(*) FROM attempts WHERE run_id = ? AND node_id = ? AND status = 'failed'")
    .pluck();
  const stillRunning = db.prepare("SELECT * FROM attempts WHERE run_id = ? AND status = 'running'");
  return {
    /**
     * A started attempt; `pid` is the task's process (null if it could not be
     * started), whose group is killed if orch dies and the run resumes.
     */
    startAttempt: (
      runId: string,
      node: string,
      attempt: number,
      at: string,
      logPath: string,
      pid: number | null,
    ): void => {
      insert.run(runId, node, attempt, at, logPath, pid);
    },
    finishAttempt: (
      runId: string,
      node: string,
      attempt: number,
      at: string,
      end: AttemptEnd,
    ): void => {
      finish.run({ runId, node, attempt, at, ...end });
    },
    listAttempts: (runId: string): AttemptRow[] =>
      forRun.all(runId).map((row) => AttemptRowSchema.parse(row)),
    /** Attempts of `node` that failed by themselves (not lost): what retries are counted against. */
    countFailures: (runId: string, node: string): number => Number(failures.get(runId, node)),
    runningAttempts: (runId: string): AttemptRow[] =>
      stillRunning.all(runId).map((row) => AttemptRowSchema.parse(row)),
  };
};
