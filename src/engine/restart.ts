import type { NodeId } from "../graph/ids.js";
import { restartReach } from "../graph/reach.js";
import type { MutationEvent } from "../state/events.js";
import { RunState } from "../state/run-state.js";
import { now, type Store } from "../store/store.js";
import { type Claim, claimRun } from "./ownership.js";

/**
 * Whether a running attempt of `node` that has made `mutations` so far must be
 * stopped before the nodes `reached` by a restart (reset or taken back) go:
 * it is one of them, or it has added edges or attributes touching one.
 */
export const attemptTouches = (
  node: NodeId,
  mutations: readonly MutationEvent[],
  reached: ReadonlySet<NodeId>,
): boolean => {
  const inReach = (id: NodeId | undefined) => id !== undefined && reached.has(id);
  if (inReach(node)) return true;
  return mutations.some((m) => {
    switch (m.type) {
      case "edge_added":
        return inReach(m.from) || inReach(m.to);
      case "attrs_set":
        return inReach(m.node) || inReach(m.edge?.from) || inReach(m.edge?.to);
      default:
        return false;
    }
  });
};

/**
 * Why the source `id` of a loop that succeeded asking to go again cannot:
 * it closes no loop, or the loop has run as often as its `max` allows.
 */
export const againProblem = (state: RunState, id: NodeId): string | null => {
  const loop = state.graph.loopFrom(id);
  if (loop === undefined) return `it asked to go again, but ${id} is the source of no loop edge`;
  const iteration = state.loopIteration(loop.from, loop.to);
  if (iteration < loop.max) return null;
  return `loop ${loop.from} -> ${loop.to}: going again would start iteration ${iteration + 1}, over the loop's max of ${loop.max}`;
};

/** Why `node` cannot be restarted in this run, or null. */
export const restartProblem = (state: RunState, node: NodeId): string | null => {
  const found = state.graph.node(node);
  if (found === undefined) return `no node ${node} in this run`;
  if (found.status === "pending")
    return `node ${node} has not run since it was last reset: there is nothing to restart`;
  return null;
};

/**
 * Reset `node` and its reach in a run no process executes, and claim the run
 * for this process to execute it again, in one transaction.
 */
/** A restart made ready (the run claimed), or why not: another process has it, or a problem. */
export type RestartClaim = Claim | { readonly ok: false; readonly problem: string };

export const prepareRestart = (
  store: Store,
  runId: string,
  node: NodeId,
  by: string,
): RestartClaim => {
  const state = RunState.replay(store.history.read(runId).map((e) => e.event));
  const problem = restartProblem(state, node);
  if (problem !== null) return { ok: false, problem };
  const reach = restartReach(state.graph, node);
  return claimRun(store, runId, () => {
    store.history.discardAllStaged(runId);
    store.history.append(runId, now(), [
      { type: "command", command: "restart", node, by },
      { type: "nodes_reset", ...reach },
      { type: "run_status", status: "running", reason: null },
    ]);
  });
};
