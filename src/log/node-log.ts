import { existsSync, readFileSync } from "node:fs";
import type { Store } from "../store/store.js";
import { printable } from "../util/printable.js";

export interface AttemptLog {
  readonly node: string;
  readonly attempt: number;
  readonly status: string;
  readonly reason: string | null;
  /** What the attempt wrote to stderr and its protocol log messages; null when the file is gone. */
  readonly text: string | null;
}

/**
 * The line above an attempt's log. It is orch's line: what a task put in a
 * node id is escaped, so it cannot forge one.
 */
export const attemptHeader = (node: string, attempt: number, status: string): string =>
  `== ${printable(node)} attempt ${attempt} (${status}) ==`;

/** The line below an ended attempt's log: why it ended, escaped as the header is. */
export const attemptFooter = (reason: string): string => `-- ${printable(reason)}`;

/** What stands for the log of an attempt whose file is gone. */
export const LOG_MISSING = "(log file missing)";

/** The logs of a run's attempts, oldest first: of one node, or of all when `node` is undefined. */
export const attemptLogs = (store: Store, runId: string, node?: string): AttemptLog[] =>
  store.attempts
    .listAttempts(runId)
    .filter((a) => node === undefined || a.node_id === node)
    .map((a) => ({
      node: a.node_id,
      attempt: a.attempt,
      status: a.status,
      reason: a.reason,
      text: existsSync(a.log_path) ? readFileSync(a.log_path, "utf8") : null,
    }));

/** The logs as `orch logs` prints them: a header per attempt, then its text and how it ended. */
export const formatAttemptLogs = (logs: readonly AttemptLog[]): string =>
  logs
    .map((log) => {
      const text = log.text ?? `${LOG_MISSING}\n`;
      const body = text.endsWith("\n") || text === "" ? text : `${text}\n`;
      const end = log.reason ? `${attemptFooter(log.reason)}\n` : "";
      return `${attemptHeader(log.node, log.attempt, log.status)}\n${body}${end}`;
    })
    .join("");
