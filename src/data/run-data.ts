import type { Graph } from "../graph/graph.js";
import type { NodeId } from "../graph/ids.js";
import type { BindingSource } from "./bindings.js";
import type { Attrs, Binding, JsonSchema } from "./schema.js";

export const edgeKey = (from: string, to: string): string => `${from} -> ${to}`;

/**
 * The data side of a run as a fold of its events: what each node declares
 * (outputs, input bindings), the cosmetic attributes of nodes and edges, the
 * run's parameters, and the inputs each node started with.
 */
export class RunData {
  readonly declaredOutputs = new Map<NodeId, Readonly<Record<string, JsonSchema>>>();
  readonly bindings = new Map<NodeId, Readonly<Record<string, Binding>>>();
  readonly nodeAttrs = new Map<NodeId, Attrs>();
  /** By `edgeKey(from, to)`. */
  readonly edgeAttrs = new Map<string, Attrs>();
  readonly inputs = new Map<NodeId, Readonly<Record<string, unknown>>>();
  runParams: Readonly<Record<string, unknown>> = {};

  declare(
    id: NodeId,
    node: {
      readonly outputs?: Record<string, JsonSchema> | undefined;
      readonly inputs?: Record<string, Binding> | undefined;
    },
  ): void {
    if (node.outputs !== undefined) this.declaredOutputs.set(id, node.outputs);
    if (node.inputs !== undefined) this.bindings.set(id, node.inputs);
  }

  /**
   * Attributes merged over those a node or edge already has. Returns what puts
   * the previous ones back (for an attempt whose additions are taken back).
   */
  paint(
    target: { node?: NodeId | undefined; edge?: { from: NodeId; to: NodeId } | undefined },
    attrs: Attrs,
  ): () => void {
    const [map, key] =
      target.node !== undefined
        ? [this.nodeAttrs, target.node]
        : target.edge !== undefined
          ? [this.edgeAttrs, edgeKey(target.edge.from, target.edge.to)]
          : [null, ""];
    if (map === null) return () => {};
    const before = map.get(key);
    map.set(key, { ...before, ...attrs });
    return () => {
      if (before === undefined) map.delete(key);
      else map.set(key, before);
    };
  }

  /** A node taken back: nothing of it is kept. */
  forget(id: NodeId): void {
    this.declaredOutputs.delete(id);
    this.bindings.delete(id);
    this.nodeAttrs.delete(id);
    this.inputs.delete(id);
  }

  /** What `id`'s bindings read: succeeded nodes' outputs, its predecessors, the run's parameters. */
  bindingSource(
    graph: Graph,
    outputs: ReadonlyMap<NodeId, Readonly<Record<string, unknown>>>,
    id: NodeId,
    /** What a binding from `from` reads instead of its outputs (null: nothing instead). */
    acrossLoop: (from: NodeId) => Readonly<Record<string, unknown>> | undefined | null = () => null,
  ): BindingSource {
    const predecessors = [...graph.predecessors(id)].sort(
      (a, b) => graph.node(a)!.seq - graph.node(b)!.seq,
    );
    return {
      predecessors,
      runParams: this.runParams,
      outputsOf: (node) => {
        const carried = acrossLoop(node);
        if (carried !== null) return carried;
        return graph.node(node)?.status === "succeeded" ? (outputs.get(node) ?? {}) : undefined;
      },
    };
  }
}
