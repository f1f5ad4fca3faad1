import { basename } from "node:path";
import type { EngineLimits } from "../engine/limits.js";
import { recordNewRun } from "../engine/register.js";
import type { RotatingLog } from "../log/rotating-log.js";
import type { ScheduleRow } from "../store/schedules.js";
import { now, type Store } from "../store/store.js";
import { errorMessage } from "../util/error-message.js";
import { formatIssues, loadWorkflow } from "../workflow/load.js";
import { dueTimes } from "./due.js";

/** The id of the run a schedule starts for a time: `NAME.2026-12-06T02:00:00Z`. */
export const scheduledRunId = (schedule: string, at: Date): string =>
  `${schedule}.${at.toISOString().replace(/\.\d{3}Z$/, "Z")}`;

export interface StartedRun {
  readonly runId: string;
  readonly scheduledFor: string;
}

/**
 * Register the runs now due for one schedule, owned by no process yet (the
 * caller claims each to execute it). Each scheduled time is taken in the
 * transaction that registers its run, so it is run once, whatever restarts or
 * other daemons there are.
 */
export const registerDueRuns = (
  store: Store,
  schedule: ScheduleRow,
  limits: EngineLimits,
  asOf: Date,
  log: RotatingLog,
): StartedRun[] => {
  const since = new Date(
    store.scheduledRuns.latestScheduledTime(schedule.name) ?? schedule.created_at,
  );
  const due = dueTimes(schedule, since, asOf);
  if (due.length === 0) return [];
  const loaded = loadWorkflow(schedule.workflow);
  if (!loaded.ok) {
    log.write(
      `schedule ${schedule.name}: not started: ${formatIssues(loaded.file, loaded.issues)}`,
    );
    return [];
  }
  const started: StartedRun[] = [];
  for (const at of due) {
    const runId = scheduledRunId(schedule.name, at);
    const scheduledFor = at.toISOString();
    try {
      const taken = store.transaction(() => {
        if (store.scheduledRuns.isTaken(schedule.name, scheduledFor)) return false;
        const parallel = loaded.value.workflow.parallel ?? 1;
        const label = basename(loaded.value.file);
        recordNewRun(store, loaded.value, runId, label, { limits, parallel }, now());
        store.runs.setScheduledFor(runId, scheduledFor);
        store.scheduledRuns.take(schedule.name, scheduledFor, runId);
        return true;
      });
      if (taken) started.push({ runId, scheduledFor });
    } catch (error) {
      log.write(`schedule ${schedule.name}: run ${runId} not started: ${errorMessage(error)}`);
    }
  }
  return started;
};
