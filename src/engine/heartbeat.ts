import { now, type Store } from "../store/store.js";

/** How often the owner of a run says it is alive. */
export const HEARTBEAT_INTERVAL_MS = 2_000;

/**
 * Say every 2 s that this process still executes the run. A beat that cannot be
 * written (the run was taken over, the database is gone or full) never throws
 * from the timer: it stops the beats and hands the error to `onLost`.
 */
export const startHeartbeat = (
  store: Store,
  runId: string,
  onLost: (error: unknown) => void,
): NodeJS.Timeout => {
  const timer = setInterval(() => {
    try {
      store.transaction(() => store.runs.heartbeat(runId, now()));
    } catch (error) {
      clearInterval(timer);
      onLost(error);
    }
  }, HEARTBEAT_INTERVAL_MS);
  timer.unref();
  return timer;
};
