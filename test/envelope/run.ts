import { Graph, type NodeStatus } from "../../src/graph/graph.js";
import type { NodeId } from "../../src/graph/ids.js";
import { type Mutation, structuralError } from "../../src/graph/mutations.js";
import { PromiseBook } from "../../src/promises/book.js";
import { PromiseSchema, ShapesSchema } from "../../src/promises/schema.js";
import type { Violation } from "../../src/promises/types.js";

export interface WorkflowSpec {
  /** `id` (script `id.py`) or `[id, script]`. */
  readonly nodes: readonly (string | readonly [string, string])[];
  readonly edges?: readonly (readonly [string, string])[];
  /** Raw promise JSON, parsed with the real schema so defaults apply. */
  readonly promises?: readonly unknown[];
  /** Named shapes, raw JSON as in a workflow file's `shapes`. */
  readonly shapes?: unknown;
}

export type Outcome = "ok" | "structural" | "broken";

/** Nodes that may start: pending, committed, and every predecessor succeeded. */
export const readyIn = (graph: Graph): NodeId[] =>
  [...graph.nodes()]
    .filter(
      (n) =>
        n.status === "pending" &&
        !n.provisional &&
        [...graph.predecessors(n.id)].every((p) => graph.node(p)!.status === "succeeded"),
    )
    .map((n) => n.id);

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
  #line = 0;
  #anyFailed = false;

  constructor(spec: WorkflowSpec) {
    for (const node of spec.nodes) {
      const [id, run] = typeof node === "string" ? [node, `${node}.py`] : node;
      this.graph.addNode({ id, run, args: [], params: {}, createdBy: null });
      this.book.registerNode(id);
    }
    for (const [from, to] of spec.edges ?? []) this.graph.addEdge(from, to, null);
    if (spec.shapes) this.book.defineShapes(ShapesSchema.parse(spec.shapes));
    for (const [i, raw] of (spec.promises ?? []).entries()) {
      const { scope, ...rules } = PromiseSchema.parse(raw);
      const origin = { kind: "file" as const, file: "workflow.json", path: `promises[${i}]` };
      const broken = this.book.make({ scope, rules, origin, madeBy: null });
      if (broken) this.broken = broken;
    }
  }

  start(id: NodeId): void {
    this.graph.node(id)!.status = "running";
  }

  apply(m: Mutation): Outcome {
    const violation = this.book.check(m);
    if (violation) return "broken";
    if (structuralError(this.graph, m) !== null) return "structural";
    if (m.kind === "add_node") this.graph.addNode({ ...m, createdBy: m.source, provisional: true });
    else this.graph.addEdge(m.from, m.to, m.source, true);
    this.book.record(m);
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
    for (const m of this.#added.get(id) ?? []) {
      if (m.kind === "add_node") this.graph.node(m.id)!.provisional = false;
      else this.graph.edge(m.from, m.to)!.provisional = false;
    }
    this.#settle(id, "succeeded");
    this.#blockStranded();
  }

  /** The task fails (having added nothing): everything downstream is blocked. */
  fail(id: NodeId, status: NodeStatus = "failed"): void {
    this.#anyFailed = true;
    this.#settle(id, status);
    for (const d of this.graph.descendants(id)) {
      if (this.graph.node(d)!.status === "pending") this.#settle(d, "blocked");
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
