import type { NodeId } from "../graph/ids.js";
import type { StartMessage } from "../protocol/messages.js";
import type { RunState } from "../state/run-state.js";
import { resolveInputs } from "./bindings.js";

export type StartData =
  | {
      readonly ok: true;
      /** What the start message carries besides the node: `inputs` and `run`, when they apply. */
      readonly fields: Pick<StartMessage, "inputs" | "run">;
    }
  | { readonly ok: false; readonly reason: string };

/** The data part of `id`'s start message: its inputs resolved now, and the run's parameters. */
export const startData = (state: RunState, id: NodeId): StartData => {
  const { data } = state;
  const fields: { inputs?: Record<string, unknown>; run?: { params: Record<string, unknown> } } =
    {};
  if (Object.keys(data.runParams).length > 0) fields.run = { params: { ...data.runParams } };
  const bindings = data.bindings.get(id);
  if (bindings === undefined) return { ok: true, fields };
  const resolved = resolveInputs(
    bindings,
    data.bindingSource(state.graph, state.outputs, id, (from) =>
      // Across a loop edge into `id`: the source's outputs of the previous iteration, if any.
      state.graph.loop(from, id) === undefined ? null : state.carried.get(from),
    ),
  );
  if (!resolved.ok) return resolved;
  fields.inputs = resolved.inputs;
  return { ok: true, fields };
};
