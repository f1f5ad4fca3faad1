import { z } from "zod";
import type { Db } from "./db.js";

/**
 * Which scheduled times have been taken, and by which run. The primary key
 * (schedule, time) is what keeps a time from being run twice, across daemons
 * and restarts: the row is inserted in the transaction that registers the run.
 */
export const scheduledRunQueries = (db: Db) => {
  const insert = db.prepare(
    "INSERT INTO scheduled_runs (schedule, scheduled_for, run_id) VALUES (?, ?, ?)",
  );
  const latest = db
    .prepare("SELECT MAX(scheduled_for) FROM scheduled_runs WHERE schedule = ?")
    .pluck();
  const taken = db
    .prepare("SELECT 1 FROM scheduled_runs WHERE schedule = ? AND scheduled_for = ?")
    .pluck();
  return {
    /** Has a run been started for this scheduled time? */
    isTaken: (schedule: string, scheduledFor: string): boolean =>
      taken.get(schedule, scheduledFor) !== undefined,
    /** Record the run started for a scheduled time (the primary key refuses a second). */
    take: (schedule: string, scheduledFor: string, runId: string): void => {
      insert.run(schedule, scheduledFor, runId);
    },
    /** The latest scheduled time taken for the schedule (ISO 8601), if any. */
    latestScheduledTime: (schedule: string): string | undefined =>
      z
        .string()
        .nullable()
        .parse(latest.get(schedule) ?? null) ?? undefined,
  };
};
