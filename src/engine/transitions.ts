import type { NodeStatus } from "../graph/graph.js";
import type { AttemptStatus } from "../state/attempt-status.js";

/**
 * The state machine of nodes and attempts: every status change the engine
 * records passes through here, and one the table does not allow is refused.
 */

/** Where a node may go from each status, without a restart. */
export const NODE_TRANSITIONS: Readonly<Record<NodeStatus, readonly NodeStatus[]>> = {
  pending: ["running", "blocked", "skipped", "cancelled"],
  // pending again: the attempt was lost (orch stopped while it ran).
  running: ["succeeded", "failed", "retrying", "waiting", "pending", "cancelled"],
  retrying: ["running", "cancelled"],
  waiting: ["pending", "cancelled"],
  succeeded: [],
  failed: [],
  blocked: [],
  skipped: [],
  cancelled: [],
};

/** Where an attempt may go: it starts running and ends once. */
export const ATTEMPT_TRANSITIONS: Readonly<Record<AttemptStatus, readonly AttemptStatus[]>> = {
  running: ["succeeded", "failed", "lost", "waiting", "cancelled"],
  succeeded: [],
  failed: [],
  lost: [],
  waiting: [],
  cancelled: [],
};

export class IllegalTransition extends Error {}

const why = (from: string, allowed: readonly string[]): string =>
  allowed.length === 0
    ? ` (${from} is final: only a restart runs it again)`
    : ` (from ${from}: ${allowed.join(", ")})`;

/** Throws unless node `id` may go from `from` to `to`. */
export const checkNodeTransition = (id: string, from: NodeStatus, to: NodeStatus): void => {
  const allowed = NODE_TRANSITIONS[from];
  if (!allowed.includes(to))
    throw new IllegalTransition(`node ${id} cannot go from ${from} to ${to}${why(from, allowed)}`);
};

/** Throws unless attempt `attempt` of node `id` may go from `from` to `to`. */
export const checkAttemptTransition = (
  id: string,
  attempt: number,
  from: AttemptStatus,
  to: AttemptStatus,
): void => {
  const allowed = ATTEMPT_TRANSITIONS[from];
  if (!allowed.includes(to))
    throw new IllegalTransition(
      `attempt ${attempt} of node ${id} cannot go from ${from} to ${to}${why(from, allowed)}`,
    );
};
