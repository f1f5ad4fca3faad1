import { Graph, type NodeStatus } from "../../src/graph/graph.js";
import type { NodeId } from "../../src/graph/ids.js";
import { type Mutation, structuralError } from "../../src/graph/mutations.js";
import { restartReach } from "../../src/graph/reach.js";
import { PromiseBook } from "../../src/promises/book.js";
import { PromiseSchema, ShapesSchema } from "../../src/promises/schema.js";
import type { Violation } from "../../src/promises/types.js";

export interface WorkflowSpec {
  /** `id` (script `id.py`) or `[id, script]`. */
  readonly nodes: readonly (string | readonly [string, string])[];
  readonly edges?: readonly (readonly [string, string])[];
  /** Loop edges `[from, to, max]`: `to` reaches `from` through `edges`. */
  readonly loops?: readonly (readonly [string, string, number])[];
  /** Raw promise JSON, parsed with the real schema so defaults apply. */
  readonly promises?: readonly unknown[];
  /** Named shapes, raw JSON as in a workflow file's `shapes`. */
  readonly shapes?: unknown;
}

export type Outcome = "ok" | "structural" | "broken";

/** Nodes that may start: pending (or due to be retried), committed, and every predecessor succeeded. */
export const readyIn = (graph: Graph): NodeId[] =>
  [...graph.nodes()]
    .filter(
      (n) =>
        (n.status === "pending" || n.status === "retrying") &&
        !n.provisional &&
        [...graph.predecessors(n.id)].every((p) => graph.node(p)!.status === "succeeded"),
    )
    .map((n) => n.id);

/** What happened in a run, in order: what a loop going again replays, less what it takes back. */
type Op =
  | { readonly kind: "start" | "succeed"; readonly id: NodeId }
  | { readonly kind: "fail"; readonly id: NodeId; readonly status: NodeStatus }
  | { readonly kind: "apply"; readonly m: Mutation }
  | { readonly kind: "promise"; readonly source: NodeId; readonly raw: unknown };

/**
 * A run without processes, driven as the engine drives one: file nodes and
 * promises at registration; a task's mutations checked, then applied
 * provisionally and recorded; committed when it succeeds; a failure blocks
 * everything downstream.
 */
export class SimRun {
  readonly graph = new Graph();
  readonly book = new PromiseBook(this.graph);
  /** Set once a promise is broken: the run is terminated. */
  broken: Violation | null = null;
  readonly #added = new Map<NodeId, Mutation[]>();
  readonly #spec: WorkflowSpec;
  readonly #ops: Op[] = [];
  #line = 0;
  #anyFailed = false;

  constructor(spec: WorkflowSpec) {
    this.#spec = spec;
    for (const node of spec.nodes) {
      const [id, run] = typeof node === "string" ? [node, `${node}.py`] : node;
      this.graph.addNode({ id, run, args: [], params: {}, createdBy: null });
      this.book.registerNode(id);
    }
    for (const [from, to] of spec.edges ?? []) this.graph.addEdge(from, to, null);
    for (const [from, to, max] of spec.loops ?? []) this.graph.addLoop(from, to, max, null);
    if (spec.shapes) this.book.defineShapes(ShapesSchema.parse(spec.shapes));
    for (const [i, raw] of (spec.promises ?? []).entries()) {
      const { scope, ...rules } = PromiseSchema.parse(raw);
      const origin = { kind: "file" as const, file: "workflow.json", path: `promises[${i}]` };
      const broken = this.book.make({ scope, rules, origin, madeBy: null });
      if (broken) this.broken = broken;
    }
  }

  start(id: NodeId): void {
    this.#ops.push({ kind: "start", id });
    this.graph.node(id)!.status = "running";
  }

  apply(m: Mutation): Outcome {
    const violation = this.book.check(m);
    if (violation) return "broken";
    if (structuralError(this.graph, m) !== null) return "structural";
    this.#ops.push({ kind: "apply", m });
    if (m.kind === "add_node") this.graph.addNode({ ...m, createdBy: m.source, provisional: true });
    else if (m.loop) this.graph.addLoop(m.from, m.to, m.loop.max, m.source, true);
    else this.graph.addEdge(m.from, m.to, m.source, true);
    const broken = this.book.record(m);
    if (broken) this.broken = broken;
    const mine = this.#added.get(m.source) ?? [];
    mine.push(m);
    this.#added.set(m.source, mine);
    return "ok";
  }

  addNode(source: NodeId, id: NodeId, run = "m.py"): Outcome {
    return this.apply({ kind: "add_node", source, id, run, args: [], params: {} });
  }

  addEdge(source: NodeId, from: NodeId, to: NodeId): Outcome {
    return this.apply({ kind: "add_edge", source, from, to });
  }

  /** A `promise` message from `source`; a promise broken as it is made terminates the run. */
  promise(source: NodeId, raw: unknown): Outcome {
    this.#ops.push({ kind: "promise", source, raw });
    const { scope, ...rules } = PromiseSchema.parse(raw);
    this.#line++;
    const broken = this.book.make({
      scope: scope === "$self" ? source : scope,
      rules,
      origin: { kind: "message", node: source, line: this.#line },
      madeBy: source,
    });
    if (broken) this.broken = broken;
    return broken ? "broken" : "ok";
  }

  /** The task exits 0: its additions commit. */
  succeed(id: NodeId): void {
    this.#ops.push({ kind: "succeed", id });
    for (const m of this.#added.get(id) ?? []) {
      if (m.kind === "add_node") this.graph.node(m.id)!.provisional = false;
      else if (m.loop) this.graph.loop(m.from, m.to)!.provisional = false;
      else this.graph.edge(m.from, m.to)!.provisional = false;
    }
    this.#settle(id, "succeeded");
    this.#blockStranded();
  }

  /** The task fails (having added nothing): everything downstream is blocked. */
  fail(id: NodeId, status: NodeStatus = "failed"): void {
    this.#ops.push({ kind: "fail", id, status });
    this.#anyFailed = true;
    this.#settle(id, status);
    for (const d of this.graph.descendants(id)) {
      if (this.graph.node(d)!.status === "pending") this.#settle(d, "blocked");
    }
  }

  /**
   * Loop source `id` succeeds asking to go again: the run as the engine
   * rebuilds it once the loop's target is restarted, every node the restart
   * reaches reset to pending and what they added taken back.
   */
  again(id: NodeId): SimRun {
    this.succeed(id);
    const loop = this.graph.loopFrom(id)!;
    const { reset, removed } = restartReach(this.graph, loop.to);
    const gone = new Set([...reset, ...removed]);
    const kept = this.#ops.filter((op) => !takenBack(op, gone, new Set(removed)));
    const next = new SimRun(this.#spec);
    for (const op of kept) next.#replay(op);
    return next;
  }

  /** The run as far as it has committed: what the running tasks added and promised left out. */
  committed(): SimRun {
    const running = new Set(this.running());
    const kept = this.#ops.filter((op) => !stagedBy(op, running));
    if (kept.length === this.#ops.length) return this;
    const next = new SimRun(this.#spec);
    for (const op of kept) next.#replay(op);
    return next;
  }

  #replay(op: Op): void {
    switch (op.kind) {
      case "start":
        this.start(op.id);
        return;
      case "succeed":
        this.succeed(op.id);
        return;
      case "fail":
        this.fail(op.id, op.status);
        return;
      case "apply":
        this.apply(op.m);
        return;
      case "promise":
        this.promise(op.source, op.raw);
    }
  }

  run(id: NodeId): void {
    this.start(id);
    this.succeed(id);
  }

  ready(): NodeId[] {
    return readyIn(this.graph);
  }

  running(): NodeId[] {
    return [...this.graph.nodes()].filter((n) => n.status === "running").map((n) => n.id);
  }

  /** Runs every ready node to success, adding nothing, until none is left. */
  drain(): void {
    for (let ready = this.ready(); ready.length > 0 && !this.broken; ready = this.ready()) {
      for (const id of ready) this.run(id);
    }
  }

  /** A committed edge from a node that failed strands its target: it is blocked, as the scheduler does. */
  #blockStranded(): void {
    if (!this.#anyFailed) return;
    const dead = (id: NodeId) =>
      ["failed", "blocked", "cancelled"].includes(this.graph.node(id)!.status);
    for (const node of this.graph.nodes()) {
      if (
        node.status === "pending" &&
        !node.provisional &&
        [...this.graph.predecessors(node.id)].some(dead)
      ) {
        this.fail(node.id, "blocked");
      }
    }
  }

  #settle(id: NodeId, status: NodeStatus): void {
    this.graph.node(id)!.status = status;
    const broken = this.book.settle(id);
    if (broken.length > 0 && !this.broken) this.broken = broken[0]!;
  }
}

/** Is `op` an addition or a promise of an attempt still running? */
const stagedBy = (op: Op, running: ReadonlySet<NodeId>): boolean =>
  (op.kind === "apply" && running.has(op.m.source)) ||
  (op.kind === "promise" && running.has(op.source));

/** Did a restart that resets or removes `gone` (removing `removed`) take `op` back? */
const takenBack = (op: Op, gone: ReadonlySet<NodeId>, removed: ReadonlySet<NodeId>): boolean => {
  switch (op.kind) {
    case "apply":
      return (
        gone.has(op.m.source) ||
        (op.m.kind === "add_node"
          ? removed.has(op.m.id)
          : removed.has(op.m.from) || removed.has(op.m.to))
      );
    case "promise":
      return gone.has(op.source);
    default:
      return gone.has(op.id);
  }
};
