import type { RunStatus } from "../state/run-status.js";
import type { Db } from "./db.js";
import { type RunRow, RunRowSchema } from "./rows.js";

export interface NewRun {
  readonly id: string;
  readonly workflow: string;
  readonly name: string;
  readonly at: string;
}

/** A run as `orch runs --json` lists it. */
export const runListEntry = (run: RunRow) => ({
  id: run.id,
  name: run.name,
  workflow: run.workflow,
  status: run.status,
  reason: run.reason,
  created_at: run.created_at,
  updated_at: run.updated_at,
});

export const runQueries = (db: Db) => {
  const insert = db.prepare(
    `INSERT INTO runs (id, workflow, name, status, created_at, updated_at, owner_pid, heartbeat_at)
     VALUES (@id, @workflow, @name, 'running', @at, @at, NULL, NULL)`,
  );
  const byId = db.prepare("SELECT * FROM runs WHERE id = ?");
  const latest = db.prepare("SELECT * FROM runs ORDER BY created_at DESC, rowid DESC LIMIT 1");
  const all = db.prepare("SELECT * FROM runs ORDER BY created_at DESC, rowid DESC");
  const setStatus = db.prepare(
    "UPDATE runs SET status = @status, reason = @reason, updated_at = @at WHERE id = @id",
  );
  const setOwner = db.prepare(
    "UPDATE runs SET owner_pid = @pid, heartbeat_at = @at WHERE id = @id",
  );
  const setLimits = db.prepare("UPDATE runs SET limits = ? WHERE id = ?");
  const setScheduled = db.prepare("UPDATE runs SET scheduled_for = ? WHERE id = ?");
  const parse = (row: unknown): RunRow | undefined =>
    row === undefined ? undefined : RunRowSchema.parse(row);
  return {
    insertRun: (run: NewRun): void => {
      insert.run(run);
    },
    getRun: (id: string): RunRow | undefined => parse(byId.get(id)),
    latestRun: (): RunRow | undefined => parse(latest.get()),
    listRuns: (): RunRow[] => all.all().map((row) => RunRowSchema.parse(row)),
    setRunStatus: (id: string, status: RunStatus, reason: string | null, at: string): void => {
      setStatus.run({ id, status, reason, at });
    },
    /** Record the limits (JSON) the run executes with. */
    setRunLimits: (id: string, limits: string): void => {
      setLimits.run(limits, id);
    },
    /** Record the scheduled time (ISO 8601, UTC) the run was started for. */
    setScheduledFor: (id: string, at: string): void => {
      setScheduled.run(at, id);
    },
    /** Claim the run for this process (pid null releases it); `at` is the heartbeat. */
    setRunOwner: (id: string, pid: number | null, at: string | null): void => {
      setOwner.run({ id, pid, at });
    },
  };
};
