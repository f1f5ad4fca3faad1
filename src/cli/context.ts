import { dirname, join } from "node:path";
import { resolveDbPath } from "../store/db.js";
import type { RunRow } from "../store/rows.js";
import { Store } from "../store/store.js";
import { UsageError } from "./errors.js";

export interface GlobalArgs {
  readonly db?: string | undefined;
}

/** Open the database a command works on (`--db`, `$ORCH_DB`, `.orch/orch.db`). */
export const openStore = (args: GlobalArgs, options: { readonly?: boolean } = {}): Store => {
  const path = resolveDbPath(args.db);
  try {
    return Store.open(path, options);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
};

/** Per-attempt task logs live beside the database: `.orch/logs/RUN/NODE.ATTEMPT.log`. */
export const logsDirFor = (args: GlobalArgs, runId: string): string =>
  join(dirname(resolveDbPath(args.db)), "logs", runId);

/** The run a command names, or the latest one. */
export const findRun = (store: Store, runId: string | undefined): RunRow => {
  const run = runId === undefined ? store.runs.latestRun() : store.runs.getRun(runId);
  if (!run) {
    throw new UsageError(
      runId === undefined
        ? "there are no runs in this database yet"
        : `no run with id ${runId} (see \`orch runs\`)`,
    );
  }
  return run;
};
