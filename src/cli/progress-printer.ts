import type { Progress } from "../engine/progress.js";
import { settledWithoutRunning } from "../graph/trigger.js";
import { printable } from "../util/printable.js";

/** Which tasks run now, when more than one may: `[running 3: a, b, c]`. */
const runningNow = (running: readonly string[], inFlight: number): string => {
  if (running.length === 0) return "";
  const more = inFlight > running.length ? `, +${inFlight - running.length}` : "";
  return `  [running ${inFlight}: ${running.join(", ")}${more}]`;
};

const clock = (): string => new Date().toTimeString().slice(0, 8);

/**
 * One line per state change: time, node, state, attempt and duration. What a
 * task wrote (a reason quotes it) is escaped: it cannot forge another line.
 */
export const formatProgress = (progress: Progress): string => {
  if (progress.kind === "run") {
    return `${clock()}  run ${progress.status}${progress.reason ? `: ${printable(progress.reason)}` : ""}`;
  }
  const details = [`attempt ${progress.attempt}`];
  if (progress.seconds !== null) details.push(`${progress.seconds.toFixed(2)}s`);
  // A skipped or blocked node did not run now: an attempt number would name an earlier one.
  const attempt = settledWithoutRunning(progress.status) ? "" : `  (${details.join(", ")})`;
  const reason = progress.reason ? ` — ${printable(progress.reason)}` : "";
  return `${clock()}  ${progress.status.padEnd(9)}  ${printable(progress.node)}${attempt}${reason}${runningNow(progress.running.map(printable), progress.inFlight)}`;
};

/** A line about orch itself rather than a node (waiting for a lock, say), timed like progress. */
export const formatNotice = (text: string): string => `${clock()}  ${text}`;
