import { Cron } from "croner";
import { errorMessage } from "../util/error-message.js";

export interface ScheduleTiming {
  readonly cron: string;
  readonly timezone: string;
  /** Run every time missed during downtime, not only the latest. */
  readonly catchup: boolean;
}

/** Most missed times looked at after downtime: a schedule of every second down for a year stops here. */
const MAX_MISSED = 10_000;

const pattern = (timing: Pick<ScheduleTiming, "cron" | "timezone">): Cron =>
  new Cron(timing.cron, { timezone: timing.timezone, paused: true });

/** Why a cron expression or time zone is refused, or undefined when it is fine. */
export const cronProblem = (cron: string, timezone = "UTC"): string | undefined => {
  try {
    const parsed = pattern({ cron, timezone });
    if (parsed.nextRun(new Date()) === null) return "it names no time that will come";
    return undefined;
  } catch (error) {
    return errorMessage(error);
  }
};

/**
 * The scheduled times to start runs for now: those after `since` (the latest
 * time already taken, or when the schedule was added) up to `now`. After
 * downtime that is only the latest missed time, or every one with `catchup`.
 * Pure: the clock is the caller's.
 */
export const dueTimes = (timing: ScheduleTiming, since: Date, now: Date): Date[] => {
  const cron = pattern(timing);
  const missed: Date[] = [];
  for (let next = cron.nextRun(since); next !== null && next <= now; next = cron.nextRun(next)) {
    missed.push(next);
    if (missed.length > MAX_MISSED) missed.shift();
  }
  return timing.catchup ? missed : missed.slice(-1);
};

/** The next scheduled time after `now`, if there is one. */
export const nextTime = (timing: ScheduleTiming, now: Date): Date | null =>
  pattern(timing).nextRun(now);
