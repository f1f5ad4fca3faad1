import { type ExecutorSet, localExecutors } from "../executors/choose.js";
import type { Executor, LeftoverAttempt } from "../executors/executor.js";
import type { RunEvent } from "../state/events.js";
import { RunState } from "../state/run-state.js";
import { now, type Store } from "../store/store.js";
import { type Claim, claimRun, liveOwner } from "./ownership.js";

/** Where the run's tasks ran: what builds the executors that remove their leftovers. */
export interface ResumeContext {
  readonly python: string;
  /** The workflow's folder. */
  readonly dir: string;
}

/**
 * Take over an interrupted run and make it ready to carry on from what was
 * committed: what a task left running by a dead orchestrator is removed (its
 * process group, container or Slurm job, by the executor that ran it), its
 * attempt recorded as lost and its provisional mutations dropped, and its node
 * is pending again so it runs as a new attempt. The leftovers go before the
 * attempts are recorded lost, so a resume that dies meanwhile leaves them for the next.
 */
export const prepareResume = async (
  store: Store,
  runId: string,
  context: ResumeContext,
  /** Who asked (recorded with the `resume` command in the run's history). */
  by: string,
): Promise<Claim> => {
  const run = store.runs.getRun(runId);
  const owner = run ? liveOwner(run) : null;
  if (owner !== null) return { ok: false, pid: owner };
  await removeLeftovers(store, runId, context);
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

/** Remove what the run's attempts still recorded as running left, each through its node's executor. */
const removeLeftovers = async (
  store: Store,
  runId: string,
  context: ResumeContext,
): Promise<void> => {
  const running = store.attempts.runningAttempts(runId);
  if (running.length === 0) return;
  const state = RunState.replay(store.history.read(runId).map((e) => e.event));
  const executors: ExecutorSet = localExecutors(context.python, {
    dir: context.dir,
    preload: state.preload,
  });
  try {
    const byExecutor = new Map<Executor, LeftoverAttempt[]>();
    for (const row of running) {
      const node = state.graph.node(row.node_id);
      if (node === undefined) continue;
      const executor = executors.executorFor(node, state.policy(row.node_id));
      const leftovers = byExecutor.get(executor) ?? [];
      // Attempts recorded before handles were kept have only their pid.
      const handle = row.handle ?? (row.pid === null ? null : String(row.pid));
      leftovers.push({ nodeId: row.node_id, attempt: row.attempt, handle });
      byExecutor.set(executor, leftovers);
    }
    for (const [executor, leftovers] of byExecutor)
      await executor.cleanupLeftovers(runId, leftovers);
  } finally {
    executors.close();
  }
};
