import { Graph, type NodeStatus } from "../../src/graph/graph.js";
import type { NodeId } from "../../src/graph/ids.js";
import { type Mutation, structuralError } from "../../src/graph/mutations.js";
import { PromiseBook } from "../../src/promises/book.js";
import { PromiseSchema } from "../../src/promises/schema.js";
import type { Violation } from "../../src/promises/types.js";

export type Step =
  | { readonly ok: true }
  | { readonly ok: false; readonly structural: string }
  | { readonly ok: false; readonly violation: Violation };

export interface FileSpec {
  readonly nodes: readonly (string | readonly [string, string])[];
  readonly edges?: readonly (readonly [string, string])[];
  /** Raw promise JSON, parsed with the real schema so defaults apply. */
  readonly promises?: readonly unknown[];
}

/** What the engine does with a book, without processes: file registration, then task events. */
export class Harness {
  readonly graph = new Graph();
  readonly book = new PromiseBook(this.graph);
  #line = 0;

  constructor(spec: FileSpec) {
    for (const node of spec.nodes) {
      const [id, run] = typeof node === "string" ? [node, "t.py"] : node;
      this.graph.addNode({ id, run, args: [], params: {}, createdBy: null });
      this.book.registerNode(id);
    }
    for (const [from, to] of spec.edges ?? []) this.graph.addEdge(from, to, null);
    for (const [i, raw] of (spec.promises ?? []).entries()) {
      const { scope, ...rules } = PromiseSchema.parse(raw);
      const broken = this.book.make({
        scope,
        rules,
        origin: { kind: "file", file: "workflow.json", path: `promises[${i}]` },
        madeBy: null,
      });
      if (broken) throw new Error(`file promise ${i} broken when made: ${broken.why}`);
    }
  }

  start(id: NodeId): void {
    this.graph.node(id)!.status = "running";
  }

  finish(id: NodeId, status: NodeStatus = "succeeded"): Violation[] {
    this.graph.node(id)!.status = status;
    return this.book.settle(id);
  }

  /** Runs `id` and settles it with `status`. */
  run(id: NodeId, status: NodeStatus = "succeeded"): Violation[] {
    this.start(id);
    return this.finish(id, status);
  }

  apply(m: Mutation): Step {
    const violation = this.book.check(m);
    if (violation) return { ok: false, violation };
    const structural = structuralError(this.graph, m);
    if (structural !== null) return { ok: false, structural };
    if (m.kind === "add_node") {
      this.graph.addNode({ ...m, createdBy: m.source, provisional: true });
    } else if (m.loop) {
      this.graph.addLoop(m.from, m.to, m.loop.max, m.source, true);
    } else {
      this.graph.addEdge(m.from, m.to, m.source, true);
    }
    this.book.record(m);
    return { ok: true };
  }

  addNode(source: NodeId, id: NodeId, run = "m.py"): Step {
    return this.apply({ kind: "add_node", source, id, run, args: [], params: {} });
  }

  addEdge(source: NodeId, from: NodeId, to: NodeId): Step {
    return this.apply({ kind: "add_edge", source, from, to });
  }

  addLoop(source: NodeId, from: NodeId, to: NodeId, max = 5): Step {
    return this.apply({ kind: "add_edge", source, from, to, loop: { max } });
  }

  /** A `promise` message from `source`; `$self` resolved as the engine does. */
  promise(source: NodeId, raw: unknown): Violation | null {
    const { scope, ...rules } = PromiseSchema.parse(raw);
    this.#line++;
    return this.book.make({
      scope: scope === "$self" ? source : scope,
      rules,
      origin: { kind: "message", node: source, line: this.#line },
      madeBy: source,
    });
  }
}

export const violationOf = (step: Step): Violation | null =>
  !step.ok && "violation" in step ? step.violation : null;
