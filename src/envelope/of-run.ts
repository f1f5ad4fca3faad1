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

/** A run's state: what has committed, and the same with what its running attempts have staged. */
export interface RunStates {
  readonly committed: RunState;
  readonly staged: RunState;
}

/**
 * The state of a run now (and with what its running tasks have added so far)
 * or as it was at `bound`: one read transaction, so history and provisional
 * rows are from one moment.
 */
export const runStatesAt = (store: Store, runId: string, bound?: HistoryBound): RunStates =>
  store.db.transaction(() => {
    const history = store.history.read(runId, bound).map((e) => e.event);
    const provisional = bound === undefined ? store.history.readProvisional(runId) : [];
    const committed = RunState.replay(history);
    return {
      committed,
      staged: provisional.length === 0 ? committed : RunState.replay(history, provisional),
    };
  })();

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
  const { committed, staged } = runStatesAt(store, run.id, options.bound);
  const when = options.bound === undefined ? staged.status : `at ${options.atLabel}`;
  return {
    envelope: withData(
      computeEnvelope(committed.graph, committed.book, {
        expand: options.expand ?? false,
        staged: staged.graph,
        // Earlier runs of the same workflow: the wildcards say what they did.
        history: workflowHistory(store, run.name, run.id),
      }),
      staged.data,
    ),
    title: `${run.name} — run ${run.id} (${when})`,
  };
};
