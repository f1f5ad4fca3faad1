import type { NodeId } from "../graph/ids.js";
import type { Violation } from "../promises/types.js";
import type { AttemptStatus } from "../state/attempt-status.js";
import type { AttemptEnded, MutationEvent, NodeStatusChanged, RunEvent } from "../state/events.js";
import type { RunState } from "../state/run-state.js";
import type { AttemptKey } from "../store/history.js";
import { now, type Store } from "../store/store.js";
import { checkAttemptTransition, checkNodeTransition } from "./transitions.js";

/**
 * Every write of a run's state, and the in-memory state kept in step with it:
 * events are written in one transaction (with their projections), then applied.
 * Each node and attempt status change is checked against the state machine
 * first, so an illegal one is refused before anything is written.
 */
export class RunJournal {
  readonly #attempts = new Map<string, AttemptStatus>();

  constructor(
    private readonly store: Store,
    private readonly runId: string,
    private state: RunState,
  ) {}

  /**
   * The run state was rebuilt from the history (a restart): only the attempts
   * still running are remembered; a node taken back and added again starts at 1.
   */
  moveTo(state: RunState): void {
    this.state = state;
    for (const [key, status] of this.#attempts)
      if (status !== "running") this.#attempts.delete(key);
  }

  /** Record `events`; the promises they broke (a shape whose scope completed wrongly). */
  record(events: readonly RunEvent[], also?: () => void): readonly Violation[] {
    this.#check(events);
    this.store.transaction(() => {
      this.store.history.append(this.runId, now(), events);
      also?.();
    });
    return this.#apply(events);
  }

  /**
   * An attempt of `id` is about to start: the node is running from now on for
   * every check (no edge may lead into it), before its start is recorded.
   */
  begin(id: NodeId, attempt: number, iteration: number | null = null): NodeStatusChanged {
    const running: NodeStatusChanged = {
      type: "node_status",
      id,
      status: "running",
      attempt,
      reason: null,
      ...(iteration === null ? {} : { iteration }),
    };
    this.#check([running]);
    this.state.apply(running);
    return running;
  }

  /** The attempt runs (`handle` null: it could not start): its start, and the node's, recorded. */
  /** `also`: events recorded with the start (the inputs it started with). */
  started(
    running: NodeStatusChanged,
    executor: string,
    handle: string | null,
    log: string,
    also: readonly RunEvent[] = [],
  ): void {
    const { id, attempt } = running;
    const key = keyOf(id, attempt);
    if (this.#attempts.has(key)) throw new Error(`attempt ${attempt} of node ${id} started twice`);
    this.#attempts.set(key, "running");
    const event: RunEvent = { type: "attempt_started", id, attempt, executor, handle, log };
    this.store.transaction(() =>
      this.store.history.append(this.runId, now(), [running, event, ...also]),
    );
    this.state.apply(event);
    for (const more of also) this.state.apply(more);
  }

  /** Stage a running attempt's latest mutations, where readers see them as provisional. */
  stage(attempt: AttemptKey, mutations: readonly MutationEvent[]): void {
    if (mutations.length === 0) return;
    this.store.transaction(() => this.store.history.stage(this.runId, attempt, mutations));
  }

  /**
   * The attempt succeeded: its mutations join the history with `tail` (its
   * outputs, its end, its node's status) in one transaction, and its overlay
   * becomes committed state; `committed` sees that state before `tail` applies.
   */
  commit(
    attempt: AttemptKey,
    mutations: readonly MutationEvent[],
    tail: readonly RunEvent[],
    committed: () => void,
  ): readonly Violation[] {
    this.#check(tail);
    this.store.transaction(() =>
      this.store.history.commitStaged(this.runId, attempt, now(), [...mutations, ...tail]),
    );
    this.state.commitOverlay(attempt.node);
    committed();
    return this.#apply(tail);
  }

  /** The attempt ended otherwise: what it staged and added goes; `tail` is recorded. */
  discard(attempt: AttemptKey, tail: readonly RunEvent[]): readonly Violation[] {
    this.#check(tail);
    this.store.transaction(() => {
      this.store.history.discardStaged(this.runId, attempt);
      this.store.history.append(this.runId, now(), tail);
    });
    this.state.discardOverlay(attempt.node);
    return this.#apply(tail);
  }

  #apply(events: readonly RunEvent[]): readonly Violation[] {
    const broken: Violation[] = [];
    for (const event of events) {
      broken.push(...this.state.apply(event));
      if (event.type === "attempt_ended")
        this.#attempts.set(keyOf(event.id, event.attempt), event.status);
    }
    return broken;
  }

  /** Refuse the batch if any status change in it is illegal, in order. */
  #check(events: readonly RunEvent[]): void {
    const nodes = new Map<NodeId, NodeStatusChanged["status"]>();
    for (const event of events) {
      if (event.type === "node_status") {
        const from = nodes.get(event.id) ?? this.state.graph.node(event.id)?.status;
        if (from === undefined) throw new Error(`no node ${event.id} in this run`);
        checkNodeTransition(event.id, from, event.status);
        nodes.set(event.id, event.status);
      } else if (event.type === "attempt_ended") {
        const from = this.#attempts.get(keyOf(event.id, event.attempt));
        if (from === undefined)
          throw new Error(`attempt ${event.attempt} of node ${event.id} never started`);
        checkAttemptTransition(event.id, event.attempt, from, event.status);
      }
    }
  }
}

const keyOf = (id: NodeId, attempt: number): string => `${id}\u0000${attempt}`;

/** How an attempt ended, as an event. */
export const attemptEnded = (
  id: NodeId,
  attempt: number,
  status: AttemptEnded["status"],
  exit: { readonly exitCode: number | null; readonly signal: string | null },
  reason: string | null,
): AttemptEnded => ({
  type: "attempt_ended",
  id,
  attempt,
  status,
  exit_code: exit.exitCode,
  signal: exit.signal,
  reason,
});
