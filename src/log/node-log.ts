import { existsSync, readFileSync } from "node:fs";
import type { Store } from "../store/store.js";

export interface AttemptLog {
  readonly node: string;
  readonly attempt: number;
  readonly status: string;
  readonly reason: string | null;
  /** What the attempt wrote to stderr and its protocol log messages; null when the file is gone. */
  readonly text: string | null;
}

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
      const text = log.text ?? "(log file missing)\n";
      const body = text.endsWith("\n") || text === "" ? text : `${text}\n`;
      const end = log.reason ? `-- ${log.reason}\n` : "";
      return `== ${log.node} attempt ${log.attempt} (${log.status}) ==\n${body}${end}`;
    })
    .join("");
