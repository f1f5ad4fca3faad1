import { setTimeout } from "node:timers/promises";
import type { RunCommand, RunEvent } from "../state/events.js";
import { RunState } from "../state/run-state.js";
import { ENDED_RUN_STATUSES } from "../state/run-status.js";
import type { CommandRow } from "../store/commands.js";
import { now, type Store } from "../store/store.js";
import { commandEvent, commandVerdict } from "./command-verdict.js";
import { killLeftoverTask, liveExecutor } from "./ownership.js";

/** How often a command given to a live run looks for its acknowledgement. */
const ACK_POLL_MS = 100;

export interface GivenCommand {
  readonly command: RunCommand;
  readonly node: string | null;
  /** JSON text (an answer). */
  readonly value: string | null;
}

/** What became of a command: taken (with what it says) or refused (with why). */
export type CommandResult =
  | { readonly ok: true; readonly says: string }
  | { readonly ok: false; readonly reason: string };

/** Who gives commands from this process. */
export const commandGiver = (): string =>
  `${process.env.USER ?? process.env.LOGNAME ?? "unknown"} (pid ${process.pid})`;

/**
 * Give `command` to run `runId`. A live executor takes it from the inbox and
 * acknowledges or refuses it; with none, it is applied to the stored run here.
 */
export const giveCommand = async (
  store: Store,
  runId: string,
  command: GivenCommand,
): Promise<CommandResult> => {
  const run = store.runs.getRun(runId);
  if (!run) return { ok: false, reason: `no run with id ${runId}` };
  if (command.command !== "restart" && ENDED_RUN_STATUSES.includes(run.status))
    return { ok: false, reason: `run ${runId} has ended (${run.status})` };
  const row = {
    runId,
    command: command.command,
    node: command.node,
    value: command.value,
    by: commandGiver(),
    at: now(),
  };
  const id = store.transaction(() => store.commands.give(row));
  for (;;) {
    const given = store.commands.get(id)!;
    if (given.state === "acknowledged") return { ok: true, says: given.reason ?? "" };
    if (given.state === "refused") return { ok: false, reason: given.reason ?? "refused" };
    const current = store.runs.getRun(runId)!;
    if (liveExecutor(current) === null) {
      const applied = applyWithoutExecutor(store, runId, given);
      if (applied !== null) return applied;
    }
    await setTimeout(ACK_POLL_MS);
  }
};

/**
 * Apply a command to a run no process executes, in one transaction that
 * checks no executor has claimed it meanwhile (null: one has; it will take
 * the command from the inbox).
 */
const applyWithoutExecutor = (store: Store, runId: string, row: CommandRow): CommandResult | null =>
  store.transaction(() => {
    const run = store.runs.getRun(runId)!;
    if (liveExecutor(run) !== null) return null;
    const state = RunState.replay(store.history.read(runId).map((e) => e.event));
    const verdict = commandVerdict(state, row, run.status === "paused");
    if (!verdict.ok) {
      store.commands.settle(row.id, "refused", verdict.reason, now());
      return verdict;
    }
    const effect = row.command === "cancel" ? cancelStored(store, runId, state) : [];
    store.history.append(runId, now(), [commandEvent(row), ...verdict.events, ...effect]);
    const says = row.command === "cancel" ? "cancelled" : verdict.says;
    store.commands.settle(row.id, "acknowledged", says, now());
    return { ok: true, says };
  });

/** Cancel a run no process executes: what its dead owner left running is killed. */
const cancelStored = (store: Store, runId: string, state: RunState): RunEvent[] => {
  const running = store.attempts.runningAttempts(runId);
  for (const attempt of running)
    if (attempt.pid !== null) killLeftoverTask(runId, attempt.node_id, attempt.pid);
  store.history.discardAllStaged(runId);
  const events: RunEvent[] = running.map((attempt) => ({
    type: "attempt_ended",
    id: attempt.node_id,
    attempt: attempt.attempt,
    status: "cancelled",
    exit_code: null,
    signal: null,
    reason: "the run was cancelled",
  }));
  for (const node of state.graph.nodes()) {
    const unfinished = ["pending", "running", "retrying", "waiting"].includes(node.status);
    if (unfinished && !node.provisional)
      events.push({
        type: "node_status",
        id: node.id,
        status: "cancelled",
        attempt: node.attempts,
        reason: "the run was cancelled",
      });
  }
  events.push({ type: "run_status", status: "cancelled", reason: "cancelled" });
  return events;
};
