import type { Progress } from "../engine/progress.js";

/** Which tasks run now, when more than one may: `[running 3: a, b, c]`. */
const runningNow = (running: readonly string[], inFlight: number): string => {
  if (running.length === 0) return "";
  const more = inFlight > running.length ? `, +${inFlight - running.length}` : "";
  return `  [running ${inFlight}: ${running.join(", ")}${more}]`;
};

const clock = (): string => new Date().toTimeString().slice(0, 8);

/** One line per state change: time, node, state, attempt and duration. */
export const formatProgress = (progress: Progress): string => {
  if (progress.kind === "run") {
    return `${clock()}  run ${progress.status}${progress.reason ? `: ${progress.reason}` : ""}`;
  }
  const details = [`attempt ${progress.attempt}`];
  if (progress.seconds !== null) details.push(`${progress.seconds.toFixed(2)}s`);
  const reason = progress.reason ? ` — ${progress.reason}` : "";
  return `${clock()}  ${progress.status.padEnd(9)}  ${progress.node}  (${details.join(", ")})${reason}${runningNow(progress.running, progress.inFlight)}`;
};
