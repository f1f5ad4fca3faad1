import { validationProblem } from "../data/json-schema.js";
import type { RunEvent } from "../state/events.js";
import type { RunState } from "../state/run-state.js";
import { ENDED_RUN_STATUSES } from "../state/run-status.js";
import type { CommandRow } from "../store/commands.js";

/** What a command does to a run: the events it records and what it says, or why it is refused. */
export type CommandVerdict =
  | { readonly ok: true; readonly events: readonly RunEvent[]; readonly says: string }
  | { readonly ok: false; readonly reason: string };

const refuse = (reason: string): CommandVerdict => ({ ok: false, reason });
const take = (says: string, events: readonly RunEvent[] = []): CommandVerdict => ({
  ok: true,
  events,
  says,
});

/** A command as the run's history records it. */
export const commandEvent = (row: CommandRow): RunEvent => ({
  type: "command",
  command: row.command,
  ...(row.node_id === null ? {} : { node: row.node_id }),
  by: row.given_by,
});

/** The JSON value an `answer` command carries. */
export const answerOf = (row: CommandRow): unknown =>
  row.value === null ? null : JSON.parse(row.value);

/**
 * How `command` applies to the run as `state` holds it (`paused`: whether the
 * run is paused now). Pure: the caller records the events and acts on them.
 */
export const commandVerdict = (
  state: RunState,
  row: CommandRow,
  paused: boolean,
): CommandVerdict => {
  if (row.command !== "restart" && ENDED_RUN_STATUSES.includes(state.status))
    return refuse(`the run has ended (${state.status})`);
  switch (row.command) {
    case "pause":
      return paused
        ? take("the run is already paused")
        : take("paused: no new task starts; running ones finish", [
            { type: "run_status", status: "paused", reason: `paused by ${row.given_by}` },
          ]);
    case "resume":
      return paused
        ? take("resumed", [{ type: "run_status", status: "running", reason: null }])
        : take("the run is already running");
    case "cancel":
      return take("cancelled: running tasks are being stopped");
    case "answer":
      return answerVerdict(state, row);
    case "restart":
      // The executing process carries restarts out; this one ended before it took it.
      return refuse(
        "the orch process executing the run ended before it carried out the restart: give the command again",
      );
  }
};

const answerVerdict = (state: RunState, row: CommandRow): CommandVerdict => {
  const id = row.node_id ?? "";
  const node = state.graph.node(id);
  if (node === undefined) return refuse(`no node ${id} in this run`);
  const ask = state.asks.get(id);
  if (node.status !== "waiting" || ask === undefined)
    return refuse(`node ${id} is not waiting for an answer (it is ${node.status})`);
  const value = answerOf(row);
  const problem = validationProblem(ask.schema, value);
  if (problem !== null) return refuse(`the answer does not match the schema: ${problem}`);
  return take(`answered: node ${id} is ready`, [
    { type: "answered", id, value },
    { type: "node_status", id, status: "pending", attempt: node.attempts, reason: null },
  ]);
};
