import { attemptTouches } from "../../src/engine/restart.js";
import type { Graph } from "../../src/graph/graph.js";
import type { NodeId } from "../../src/graph/ids.js";
import type { Mutation } from "../../src/graph/mutations.js";
import { type Reach, restartReach } from "../../src/graph/reach.js";
import type { PromiseBook } from "../../src/promises/book.js";
import { PromiseSchema, ShapesSchema } from "../../src/promises/schema.js";
import type { Violation } from "../../src/promises/types.js";
import type { MutationEvent, NodeStatusChanged, RunEvent } from "../../src/state/events.js";
import { RunState } from "../../src/state/run-state.js";
import { type Outcome, readyIn, type WorkflowSpec } from "./run.js";

/** What one running attempt has done so far: staged, not in the history until it succeeds. */
interface Attempt {
  readonly attempt: number;
  readonly mutations: MutationEvent[];
}

const DEAD = new Set(["failed", "blocked", "cancelled"]);

/**
 * A run without processes whose state is the engine's own `RunState`, fed the
 * events the engine records (a running attempt's mutations applied
 * provisionally, recorded when it succeeds), and which can be restarted at a
 * node as a live run is: the attempts the reset reaches cancelled, the reset
 * recorded, the state rebuilt from the history with the other attempts'
 * mutations provisional in it again.
 */
export class EventRun {
  readonly #history: RunEvent[] = [];
  readonly #running = new Map<NodeId, Attempt>();
  #state = new RunState();
  /** Set once a promise is broken: the run is terminated. */
  broken: Violation | null = null;
  #line = 0;

  constructor(spec: WorkflowSpec) {
    const events: RunEvent[] = [];
    for (const node of spec.nodes) {
      const [id, run] = typeof node === "string" ? [node, `${node}.py`] : node;
      events.push({ type: "node_added", id, run, args: [], params: {}, created_by: null });
    }
    for (const [from, to] of spec.edges ?? [])
      events.push({ type: "edge_added", from, to, created_by: null });
    if (spec.shapes) events.push({ type: "shapes", shapes: ShapesSchema.parse(spec.shapes) });
    for (const [i, raw] of (spec.promises ?? []).entries()) {
      events.push({
        type: "promise_made",
        promise: PromiseSchema.parse(raw),
        origin: { kind: "file", file: "workflow.json", path: `promises[${i}]` },
        made_by: null,
      });
    }
    this.#record(events);
  }

  get graph(): Graph {
    return this.#state.graph;
  }

  get book(): PromiseBook {
    return this.#state.book;
  }

  /** The run as far as it has committed: what the running attempts staged left out. */
  committed(): { readonly graph: Graph; readonly book: PromiseBook } {
    return this.#running.size === 0 ? this.#state : RunState.replay(this.#history);
  }

  get history(): readonly RunEvent[] {
    return this.#history;
  }

  start(id: NodeId): void {
    const attempt = this.graph.node(id)!.attempts + 1;
    this.#running.set(id, { attempt, mutations: [] });
    this.#record([
      { type: "node_status", id, status: "running", attempt, reason: null },
      { type: "attempt_started", id, attempt, executor: "local", handle: "1", log: `${id}.log` },
    ]);
  }

  /** A task's mutation: refused as the engine refuses it, else applied provisionally and staged. */
  apply(m: Mutation): Outcome {
    const event: MutationEvent =
      m.kind === "add_node"
        ? {
            type: "node_added",
            id: m.id,
            run: m.run,
            args: [...m.args],
            params: { ...m.params },
            created_by: m.source,
          }
        : { type: "edge_added", from: m.from, to: m.to, created_by: m.source };
    const refusal = this.#state.refusal(event);
    if (refusal !== null) return refusal.kind === "promise" ? "broken" : "structural";
    this.#running.get(m.source)!.mutations.push(event);
    return this.#broke(this.#state.apply(event, true)) ? "broken" : "ok";
  }

  /** A `promise` message from `source`; a promise broken as it is made terminates the run. */
  promise(source: NodeId, raw: unknown): Outcome {
    const promise = PromiseSchema.parse(raw);
    const event: MutationEvent = {
      type: "promise_made",
      promise: { ...promise, scope: promise.scope === "$self" ? source : promise.scope },
      origin: { kind: "message", node: source, line: ++this.#line },
      made_by: source,
    };
    this.#running.get(source)!.mutations.push(event);
    return this.#broke(this.#state.apply(event, true)) ? "broken" : "ok";
  }

  /** The task exits 0: what it staged is recorded and commits. */
  succeed(id: NodeId): void {
    const { attempt, mutations } = this.#running.get(id)!;
    this.#running.delete(id);
    this.#history.push(...mutations);
    this.#state.commitOverlay(id);
    this.#record([ended(id, attempt, "succeeded"), status(id, "succeeded", attempt, null)]);
    this.#blockStranded();
  }

  /**
   * The task fails: what it staged (mutations and promises) goes. With a retry
   * left, the node waits to run again; otherwise what can no longer run is blocked.
   */
  fail(id: NodeId, retry = false): void {
    const { attempt } = this.#running.get(id)!;
    this.#running.delete(id);
    this.#state.discardOverlay(id);
    if (retry) {
      this.#record([ended(id, attempt, "failed"), status(id, "retrying", attempt, "exit 1")]);
      return;
    }
    this.#record([ended(id, attempt, "failed"), status(id, "failed", attempt, "exit 1")]);
    this.#blockStranded();
  }

  /**
   * `orch restart` at `node` while the run goes on: every running attempt the
   * reset reaches is cancelled (its node back to pending), the reset is
   * recorded, and the state is rebuilt from the history, the other running
   * attempts' mutations provisional in it again.
   */
  restart(node: NodeId): Reach {
    const reach = restartReach(RunState.replay(this.#history).graph, node);
    const reached = new Set([...reach.reset, ...reach.removed]);
    for (const [id, { attempt, mutations }] of this.#running) {
      if (!attemptTouches(id, mutations, reached)) continue;
      this.#running.delete(id);
      this.#state.discardOverlay(id);
      const why = `stopped: ${node} is restarted`;
      this.#record([ended(id, attempt, "cancelled"), status(id, "pending", attempt, why)]);
    }
    this.#history.push(
      { type: "command", command: "restart", node, by: "test" },
      { type: "nodes_reset", ...reach },
    );
    this.#state = RunState.replay(this.#history);
    for (const { mutations } of this.#running.values())
      for (const m of mutations) this.#state.apply(m, true);
    // A reset node whose input failed, still failed, cannot run: it is blocked again.
    this.#blockStranded();
    return reach;
  }

  ready(): NodeId[] {
    return readyIn(this.graph);
  }

  running(): NodeId[] {
    return [...this.#running.keys()];
  }

  /** Pending committed nodes with a predecessor that will never succeed are blocked, transitively. */
  #blockStranded(): void {
    for (let stranded = this.#stranded(); stranded.length > 0; stranded = this.#stranded()) {
      this.#record(
        stranded.map((id) => status(id, "blocked", this.graph.node(id)!.attempts, "upstream")),
      );
    }
  }

  #stranded(): NodeId[] {
    return [...this.graph.nodes()]
      .filter(
        (n) =>
          n.status === "pending" &&
          !n.provisional &&
          [...this.graph.predecessors(n.id)].some((p) => DEAD.has(this.graph.node(p)!.status)),
      )
      .map((n) => n.id);
  }

  #record(events: readonly RunEvent[]): void {
    for (const event of events) {
      this.#history.push(event);
      this.#broke(this.#state.apply(event));
    }
  }

  #broke(violations: readonly Violation[]): boolean {
    if (violations.length > 0 && !this.broken) this.broken = violations[0]!;
    return violations.length > 0;
  }
}

const ended = (
  id: NodeId,
  attempt: number,
  outcome: "succeeded" | "failed" | "cancelled",
): RunEvent => ({
  type: "attempt_ended",
  id,
  attempt,
  status: outcome,
  exit_code: outcome === "succeeded" ? 0 : outcome === "failed" ? 1 : null,
  signal: outcome === "cancelled" ? "SIGTERM" : null,
  reason: null,
});

const status = (
  id: NodeId,
  to: NodeStatusChanged["status"],
  attempt: number,
  reason: string | null,
): NodeStatusChanged => ({ type: "node_status", id, status: to, attempt, reason });
