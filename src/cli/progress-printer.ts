import type { Progress } from "../engine/progress.js";
import { printable } from "../util/printable.js";

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
  const reason = progress.reason ? ` — ${printable(progress.reason)}` : "";
  return `${clock()}  ${progress.status.padEnd(9)}  ${printable(progress.node)}  (${details.join(", ")})${reason}`;
};
