import { liveOwner } from "../engine/ownership.js";
import type { Store } from "../store/store.js";
import type { RunPool } from "./run-pool.js";

/** How a command on a run came out: done (with what to say), or refused and why. */
export type ControlResult =
  | { readonly ok: true; readonly message: string }
  | { readonly ok: false; readonly message: string };

/** The run-control commands the API's routes call; run and node exist when called. */
export interface RunControl {
  pause(runId: string): Promise<ControlResult>;
  resume(runId: string): Promise<ControlResult>;
  cancel(runId: string): Promise<ControlResult>;
  restart(runId: string, node: string): Promise<ControlResult>;
  answer(runId: string, node: string, value: unknown): Promise<ControlResult>;
}

const notYet = async (command: string): Promise<ControlResult> => ({
  ok: false,
  message: `${command} is not available in this version of orch`,
});

/**
 * The daemon's run control: `resume` carries on an interrupted run in the
 * daemon. Pausing, cancelling, restarting and answering need the executing
 * process to take commands from the database, which it does not do yet.
 */
export const daemonRunControl = (store: Store, pool: RunPool): RunControl => ({
  pause: () => notYet("pause"),
  cancel: () => notYet("cancel"),
  restart: () => notYet("restart"),
  answer: () => notYet("answer"),
  resume: async (runId) => {
    const run = store.runs.getRun(runId);
    if (run === undefined) return { ok: false, message: `no run ${runId}` };
    if (pool.isExecuting(runId) || (run.status === "running" && liveOwner(run) !== null))
      return { ok: true, message: `run ${runId} is running already` };
    if (run.status !== "interrupted" && run.status !== "running")
      return { ok: false, message: `run ${runId} has ended (${run.status}); it cannot be resumed` };
    const resumed = await pool.resume(runId);
    return resumed.ok
      ? { ok: true, message: `run ${runId} resumed` }
      : {
          ok: false,
          message: `run ${runId} is executed by another orch process (pid ${resumed.pid})`,
        };
  },
});
