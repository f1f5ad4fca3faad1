import { withData } from "../data/envelope-data.js";
import { RunState } from "../state/run-state.js";
import type { HistoryBound } from "../store/history.js";
import type { RunRow } from "../store/rows.js";
import type { Store } from "../store/store.js";
import { computeEnvelope } from "./envelope.js";
import { workflowHistory } from "./history.js";
import type { Envelope } from "./model.js";

/** What `--at` / `?at=` names: an event number or a timestamp; undefined when it is neither. */
export const parseHistoryBound = (at: string): HistoryBound | undefined => {
  if (/^\d+$/.test(at)) return { seq: Number(at) };
  const time = Date.parse(at);
  return Number.isNaN(time) ? undefined : { at: new Date(time).toISOString() };
};

/**
 * The state of a run now (with what its running task has added so far) or as
 * it was at `bound`: one read transaction, so history and provisional rows are
 * from one moment.
 */
export const runStateAt = (store: Store, runId: string, bound?: HistoryBound): RunState =>
  store.db.transaction(() =>
    RunState.replay(
      store.history.read(runId, bound).map((e) => e.event),
      bound === undefined ? store.history.readProvisional(runId) : [],
    ),
  )();

export interface RunEnvelope {
  readonly envelope: Envelope;
  readonly title: string;
}

/** A run's envelope, now or at `bound` (`atLabel` is how the bound was written), and its title. */
export const envelopeOfRun = (
  store: Store,
  run: RunRow,
  options: {
    readonly bound?: HistoryBound;
    readonly atLabel?: string;
    readonly expand?: boolean;
  },
): RunEnvelope => {
  const state = runStateAt(store, run.id, options.bound);
  const when = options.bound === undefined ? state.status : `at ${options.atLabel}`;
  return {
    envelope: withData(
      computeEnvelope(state.graph, state.book, {
        expand: options.expand ?? false,
        // Earlier runs of the same workflow: the wildcards say what they did.
        history: workflowHistory(store, run.name, run.id),
      }),
      state.data,
    ),
    title: `${run.name} — run ${run.id} (${when})`,
  };
};
