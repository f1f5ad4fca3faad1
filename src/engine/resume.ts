import type { RunEvent } from "../state/events.js";
import { RunState } from "../state/run-state.js";
import { now, type Store } from "../store/store.js";
import { type Claim, claimRun, killLeftoverTask, liveOwner } from "./ownership.js";

/**
 * Take over an interrupted run and make it ready to carry on from what was
 * committed: a task left running by a dead orchestrator is killed, its attempt
 * recorded as lost and its provisional mutations dropped, and its node is
 * pending again so it runs as a new attempt.
 */
export const prepareResume = (store: Store, runId: string, by: string): Claim => {
  const run = store.runs.getRun(runId);
  const owner = run ? liveOwner(run) : null;
  if (owner !== null) return { ok: false, pid: owner };
  for (const attempt of store.attempts.runningAttempts(runId)) {
    if (attempt.pid !== null) killLeftoverTask(runId, attempt.node_id, attempt.pid);
  }
  return claimRun(store, runId, () => {
    const state = RunState.replay(store.history.read(runId).map((e) => e.event));
    const at = now();
    const reopened: RunEvent[] = [];
    for (const node of state.graph.nodes()) {
      if (node.status === "running") {
        reopened.push({
          type: "node_status",
          id: node.id,
          status: "pending",
          attempt: node.attempts,
          reason: "the orchestrator stopped while it ran",
        });
      }
    }
    store.history.discardAllStaged(runId);
    const lost: RunEvent[] = store.attempts.runningAttempts(runId).map((attempt) => ({
      type: "attempt_ended",
      id: attempt.node_id,
      attempt: attempt.attempt,
      status: "lost",
      exit_code: null,
      signal: null,
      reason: "lost: the orchestrator stopped while it ran",
    }));
    store.history.append(runId, at, [
      { type: "command", command: "resume", by },
      ...lost,
      ...reopened,
      { type: "run_status", status: "running", reason: null },
    ]);
  });
};
