import type { RunEvent } from "../state/events.js";
import { RunState } from "../state/run-state.js";
import { now, type Store } from "../store/store.js";

/**
 * Make an interrupted run ready to carry on from what was committed: the
 * running task's provisional mutations are dropped, its attempt is recorded as
 * lost, and its node is pending again so it runs as a new attempt.
 */
export const prepareResume = (store: Store, runId: string): void => {
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
  store.transaction(() => {
    store.history.clearProvisional(runId);
    for (const event of reopened) {
      if (event.type === "node_status") {
        store.attempts.finishAttempt(runId, event.id, event.attempt, at, {
          status: "failed",
          exitCode: null,
          signal: null,
          reason: "lost: the orchestrator stopped while it ran",
        });
      }
    }
    store.history.append(runId, at, [
      ...reopened,
      { type: "run_status", status: "running", reason: null },
    ]);
  });
};
