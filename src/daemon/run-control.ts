import { type GivenCommand, giveCommand } from "../engine/give-command.js";
import { liveOwner } from "../engine/ownership.js";
import { ENDED_RUN_STATUSES } from "../state/run-status.js";
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

/**
 * The daemon's run control. Pause, cancel, answer (and resume of a paused run)
 * go through the run's command inbox, as `orch pause` does: the process
 * executing the run takes them, or they apply to the stored run. A run no
 * process executes is resumed or restarted by the daemon, which executes it.
 */
export const daemonRunControl = (store: Store, pool: RunPool): RunControl => {
  /** A command through the run's inbox: its executor takes it, or it applies to the stored run. */
  const command = async (runId: string, given: GivenCommand): Promise<ControlResult> => {
    const result = await giveCommand(store, runId, given);
    return result.ok
      ? { ok: true, message: result.says || `${given.command}: done` }
      : { ok: false, message: result.reason };
  };
  return {
    pause: (runId) => command(runId, { command: "pause", node: null, value: null }),
    cancel: (runId) => command(runId, { command: "cancel", node: null, value: null }),
    answer: (runId, node, value) =>
      command(runId, { command: "answer", node, value: JSON.stringify(value) }),
    restart: async (runId, node) => {
      const ended = ENDED_RUN_STATUSES.includes(store.runs.getRun(runId)?.status ?? "running");
      if (pool.isExecuting(runId) && !ended)
        return command(runId, { command: "restart", node, value: null });
      // A run that has ended may still be closing down here: reopened once it has.
      await pool.finished(runId);
      const restarted = await pool.restart(runId, node);
      if (restarted.ok) return { ok: true, message: `run ${runId} restarted at ${node}` };
      return {
        ok: false,
        message:
          "problem" in restarted
            ? `cannot restart: ${restarted.problem}`
            : `run ${runId} is executed by another orch process (pid ${restarted.pid})`,
      };
    },
    resume: async (runId) => {
      const run = store.runs.getRun(runId);
      if (run === undefined) return { ok: false, message: `no run ${runId}` };
      if (run.status === "paused")
        return command(runId, { command: "resume", node: null, value: null });
      if (pool.isExecuting(runId) || (run.status === "running" && liveOwner(run) !== null))
        return { ok: true, message: `run ${runId} is running already` };
      if (run.status !== "interrupted" && run.status !== "running")
        return {
          ok: false,
          message: `run ${runId} has ended (${run.status}); it cannot be resumed`,
        };
      const resumed = await pool.resume(runId);
      return resumed.ok
        ? { ok: true, message: `run ${runId} resumed` }
        : {
            ok: false,
            message: `run ${runId} is executed by another orch process (pid ${resumed.pid})`,
          };
    },
  };
};
