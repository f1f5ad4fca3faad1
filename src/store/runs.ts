import { z } from "zod";
import type { RunStatus } from "../state/run-status.js";
import type { Db } from "./db.js";
import { type RunRow, RunRowSchema } from "./rows.js";

export interface NewRun {
  readonly id: string;
  readonly workflow: string;
  readonly name: string;
  readonly at: string;
}

/** Who executes a run: a pid and that process's start time (null where unknown). */
export interface RunOwner {
  readonly pid: number;
  readonly started: number | null;
}

const RunFenceSchema = z.object({
  epoch: z.number().int(),
  owner_pid: z.number().int().nullable(),
});
export type RunFence = z.infer<typeof RunFenceSchema>;

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
  const claim = db.prepare(
    `UPDATE runs SET epoch = epoch + 1, owner_pid = @pid, owner_started = @started, heartbeat_at = @at
     WHERE id = @id RETURNING epoch`,
  );
  const release = db.prepare("UPDATE runs SET heartbeat_at = NULL WHERE id = ?");
  const beat = db.prepare("UPDATE runs SET heartbeat_at = ? WHERE id = ?");
  const fence = db.prepare("SELECT epoch, owner_pid FROM runs WHERE id = ?");
  const setLimits = db.prepare("UPDATE runs SET limits = ? WHERE id = ?");
  const setParallel = db.prepare("UPDATE runs SET parallel = ? WHERE id = ?");
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
    /** Record how many tasks of the run may run at once. */
    setRunParallel: (id: string, parallel: number): void => {
      setParallel.run(parallel, id);
    },
    /** Make `owner` the run's owner under a new epoch, which is returned. */
    claimRun: (id: string, owner: RunOwner, at: string): number =>
      z.object({ epoch: z.number().int() }).parse(claim.get({ id, ...owner, at })).epoch,
    /**
     * The run has no live owner any more. The last one's pid stays: a process
     * fenced out later is told who took the run over.
     */
    releaseRun: (id: string): void => {
      release.run(id);
    },
    /** The owner is alive at `at`. */
    heartbeat: (id: string, at: string): void => {
      beat.run(at, id);
    },
    /** The run's current epoch and owner, or undefined when there is no such run. */
    fenceOf: (id: string): RunFence | undefined => {
      const row = fence.get(id);
      return row === undefined ? undefined : RunFenceSchema.parse(row);
    },
    /** Record the scheduled time (ISO 8601, UTC) the run was started for. */
    setScheduledFor: (id: string, at: string): void => {
      setScheduled.run(at, id);
    },
  };
};
